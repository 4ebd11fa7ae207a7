package check_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lumamock/lumamock/contract/check"
	"github.com/lumamock/lumamock/internal/fakeapi"
	"github.com/lumamock/lumamock/internal/redact/leaktest"
)

// TestReportsShowNoKey runs the check, with a key of each length and a base URL with a password, against an
// API that echoes the key in every answer (in a member the document does not have, so that findings quote
// it), and looks for both in the progress lines, every report format and the fixtures written. A key with
// characters that each format escapes (leaktest.EscapingKey) must not show in any escaped spelling either.
func TestReportsShowNoKey(t *testing.T) {
	const password = "Pw4"
	keys := map[string]string{"escaping": leaktest.EscapingKey}
	for name, key := range leaktest.Keys {
		keys[name] = key
	}
	for name, key := range keys {
		t.Run(name, func(t *testing.T) {
			fake := fakeapi.New(fakeapi.Options{Key: key, Drift: func(a *fakeapi.Answer) {
				if a.Body != nil {
					a.Body["echo"] = "key " + key
				}
			}})
			defer fake.Close()
			srv := httptest.NewServer(fake)
			defer srv.Close()
			cfg := fastConfig(strings.Replace(srv.URL, "http://", "http://user:"+password+"@", 1))
			cfg.APIKey, cfg.Billable = key, 1
			var progress bytes.Buffer
			cfg.Progress = &progress
			cfg.Fixtures, cfg.UpdateFixtures = t.TempDir(), true
			report, err := check.Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			outputs := map[string]string{"progress": progress.String()}
			for _, format := range check.Formats() {
				var buf bytes.Buffer
				if err := report.Write(&buf, format); err != nil {
					t.Fatal(err)
				}
				outputs[format] = buf.String()
			}
			files, _ := filepath.Glob(filepath.Join(cfg.Fixtures, "*.json"))
			if len(files) == 0 {
				t.Fatal("no fixtures written")
			}
			for _, f := range files {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				outputs["fixture "+filepath.Base(f)] = string(data)
			}
			for what, out := range outputs {
				leaktest.Check(t, what, out, key, password)
			}
			// The echo is reported, its key redacted.
			if !strings.Contains(outputs["json"], `/echo`) || !strings.Contains(outputs["json"], `key [redacted]`) {
				t.Errorf("the json report does not show the echo, redacted:\n%s", outputs["json"])
			}
			if !strings.Contains(outputs["text"], "user:[redacted]@127.0.0.1") {
				t.Errorf("the text report does not name the target, redacted:\n%s", outputs["text"])
			}
		})
	}
}

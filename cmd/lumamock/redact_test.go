package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lumamock/lumamock/cassette"
	"github.com/lumamock/lumamock/internal/redact/leaktest"
)

// TestProxyCommandShowsNoCredentials runs "lumamock proxy --record" with an upstream URL holding a password and
// sends the key as bearer token and api_key parameter; neither may show in the startup line, the log, the
// journal or the cassette. "lumamock serve --replay" then still matches a request with another api_key to
// its recording.
func TestProxyCommandShowsNoCredentials(t *testing.T) {
	const password = "Pw4"
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"code":200,"message":"ok","request_id":"r1","data":{"task_id":"rec-1","task_status":"pending","created_at":1,"updated_at":1}}`)
	}))
	defer api.Close()
	for name, key := range leaktest.Keys {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "cassette")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			stdout, stderr := &syncBuffer{}, &syncBuffer{}
			done := make(chan error, 1)
			upstream := strings.Replace(api.URL, "http://", "http://user:"+password+"@", 1)
			go func() {
				done <- Run(ctx, []string{"proxy", "--addr", "127.0.0.1:0", "--upstream", upstream, "--record", dir, "--log-format", "json"}, stdout, stderr)
			}()
			out, ok := stdout.await(nil, proxying.MatchString)
			if !ok {
				t.Fatalf("the proxy did not start: %s %s", out, stderr)
			}
			url := proxying.FindStringSubmatch(out)[1]
			get := func(base, path, key string) (*http.Response, string) {
				t.Helper()
				req, _ := http.NewRequest(http.MethodGet, base+path, nil)
				req.Header.Set("Authorization", "Bearer "+key)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				data, _ := io.ReadAll(resp.Body)
				return resp, string(data)
			}
			if resp, body := get(url, "/luma/generations/rec-1?api_key="+key+"&keep=1", key); resp.StatusCode != http.StatusOK {
				t.Fatalf("through the proxy: %d %s", resp.StatusCode, body)
			}
			_, journal := get(url, "/__mock/requests", key)
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("proxy: %v", err)
			}
			outputs := map[string]string{"stdout": stdout.String(), "stderr": stderr.String(), "journal": journal}
			files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
			if len(files) != 1 {
				t.Fatalf("%d cassette files, want 1", len(files))
			}
			data, err := os.ReadFile(files[0])
			if err != nil {
				t.Fatal(err)
			}
			outputs["cassette"] = string(data)
			for what, out := range outputs {
				leaktest.Check(t, what, out, key, password)
			}
			if !strings.Contains(outputs["stdout"], "user:[redacted]@127.0.0.1") {
				t.Errorf("the startup line does not name the upstream, redacted: %s", outputs["stdout"])
			}
			for _, what := range []string{"journal", "cassette"} {
				if !strings.Contains(outputs[what], "api_key=[redacted]&keep=1") {
					t.Errorf("the %s does not keep the query, redacted: %s", what, outputs[what])
				}
			}

			serveURL, _, stopServe := startServe(t, nil, "--replay", dir)
			defer stopServe()
			resp, body := get(serveURL, "/luma/generations/rec-1?api_key=another-key&keep=1", "another-key")
			if resp.Header.Get(cassette.HeaderSource) != cassette.SourceReplay || !strings.Contains(body, "rec-1") {
				t.Errorf("a request with another api_key was not replayed: %s %s", resp.Header.Get(cassette.HeaderSource), body)
			}
			_, decisions := get(serveURL, "/__mock/replay", "another-key")
			leaktest.Check(t, "GET /__mock/replay", decisions, "another-key")
			if !strings.Contains(decisions, `api_key=[redacted]&keep=1`) { // admin answers escape no HTML
				t.Errorf("the replay journal does not keep the query, redacted: %s", decisions)
			}
		})
	}
}

package check_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/contract"
	"github.com/lumamock/lumamock/contract/check"
	"github.com/lumamock/lumamock/internal/fakeapi"
)

func TestSanitize(t *testing.T) {
	var in any
	if err := json.Unmarshal([]byte(`{
		"id": "4665a07c-7641-4809-a133-10786201bb56", "request_id": "r-1", "created_at": 1734874720,
		"updated_at": "2024-12-22T13:38:40.139409Z", "state": "pending", "prompt": "",
		"video": {"url": "https://cdn.example.com/v.mp4", "width": 1280},
		"note": "key sk-test-7f3a9c-secret leaked", "list": ["3f2b8c1e-5a47-4d0e-9c61-2b7e8f0a1d22", "plain"]}`), &in); err != nil {
		t.Fatal(err)
	}
	got := check.Sanitize(in, testKey)
	want := map[string]any{
		"id": "<id>", "request_id": "<id>", "created_at": "<time>", "updated_at": "<time>", "state": "pending", "prompt": "",
		"video": map[string]any{"url": "<url>", "width": 1280.0},
		"note":  "[redacted]", "list": []any{"<id>", "plain"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Sanitize (-want +got):\n%s", diff)
	}
}

func TestDiffFixture(t *testing.T) {
	golden := check.Fixture{Status: 200, Body: map[string]any{
		"code": 200.0, "message": "success", "request_id": "<id>",
		"data": map[string]any{"task_id": "<id>", "task_status": "pending", "created_at": "<time>", "width": 1280.0},
	}}
	tests := []struct {
		name string
		got  check.Fixture
		want []string // kind#pointer
	}{
		{"same", golden, nil},
		{"volatile values differ", check.Fixture{Status: 200, Body: map[string]any{
			"code": 201.0, "message": "ok", "request_id": "<id>",
			"data": map[string]any{"task_id": "<id>", "task_status": "pending", "created_at": "<time>", "width": 1920.0},
		}}, nil},
		{"field-level changes", check.Fixture{Status: 202, Body: map[string]any{
			"code": "200", "message": "success", "request_id": "<id>", "trace": "x",
			"data": map[string]any{"task_id": "<id>", "task_status": "queued", "width": 1280.0},
		}}, []string{
			"fixture-status-changed#", "fixture-type-changed#/code", "fixture-field-removed#/data/created_at",
			"fixture-value-changed#/data/task_status", "fixture-field-added#/trace",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, f := range check.DiffFixture(golden, tt.got) {
				got = append(got, string(f.Kind)+"#"+f.Pointer)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("DiffFixture (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFixturesRecordAndCompare records golden responses from one mock and compares another mock, with another
// seed, against them: ids, times and URLs differ, and none of that is drift. A drifted upstream is then caught
// field by field.
func TestFixturesRecordAndCompare(t *testing.T) {
	dir := t.TempDir()
	cfg := fastConfig(startMock(t, lumamock.ShapeEnvelope))
	cfg.Fixtures, cfg.UpdateFixtures = dir, true
	if rep := run(t, cfg); rep.ExitCode() != check.ExitOK {
		t.Fatalf("recording run: exit %d\n%s", rep.ExitCode(), dump(t, rep))
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) < 25 {
		t.Fatalf("recorded %d fixtures, want one per case and one per finished task", len(files))
	}
	for _, f := range files {
		data, _ := os.ReadFile(f)
		if strings.Contains(string(data), testKey) {
			t.Errorf("%s holds the API key", f)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "check-create-source-example.terminal.json")); err != nil {
		t.Errorf("no fixture of the finished task: %v", err)
	}

	cfg = fastConfig(startMockSeed(t, lumamock.ShapeEnvelope, 99))
	cfg.Fixtures = dir
	if rep := run(t, cfg); rep.ExitCode() != check.ExitOK {
		t.Errorf("second mock against the fixtures: exit %d\n%s", rep.ExitCode(), dump(t, rep))
	}

	cfg = fastConfig(startFake(t, fakeapi.Options{Key: testKey, Drift: func(a *fakeapi.Answer) {
		if a.Status == 404 {
			a.Body["message"] = 404 // a type change, even in a volatile field
		}
	}}))
	cfg.Fixtures = dir
	rep := run(t, cfg)
	if !hasFinding(rep.Drift(), want{contract.KindFixtureTypeChanged, contract.Breaking, "/message"}) {
		t.Errorf("no fixture-type-changed at /message\n%s", dump(t, rep))
	}
}

// FuzzSanitize: whatever the body, the sanitized value holds no secret, and sanitizing it again changes nothing.
func FuzzSanitize(f *testing.F) {
	f.Add([]byte(`{"id":"x","created_at":1,"video":{"url":"https://a/b"},"k":"sk-test-7f3a9c-secret"}`))
	f.Add([]byte(`{"sk-test-7f3a9c-secret":{"id":"sk-test-7f3a9c-secret"}}`))
	f.Add([]byte(`["<id>","2024-12-22T13:38:40Z",null,true,1.5]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var v any
		if json.Unmarshal(data, &v) != nil {
			return
		}
		once := check.Sanitize(v, testKey)
		out, err := json.Marshal(once)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(out), testKey) {
			t.Errorf("sanitized value holds the secret: %s", out)
		}
		if diff := cmp.Diff(once, check.Sanitize(once, testKey)); diff != "" {
			t.Errorf("not idempotent (-once +twice):\n%s", diff)
		}
	})
}

// TestFixturesThatCannotWorkStopTheRunFirst: a fixtures directory that does not exist (a typo would otherwise
// turn the comparison off) or cannot be created ends the run before a single request, billable ones included,
// is sent.
func TestFixturesThatCannotWorkStopTheRunFirst(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		dir    string
		update bool
		want   string
	}{
		{"compare with a directory that does not exist", filepath.Join(t.TempDir(), "fixturse"), false, "does not exist"},
		{"compare with a file", file, false, "not a directory"},
		{"record into a file", file, true, "fixtures"},
		{"record under a file", filepath.Join(file, "sub"), true, "fixtures"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sent atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				sent.Add(1)
				w.WriteHeader(http.StatusTeapot)
			}))
			defer srv.Close()
			cfg := fastConfig(srv.URL)
			cfg.Fixtures, cfg.UpdateFixtures = tt.dir, tt.update
			_, err := check.Run(context.Background(), cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Run: err %v, want one saying %q", err, tt.want)
			}
			if n := sent.Load(); n != 0 {
				t.Errorf("%d requests sent before the run gave up", n)
			}
		})
	}
}

// TestFixturesFactSaysWhatWasCompared: the report says how many answers were compared with a fixture and names
// the cases that had none, so that a comparison that did not happen is seen.
func TestFixturesFactSaysWhatWasCompared(t *testing.T) {
	dir := t.TempDir()
	url := startMock(t, lumamock.ShapeEnvelope)
	cfg := fastConfig(url)
	cfg.Billable = 0
	cfg.Fixtures, cfg.UpdateFixtures = dir, true
	rep := run(t, cfg)
	recorded := factOf(rep, "fixtures")
	if !strings.HasPrefix(recorded, "25 recorded in "+dir) {
		t.Errorf("fixtures fact after recording: %q", recorded)
	}
	cfg = fastConfig(url)
	cfg.Billable = 1
	cfg.Fixtures = dir
	rep = run(t, cfg)
	got := factOf(rep, "fixtures")
	want := "25 compared in " + dir + "; 2 without a fixture, not compared: create-source-example, create-source-example.terminal"
	if got != want {
		t.Errorf("fixtures fact:\n got %q\nwant %q", got, want)
	}
}

func factOf(rep *check.Report, name string) string {
	for _, f := range rep.Facts {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

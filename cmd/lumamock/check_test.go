package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/internal/fakeapi"
	"github.com/lumamock/lumamock/mock"
)

const checkKey = "sk-live-cmd-test-5d1e"

// fast are the flags that keep a check against loopback servers quick.
var fast = []string{"--api-key", checkKey, "--poll-interval", "5ms", "--poll-deadline", "2s", "--timeout", "2s", "--hook-wait", "2s"}

func startCheckMock(t *testing.T, shape lumamock.Shape) string {
	t.Helper()
	srv, err := mock.New(mock.Options{Schema: shape, APIKeys: []string{checkKey}, Seed: 7,
		Pending: 10 * time.Millisecond, Processing: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() { ts.Close(); srv.Close() })
	return ts.URL
}

func startCheckFake(t *testing.T, opts fakeapi.Options) string {
	t.Helper()
	fake := fakeapi.New(opts)
	ts := httptest.NewServer(fake)
	t.Cleanup(func() { ts.Close(); fake.Close() })
	return ts.URL
}

func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// exitOf returns the exit code Run's error asks for.
func exitOf(err error) int {
	if err == nil {
		return 0
	}
	var exit *ExitError
	if errors.As(err, &exit) {
		return exit.Code
	}
	return 1
}

func TestCheckExitCodes(t *testing.T) {
	extraField := fakeapi.Options{Key: checkKey, Drift: func(a *fakeapi.Answer) {
		if a.Status == http.StatusOK {
			a.Body["credits_left"] = 3
		}
	}}
	tests := []struct {
		name string
		args []string
		want int
		out  string // in stdout
	}{
		{"mock envelope, billable and callbacks: no drift", []string{"--base-url", startCheckMock(t, lumamock.ShapeEnvelope), "--billable", "4", "--hook-listen", "127.0.0.1:0"}, 0, "OK — no drift"},
		{"mock luma, billable: no drift", []string{"--base-url", startCheckMock(t, lumamock.ShapeLuma), "--billable", "2"}, 0, "OK — no drift"},
		{"drifted fake: drift", []string{"--base-url", startCheckFake(t, extraField), "--billable", "1"}, 1, "undocumented-field"},
		{"unreachable: nothing checked", []string{"--base-url", closedURL(t)}, 2, "NOT CHECKED"},
		{"no base URL", nil, 2, ""},
		{"bad format", []string{"--base-url", "http://127.0.0.1:1", "--format", "yaml"}, 2, ""},
		{"not an http URL", []string{"--base-url", "ftp://example.com"}, 2, ""},
		{"junit", []string{"--base-url", startCheckFake(t, extraField), "--format", "junit", "--billable", "1"}, 1, "<testsuites>"},
		{"markdown", []string{"--base-url", startCheckFake(t, extraField), "--format", "markdown", "--billable", "1"}, 1, "## lumamock check"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := Run(context.Background(), append(append([]string{"check"}, fast...), tt.args...), &stdout, &stderr)
			if got := exitOf(err); got != tt.want {
				t.Errorf("exit %d (%v), want %d\nstdout:\n%s\nstderr:\n%s", got, err, tt.want, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.out) {
				t.Errorf("stdout lacks %q:\n%s", tt.out, stdout.String())
			}
			for name, s := range map[string]string{"stdout": stdout.String(), "stderr": stderr.String(), "error": errString(err)} {
				if strings.Contains(s, checkKey) {
					t.Errorf("the API key appears in %s", name)
				}
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestCheckDryRunSendsNothingAndHidesTheKey(t *testing.T) {
	hits := 0
	ts := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits++ }))
	defer ts.Close()
	var stdout, stderr bytes.Buffer
	err := Run(context.Background(), []string{"check", "--base-url", ts.URL, "--api-key", checkKey, "--dry-run", "--billable", "1"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("dry run: %v\n%s", err, stderr.String())
	}
	out := stdout.String()
	if hits != 0 {
		t.Errorf("dry run sent %d requests", hits)
	}
	if strings.Contains(out, checkKey) {
		t.Error("the API key appears in the dry run")
	}
	for _, want := range []string{"Authorization: Bearer [redacted]", "POST " + ts.URL + "/luma/generations", "BILLABLE", "create-source-example", "# skipped create-required-only", "get-unknown-task"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run lacks %q:\n%s", want, out)
		}
	}
}

func TestCheckEnvironmentBaselineAndOutput(t *testing.T) {
	url := startCheckFake(t, fakeapi.Options{Key: checkKey, Drift: func(a *fakeapi.Answer) {
		if a.Status >= 400 {
			a.Body["trace"] = "abc"
		}
	}})
	setEnv(t, map[string]string{"LUMAMOCK_BASE_URL": url, "LUMA_API_KEY": checkKey, "LUMAMOCK_FORMAT": "json"})
	dir := t.TempDir()
	report := filepath.Join(dir, "report.json")
	var stdout, stderr bytes.Buffer
	err := Run(context.Background(), []string{"check", "--output", report}, &stdout, &stderr)
	if got := exitOf(err); got != 1 {
		t.Fatalf("first run: exit %d (%v), want 1\n%s", got, err, stderr.String())
	}
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"kind": "undocumented-field"`) || strings.Contains(string(data), checkKey) {
		t.Fatalf("report lacks the finding, or holds the key:\n%s", data)
	}
	if !strings.Contains(stderr.String(), "DRIFT") {
		t.Errorf("stderr lacks the verdict: %s", stderr.String())
	}
	// The report of the first run, as a baseline, accepts every finding in it.
	stdout.Reset()
	err = Run(context.Background(), []string{"check", "--baseline", report, "--format", "text"}, &stdout, &stderr)
	if got := exitOf(err); got != 0 {
		t.Fatalf("with baseline: exit %d (%v), want 0\n%s", got, err, stdout.String())
	}
	if !strings.Contains(stdout.String(), "accepted by the baseline") {
		t.Errorf("text report does not mention accepted findings:\n%s", stdout.String())
	}
}

// TestCheckAgainstServe is the definition of done: "lumamock check" against a running "lumamock serve"
// (both started through Run, on loopback) reports no drift, billable cases and callbacks included, with the
// callback listener reached through --hook-url.
func TestCheckAgainstServe(t *testing.T) {
	for _, schema := range []string{"envelope", "luma"} {
		t.Run(schema, func(t *testing.T) {
			url, _, stop := startServe(t, nil, "--api-key", checkKey, "--schema", schema, "--pending", "10ms", "--processing", "10ms")
			defer stop()
			port := freePort(t)
			var stdout, stderr bytes.Buffer
			args := append(append([]string{"check"}, fast...), "--base-url", url, "--billable", "4",
				"--hook-listen", "127.0.0.1:"+port, "--hook-url", "http://127.0.0.1:"+port+"/")
			err := Run(context.Background(), args, &stdout, &stderr)
			if got := exitOf(err); got != 0 {
				t.Fatalf("exit %d (%v), want 0\n%s\n%s", got, err, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), "response shape    "+schema+" ×") || !strings.Contains(stdout.String(), "4 run, 0 skipped") {
				t.Errorf("report does not show the %s shape and 4 billable cases:\n%s", schema, stdout.String())
			}
		})
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// TestCheckShortKeyLeavesReportIntact is a regression test: a key too short to tell from words ("e") must not
// be blanked out of the report, which stays valid JSON with the usual finding ids.
func TestCheckShortKeyLeavesReportIntact(t *testing.T) {
	srv, err := mock.New(mock.Options{APIKeys: []string{"e"}, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer func() { ts.Close(); srv.Close() }()
	var stdout, stderr bytes.Buffer
	err = Run(context.Background(), []string{"check", "--base-url", ts.URL, "--api-key", "e", "--format", "json", "--timeout", "2s"}, &stdout, &stderr)
	if code := exitOf(err); code != 0 {
		t.Fatalf("exit %d (%v)\n%s\n%s", code, err, stdout.String(), stderr.String())
	}
	var report map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &report); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, stdout.String())
	}
	if strings.Contains(stdout.String(), "[redacted]") || !strings.Contains(stdout.String(), "missing-user_prompt") {
		t.Errorf("report mangled by redaction:\n%s", stdout.String())
	}
}

func TestCheckWithoutKeyCannotRun(t *testing.T) {
	setEnv(t, nil)
	var stdout, stderr bytes.Buffer
	err := Run(context.Background(), []string{"check", "--base-url", closedURL(t)}, &stdout, &stderr)
	if code := exitOf(err); code != 2 || !strings.Contains(err.Error(), "no API key") {
		t.Errorf("exit %d, err %v; want 2 and a message naming the missing key", code, err)
	}
}

// TestCheckOutputThatCannotBeWrittenSendsNothing: a --output that cannot be written fails before a single
// request (a billable one would create a task and be paid for, and its report lost); a run that fails leaves
// the previous report in place, and a good one replaces it whole.
func TestCheckOutputThatCannotBeWrittenSendsNothing(t *testing.T) {
	var sent atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent.Add(1)
		w.WriteHeader(http.StatusTeapot)
	}))
	defer srv.Close()
	dir := t.TempDir()
	code, out, _ := runCLI(t, nil, append([]string{"check", "--base-url", srv.URL, "--billable", "1",
		"--output", filepath.Join(dir, "no-such-dir", "report.txt")}, fast...)...)
	if code != 2 || !strings.Contains(out, "--output") {
		t.Errorf("exit %d, want 2 naming --output:\n%s", code, out)
	}
	if n := sent.Load(); n != 0 {
		t.Errorf("%d requests sent before the run gave up", n)
	}

	report := filepath.Join(dir, "report.txt")
	if err := os.WriteFile(report, []byte("the last report\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCLI(t, nil, append([]string{"check", "--base-url", srv.URL, "--fixtures", filepath.Join(dir, "none"),
		"--output", report}, fast...)...)
	if code != 2 {
		t.Errorf("run with missing fixtures: exit %d, want 2:\n%s", code, out)
	}
	if data, _ := os.ReadFile(report); string(data) != "the last report\n" {
		t.Errorf("a failed run changed the report: %q", data)
	}
	code, out, _ = runCLI(t, nil, append([]string{"check", "--base-url", startCheckMock(t, lumamock.ShapeEnvelope),
		"--output", report}, fast...)...)
	if data, _ := os.ReadFile(report); code != 0 || !strings.HasPrefix(string(data), "lumamock check") {
		t.Errorf("good run: exit %d, report %.80q\n%s", code, data, out)
	}
	// A run that fails removes the file it created; a symlink is written through, not replaced.
	fresh := filepath.Join(dir, "fresh.txt")
	if code, out, _ = runCLI(t, nil, append([]string{"check", "--base-url", srv.URL, "--fixtures", filepath.Join(dir, "none"),
		"--output", fresh}, fast...)...); code != 2 {
		t.Errorf("run with missing fixtures: exit %d:\n%s", code, out)
	}
	if _, err := os.Stat(fresh); !os.IsNotExist(err) {
		t.Errorf("a failed run left the file it created: %v", err)
	}
	link := filepath.Join(dir, "latest.txt")
	if err := os.Symlink(report, link); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCLI(t, nil, append([]string{"check", "--base-url", startCheckMock(t, lumamock.ShapeEnvelope), "--format", "json",
		"--output", link}, fast...)...)
	if fi, err := os.Lstat(link); code != 0 || err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("exit %d; --output through a symlink: %v, %v\n%s", code, fi, err, out)
	}
	if data, _ := os.ReadFile(report); !json.Valid(data) {
		t.Errorf("the symlink's target does not hold the JSON report: %.80q", data)
	}
}

package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/lumamock/lumamock/cassette"
	"github.com/lumamock/lumamock/proxy"
)

var proxying = regexp.MustCompile(`proxying (http://\S+) `)

// startProxyCmd runs "lumamock proxy args..." on a free loopback port and returns its base URL, its stderr and
// a stop function.
func startProxyCmd(t *testing.T, env map[string]string, args ...string) (string, *syncBuffer, func() error) {
	t.Helper()
	return startCommand(t, env, "proxy", proxying, args...)
}

func TestProxyCommandRecordsAndServeReplays(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"code":200,"message":"ok","request_id":"r1","data":{"task_id":"rec-1","task_status":"queued","created_at":1,"updated_at":1}}`)
	}))
	defer api.Close()
	dir := filepath.Join(t.TempDir(), "cassette")
	url, stderr, stop := startProxyCmd(t, map[string]string{"LUMAMOCK_UPSTREAM": api.URL}, "--record", dir, "--log-format", "json")
	status, body := post(t, url, "secret-key-123", example)
	if status != 200 || !strings.Contains(body, "rec-1") {
		t.Fatalf("through the proxy: %d %s", status, body)
	}
	req, _ := http.NewRequest("GET", url+"/luma/generations/rec-1", nil)
	req.Header.Set("Authorization", "Bearer secret-key-123")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !strings.Contains(resp.Header.Get(proxy.HeaderViolations), "new-enum-value") {
		t.Errorf("violations header: %q", resp.Header.Get(proxy.HeaderViolations))
	}
	if err := stop(); err != nil {
		t.Fatalf("Run after shutdown: %v", err)
	}
	if logs := stderr.String(); !strings.Contains(logs, "exchange broke the document") || strings.Contains(logs, "secret-key-123") {
		t.Errorf("logs should report the violation and never the key:\n%s", logs)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) != 2 {
		t.Fatalf("cassette has %d files, want 2", len(files))
	}
	for _, f := range files {
		if data, _ := os.ReadFile(f); bytes.Contains(data, []byte("secret-key-123")) {
			t.Errorf("%s contains the key", f)
		}
	}

	serveURL, _, stopServe := startServe(t, nil, "--replay", dir)
	defer stopServe()
	sreq, _ := http.NewRequest("GET", serveURL+"/luma/generations/rec-1", nil)
	sreq.Header.Set("Authorization", "Bearer any")
	sresp, err := http.DefaultClient.Do(sreq)
	if err != nil {
		t.Fatal(err)
	}
	sbody, _ := io.ReadAll(sresp.Body)
	sresp.Body.Close()
	if sresp.Header.Get(cassette.HeaderSource) != cassette.SourceReplay || !strings.Contains(string(sbody), "rec-1") {
		t.Errorf("replayed GET: %s %s", sresp.Header.Get(cassette.HeaderSource), sbody)
	}
	if status, body := post(t, serveURL, "any", `{"user_prompt":"not recorded"}`); status != 200 || strings.Contains(body, "rec-1") {
		t.Errorf("unrecorded POST should get the mock's answer: %d %s", status, body)
	}
}

func TestProxyCommandErrors(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantOut string
	}{
		{"no upstream", nil, nil, "--upstream is required"},
		{"bad upstream", []string{"--upstream", "ftp://x"}, nil, "not an http(s) URL"},
		{"bad schema", []string{"--upstream", "http://127.0.0.1:1", "--schema", "xml"}, nil, "--schema"},
		{"bad timeout", []string{"--upstream", "http://127.0.0.1:1", "--timeout", "0s"}, nil, "--timeout"},
		{"bad env", []string{"--upstream", "http://127.0.0.1:1"}, map[string]string{"LUMAMOCK_STRICT": "perhaps"}, "LUMAMOCK_STRICT"},
		{"bad log format", []string{"--upstream", "http://127.0.0.1:1", "--log-format", "xml"}, nil, "--log-format"},
		{"stray argument", []string{"extra"}, nil, "unexpected argument"},
		{"unknown flag", []string{"--nope"}, nil, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, err := runCLI(t, tt.env, append([]string{"proxy"}, tt.args...)...)
			if code != 2 {
				t.Errorf("exit code %d, want 2 (err %v)", code, err)
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("output does not contain %q:\n%s", tt.wantOut, out)
			}
		})
	}
	var stdout, stderr bytes.Buffer
	if err := Run(context.Background(), []string{"proxy", "--help"}, &stdout, &stderr); err != nil || !strings.Contains(stderr.String(), "X-Lumamock-Violations") {
		t.Errorf("--help: %v\n%s", err, stderr.String())
	}
	if err := Run(context.Background(), []string{"serve", "--replay", "/nonexistent/cassette"}, &stdout, &stderr); exitCode(err, &stderr) != 2 {
		t.Errorf("serve --replay of a missing directory: %v, want exit 2", err)
	}
}

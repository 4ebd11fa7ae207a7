package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestHealthcheck(t *testing.T) {
	mockURL, _, stop := startServe(t, nil)
	defer stop()
	mockAddr := strings.TrimPrefix(mockURL, "http://")
	_, port, _ := net.SplitHostPort(mockAddr)
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer failing.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantCode int
		wantOut  string
	}{
		{"--url of a healthy mock", []string{"--url", mockURL + "/healthz"}, nil, 0, "200 OK"},
		{"--addr of a healthy mock", []string{"--addr", mockAddr}, nil, 0, "ok: GET " + mockURL + "/healthz"},
		{"--addr 0.0.0.0 means this host", []string{"--addr", "0.0.0.0:" + port}, nil, 0, "ok: GET http://127.0.0.1:" + port + "/healthz"},
		{"--addr :port means this host", []string{"--addr", ":" + port}, nil, 0, "200 OK"},
		{"LUMAMOCK_ADDR, as serve reads it", nil, map[string]string{"LUMAMOCK_ADDR": "0.0.0.0:" + port}, 0, "200 OK"},
		{"a server answering 503", []string{"--url", failing.URL + "/healthz"}, nil, 1, "503"},
		{"nothing listening", []string{"--url", closed.URL + "/healthz"}, nil, 1, "connection refused"},
		{"not an http URL", []string{"--url", "ftp://127.0.0.1/healthz"}, nil, 2, "want an http(s) URL"},
		{"bad --addr", []string{"--addr", "nowhere"}, nil, 2, "--addr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, err := runCLI(t, tt.env, append([]string{"healthcheck"}, tt.args...)...)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d (err %v)", code, tt.wantCode, err)
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("output does not contain %q:\n%s", tt.wantOut, out)
			}
		})
	}
}

func TestHealthcheckTimesOut(t *testing.T) {
	hang := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-hang }))
	defer slow.Close()
	defer close(hang)
	start := time.Now()
	var stdout, stderr bytes.Buffer
	err := Run(context.Background(), []string{"healthcheck", "--url", slow.URL, "--timeout", "100ms"}, &stdout, &stderr)
	if code := exitCode(err, &stderr); code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("took %v with --timeout 100ms", took)
	}
	if u, _ := url.Parse(slow.URL); !strings.Contains(stderr.String(), u.Host) {
		t.Errorf("stderr does not name the server: %s", stderr.String())
	}
}

package main

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestHooksPrintsCallbacks runs "lumamock serve" and "lumamock hooks" side by side, as the README's
// notify_hook example does, and checks that every callback of a task is printed with its headers and body.
func TestHooksPrintsCallbacks(t *testing.T) {
	hooksURL, hooksOut := startHooks(t, "--listen", "127.0.0.1:0")
	mockURL, _, stopMock := startServe(t, nil, "--pending", "0s", "--processing", "0s")
	defer stopMock()

	status, body := post(t, mockURL, "any-key", fmt.Sprintf(`{"user_prompt": "wind", "notify_hook": %q}`, hooksURL+"/hook?run=1"))
	if status != http.StatusOK {
		t.Fatalf("POST: %d %s", status, body)
	}
	out, _ := hooksOut.await(nil, func(out string) bool { return strings.Count(out, "POST /hook?run=1") == 2 })
	for _, want := range []string{
		"X-Lumamock-State: processing", "X-Lumamock-State: completed", "X-Lumamock-Event: 2", "X-Lumamock-Attempt: 1",
		"User-Agent: lumamock/", "Content-Type: application/json", `"task_status":"completed"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("hooks output lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "POST /hook?run=1") != 2 {
		t.Errorf("want 2 callbacks printed:\n%s", out)
	}
}

// startHooks runs "lumamock hooks args..." until it prints its address, and returns its URL and its stdout. It
// is stopped, and must stop cleanly, at the test's cleanup.
func startHooks(t *testing.T, args ...string) (string, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	exited := make(chan struct{})
	go func() {
		done <- Run(ctx, append([]string{"hooks"}, args...), stdout, stderr)
		close(exited)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("hooks: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("hooks did not stop within 10s of cancellation")
		}
	})
	ready := regexp.MustCompile(`receiving callbacks on (http://\S+) `)
	out, ok := stdout.await(exited, ready.MatchString)
	if !ok {
		select {
		case <-exited:
			t.Fatalf("hooks exited early: %v\nstderr: %s", <-done, stderr)
		default:
		}
		t.Fatalf("hooks did not report its address; stdout %q stderr %q", out, stderr)
	}
	return ready.FindStringSubmatch(out)[1], stdout
}

func TestHooksStatusAndBodyLimit(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		body       string
		wantStatus int
		wantOut    string
		notOut     string
	}{
		{"answers 200 by default", nil, `{"a":1}`, http.StatusOK, `{"a":1}`, "cut at"},
		{"answers the status asked for", []string{"--status", "503"}, `{"a":1}`, http.StatusServiceUnavailable, `{"a":1}`, ""},
		{"cuts long bodies", []string{"--max-body", "4"}, `{"abcdef":1}`, http.StatusOK, `{"ab… (cut at 4 bytes)`, "cdef"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, out := startHooks(t, append([]string{"--listen", "127.0.0.1:0"}, tt.args...)...)
			req, _ := http.NewRequest(http.MethodPost, url+"/x", strings.NewReader(tt.body))
			req.Header.Set("X-Lumamock-Task-Id", "t1")
			req.Header.Set("Authorization", "Bearer never-printed")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			got := out.String()
			for _, want := range []string{"POST /x", "X-Lumamock-Task-Id: t1", tt.wantOut} {
				if !strings.Contains(got, want) {
					t.Errorf("output lacks %q:\n%s", want, got)
				}
			}
			for _, not := range []string{"never-printed", tt.notOut} {
				if not != "" && strings.Contains(got, not) {
					t.Errorf("output has %q:\n%s", not, got)
				}
			}
		})
	}
}

func TestHooksRefusesBadStatus(t *testing.T) {
	var stdout, stderr strings.Builder
	err := Run(context.Background(), []string{"hooks", "--status", "42"}, &stdout, &stderr)
	if code := exitCode(err, &stderr); code != 2 || !strings.Contains(stderr.String(), "--status") {
		t.Errorf("exit %d, stderr %q; want 2 naming --status", code, stderr.String())
	}
}

// TestHooksListenFromEnvironment checks that hooks reads LUMAMOCK_LISTEN and leaves serve's LUMAMOCK_ADDR alone,
// so that one environment can run both.
func TestHooksListenFromEnvironment(t *testing.T) {
	setEnv(t, map[string]string{"LUMAMOCK_LISTEN": "127.0.0.1:0", "LUMAMOCK_ADDR": "127.0.0.1:notaport"})
	url, _ := startHooks(t)
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Errorf("hooks listens at %s", url)
	}
}

package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lumamock/lumamock/mock"
)

// hookServer records callbacks; hang makes it hold requests until they are cancelled.
type hookServer struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	sigs   []string
	events []string // X-Lumamock-Event of each
	got    chan struct{}
}

func newHookServer(t *testing.T, hang bool) *hookServer {
	h := &hookServer{got: make(chan struct{}, 100)}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.bodies = append(h.bodies, body)
		h.sigs = append(h.sigs, r.Header.Get(mock.HeaderSignature))
		h.events = append(h.events, r.Header.Get(mock.HeaderEvent))
		h.mu.Unlock()
		h.got <- struct{}{}
		if hang {
			<-r.Context().Done()
		}
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookServer) wait(t *testing.T, n int) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for range n {
		select {
		case <-h.got:
		case <-timeout:
			t.Fatalf("fewer than %d callbacks within 5s", n)
		}
	}
}

func TestServeSendsSignedCallbacksWithFaultsFromFlags(t *testing.T) {
	hook := newHookServer(t, false)
	url, _, stop := startServe(t, map[string]string{"LUMAMOCK_CALLBACK_SECRET": "s3cret"},
		"--pending", "0s", "--processing", "0s", "--fault-duplicate", "1")
	defer stop()
	status, body := post(t, url, "k", `{"user_prompt":"wind","notify_hook":"`+hook.URL+`/hook"}`)
	if status != 200 {
		t.Fatalf("POST: %d %s", status, body)
	}
	hook.wait(t, 4) // processing and completed, each twice
	hook.mu.Lock()
	for i, b := range hook.bodies {
		if _, err := mock.VerifySignature("s3cret", hook.sigs[i], b); err != nil {
			t.Errorf("callback %d: %v", i, err)
		}
	}
	// --fault-duplicate 1: each state change is delivered twice.
	if got := strings.Join(hook.events, " "); got != "1 1 2 2" {
		t.Errorf("events delivered %q, want each twice: \"1 1 2 2\"", got)
	}
	hook.mu.Unlock()
}

func TestServeGivesUpUndeliveredCallbacksAfterDrain(t *testing.T) {
	hook := newHookServer(t, true)
	url, stderr, stop := startServe(t, nil, "--pending", "0s", "--processing", "0s", "--drain", "200ms")
	post(t, url, "k", `{"user_prompt":"wind","notify_hook":"`+hook.URL+`"}`)
	hook.wait(t, 1) // processing, hanging
	start := time.Now()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("shutdown took %s with --drain 200ms", elapsed)
	}
	logs := stderr.String()
	// The hanging processing delivery is cut off (failed at shutdown); the completed one never got a try.
	if !strings.Contains(logs, "callback given up at shutdown") || !strings.Contains(logs, "state=completed") {
		t.Errorf("no give-up log for the completed callback:\n%s", logs)
	}
}

func TestServeRejectsBadCallbackFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--fault-drop", "pending"},
		{"--callback-timeout", "0s"},
		{"--callback-allow", "10.0.0.0/99"},
		{"--fault-duplicate", "-1"},
	} {
		var stdout, stderr bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := Run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), &stdout, &stderr)
		cancel()
		if code := exitCode(err, &stderr); code != 2 {
			t.Errorf("%v: exit code %d, want 2 (%v)", args, code, err)
		}
	}
}

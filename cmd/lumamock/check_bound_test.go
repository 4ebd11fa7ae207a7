package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/internal/fakeapi"
)

// TestCheckConcludesAsSoonAsItKnows runs "lumamock check" with its default poll deadline and hook wait against
// upstreams whose lifecycle is proven broken, and with a short --run-timeout against one that answers after a
// minute: each must end in seconds with the right finding and exit status.
func TestCheckConcludesAsSoonAsItKnows(t *testing.T) {
	renamedState := fakeapi.Options{Key: checkKey, Shape: lumamock.ShapeLuma, Drift: func(a *fakeapi.Answer) {
		if s, ok := a.Body["state"]; ok && a.Status == http.StatusOK {
			a.Body["status"] = s
			delete(a.Body, "state")
		}
	}}
	afterTerminal := fakeapi.Options{Key: checkKey, Callbacks: true, States: []lumamock.TaskState{"pending"},
		CallbackStates: []lumamock.TaskState{"pending", "completed", "processing"}}
	slow := fakeapi.Options{Key: checkKey, Drift: func(a *fakeapi.Answer) { a.Delay = time.Minute }}
	// Only the poll interval is shortened: the poll deadline (10m), the hook wait (10s) and the request
	// timeout (30s) keep their defaults.
	base := []string{"check", "--api-key", checkKey, "--poll-interval", "5ms", "--billable", "1"}
	tests := []struct {
		name   string
		args   []string
		env    map[string]string
		within time.Duration
		want   int
		out    []string // in stdout
	}{
		{"renamed state field", []string{"--base-url", startCheckFake(t, renamedState)}, nil, 5 * time.Second, 1,
			[]string{"DRIFT", "state-unreadable", "/state"}},
		{"callback after the terminal state", []string{"--base-url", startCheckFake(t, afterTerminal), "--hook-listen", "127.0.0.1:0"}, nil, 5 * time.Second, 1,
			[]string{"DRIFT", "callback-order", "completed → processing"}},
		{"answers after a minute, --run-timeout", []string{"--base-url", startCheckFake(t, slow), "--run-timeout", "1s"}, nil, 3 * time.Second, 2,
			[]string{"NOT CHECKED", "run-timeout", "the whole run within 1s"}},
		{"answers after a minute, LUMAMOCK_RUN_TIMEOUT", []string{"--base-url", startCheckFake(t, slow)}, map[string]string{"LUMAMOCK_RUN_TIMEOUT": "1s"}, 3 * time.Second, 2,
			[]string{"NOT CHECKED", "run-timeout"}},
		{"negative --run-timeout", []string{"--base-url", "http://127.0.0.1:1", "--run-timeout", "-1s"}, nil, time.Second, 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setEnv(t, tt.env)
			ctx, cancel := context.WithTimeout(context.Background(), 4*tt.within)
			defer cancel()
			var stdout, stderr bytes.Buffer
			start := time.Now()
			err := Run(ctx, append(append([]string{}, base...), tt.args...), &stdout, &stderr)
			took := time.Since(start)
			if got := exitOf(err); got != tt.want {
				t.Errorf("exit %d (%v) after %s, want %d\nstdout:\n%s\nstderr:\n%s", got, err, took.Round(time.Millisecond), tt.want, stdout.String(), stderr.String())
			}
			if took > tt.within {
				t.Errorf("took %s, want at most %s", took.Round(time.Millisecond), tt.within)
			}
			for _, s := range tt.out {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout.String())
				}
			}
			if strings.Contains(stdout.String()+stderr.String(), checkKey) {
				t.Error("the API key appears in the output")
			}
		})
	}
}

package check_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/lumamock/lumamock/contract"
	"github.com/lumamock/lumamock/contract/check"
	"github.com/lumamock/lumamock/internal/fakeapi"
)

// TestRunTimeoutBoundsTheRun runs the checker against upstreams that answer after a minute, with a run bound of a
// second or two: the run must end at the bound, say so as a transport finding, and exit 2 when no case got an
// answer, else let the findings decide.
func TestRunTimeoutBoundsTheRun(t *testing.T) {
	const (
		bound = 1500 * time.Millisecond
		delay = 60 * time.Second // longer than the request timeout below: only the run bound ends the wait
	)
	tests := []struct {
		name     string
		delayed  func(*fakeapi.Answer) bool
		wantExit int
	}{
		{"every answer after 60 s", func(*fakeapi.Answer) bool { return true }, check.ExitNotChecked},
		{"polls answered after 60 s", func(a *fakeapi.Answer) bool { return a.Op == "get" && a.Status == http.StatusOK }, check.ExitDrift},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := startFake(t, fakeapi.Options{Key: testKey, Drift: func(a *fakeapi.Answer) {
				if tt.delayed(a) {
					a.Delay = delay
				}
			}})
			cfg := fastConfig(url)
			cfg.Billable = 1
			cfg.Timeout = check.DefaultTimeout
			cfg.Slow = check.DefaultSlow
			cfg.PollDeadline = check.DefaultPollDeadline
			cfg.RunTimeout = bound
			ctx, cancel := context.WithTimeout(context.Background(), 10*bound)
			defer cancel()
			start := time.Now()
			rep, err := check.Run(ctx, cfg)
			took := time.Since(start)
			if err != nil {
				t.Fatalf("Run: %v after %s", err, took.Round(time.Millisecond))
			}
			if took > bound+time.Second {
				t.Errorf("the run took %s, want about %s", took.Round(time.Millisecond), bound)
			}
			if got := rep.ExitCode(); got != tt.wantExit {
				t.Errorf("exit code %d, want %d\n%s", got, tt.wantExit, dump(t, rep))
			}
			w := want{contract.KindRunTimeout, contract.Transport, ""}
			if !hasFinding(rep.Drift(), w) {
				t.Errorf("no %s finding of kind %s\n%s", w.class, w.kind, dump(t, rep))
			}
			assertNoKey(t, rep)
			t.Logf("ended in %s", took.Round(time.Millisecond))
		})
	}
}

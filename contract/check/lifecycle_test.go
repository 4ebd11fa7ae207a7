package check_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/contract"
	"github.com/lumamock/lumamock/contract/check"
	"github.com/lumamock/lumamock/internal/fakeapi"
)

// concludeWithin is how long a run against an upstream whose lifecycle is proven broken may take. The poll
// deadline and the hook wait are left at their defaults (10 minutes, 10 seconds): a checker that waits them out
// fails here.
const concludeWithin = 5 * time.Second

// TestFollowStopsWhenTheLifecycleIsBroken runs the checker against upstreams whose task lifecycle cannot be
// followed, or is proven broken by polls or callbacks. Each must be reported, with the right class and exit
// code, in seconds rather than at the poll deadline.
func TestFollowStopsWhenTheLifecycleIsBroken(t *testing.T) {
	envelope, luma := lumamock.ShapeEnvelope, lumamock.ShapeLuma
	states := func(s ...lumamock.TaskState) []lumamock.TaskState { return s }
	tests := []struct {
		name  string
		opts  fakeapi.Options
		hooks bool
		wants []want
	}{
		{
			name: "renamed state field",
			opts: fakeapi.Options{Shape: luma, Drift: func(a *fakeapi.Answer) {
				if s, ok := a.Body["state"]; ok && a.Status == http.StatusOK {
					a.Body["status"] = s
					delete(a.Body, "state")
				}
			}},
			wants: []want{
				{contract.KindStateUnreadable, contract.Breaking, "/state"},
				{contract.KindMissingRequired, contract.Breaking, "/state"},
				{contract.KindUndocumentedField, contract.Additive, "/status"},
			},
		},
		{
			name: "state never readable",
			opts: fakeapi.Options{Shape: envelope, Drift: func(a *fakeapi.Answer) {
				if d, ok := a.Body["data"].(map[string]any); ok {
					d["task_status"] = nil
				}
			}},
			wants: []want{
				{contract.KindStateUnreadable, contract.Breaking, "/data/task_status"},
				{contract.KindTypeChanged, contract.Breaking, "/data/task_status"},
			},
		},
		{
			name:  "illegal transition, then stuck",
			opts:  fakeapi.Options{Shape: envelope, States: states("pending", "processing", "pending")},
			wants: []want{{contract.KindIllegalTransition, contract.Breaking, "/data/task_status"}},
		},
		{
			name:  "illegal transition, luma shape",
			opts:  fakeapi.Options{Shape: luma, States: states("pending", "processing", "pending", "processing")},
			wants: []want{{contract.KindIllegalTransition, contract.Breaking, "/state"}},
		},
		{
			name: "callback after the terminal state, GET still pending",
			opts: fakeapi.Options{Shape: luma, Callbacks: true, States: states("pending"),
				CallbackStates: states("pending", "completed", "processing")},
			hooks: true,
			wants: []want{{contract.KindCallbackOrder, contract.Breaking, "/state"}},
		},
		{
			name: "callbacks go backwards, GET still processing",
			opts: fakeapi.Options{Shape: envelope, Callbacks: true, States: states("pending", "processing"),
				CallbackStates: states("pending", "processing", "pending")},
			hooks: true,
			wants: []want{{contract.KindCallbackOrder, contract.Breaking, "/data/task_status"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Key = testKey
			cfg := fastConfig(startFake(t, tt.opts))
			cfg.Billable = 1
			cfg.PollDeadline = check.DefaultPollDeadline
			cfg.HookWait = check.DefaultHookWait
			if tt.hooks {
				cfg.HookListen = "127.0.0.1:0"
			}
			// The test's own bound: a checker that polls on until the deadline fails here, not after 10 minutes.
			ctx, cancel := context.WithTimeout(context.Background(), 4*concludeWithin)
			defer cancel()
			start := time.Now()
			rep, err := check.Run(ctx, cfg)
			took := time.Since(start)
			if err != nil {
				t.Fatalf("Run: %v after %s; a broken lifecycle must be concluded within %s", err, took.Round(time.Millisecond), concludeWithin)
			}
			if took > concludeWithin {
				t.Errorf("the run took %s, want at most %s", took.Round(time.Millisecond), concludeWithin)
			}
			if got := rep.ExitCode(); got != check.ExitDrift {
				t.Errorf("exit code %d, want %d\n%s", got, check.ExitDrift, dump(t, rep))
			}
			for _, w := range tt.wants {
				if !hasFinding(rep.Drift(), w) {
					t.Errorf("no %s finding of kind %s at %q\n%s", w.class, w.kind, w.pointer, dump(t, rep))
				}
			}
			assertNoKey(t, rep)
			t.Logf("concluded in %s", took.Round(time.Millisecond))
		})
	}
}

package mock_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

// TestEveryCallbackGivenUpIsJournaledOnce: a reset, an eviction and a shutdown journal each callback they give
// up exactly once, those the reorder fault holds back and those the late fault delays included, and nothing of
// the task's is journaled or sent after.
func TestEveryCallbackGivenUpIsJournaledOnce(t *testing.T) {
	faults := []struct {
		name   string
		prefer string
		want   []string // event:state:outcome:faults of the task's records after the give-up
	}{
		{"held back by reorder", "reorder", []string{"1:processing:%s:reorder"}},
		{"held back by reorder, duplicated", "reorder, duplicate=1", []string{"1:processing:%s:reorder", "1:processing:%s:reorder,duplicate"}},
		{"delayed by late", "late=1m", []string{"1:processing:%s:late"}},
		{"in flight", "", []string{"1:processing:%s:"}},
	}
	ends := []struct {
		name    string
		outcome string
		opts    mock.Options
		end     func(t *testing.T, srv *memServer)
	}{
		{"reset", mock.OutcomeCancelled, mock.Options{}, func(t *testing.T, srv *memServer) {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+mock.AdminPrefix+"/reset", nil)
			if status, _ := do(t, srv.Client, req); status != http.StatusNoContent {
				t.Fatalf("reset: status %d", status)
			}
		}},
		{"eviction", mock.OutcomeAbandoned, mock.Options{MaxTasks: 1}, func(t *testing.T, srv *memServer) {
			if status, _ := submit(t, srv, map[string]any{"user_prompt": "the newer task"}, ""); status != http.StatusOK {
				t.Fatalf("submit: status %d", status)
			}
		}},
		{"shutdown", mock.OutcomeAbandoned, mock.Options{}, func(t *testing.T, srv *memServer) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			_ = srv.Mock.Shutdown(ctx)
		}},
	}
	for _, end := range ends {
		for _, f := range faults {
			t.Run(end.name+"/"+f.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					srv := newMemServer(t, end.opts)
					hook := srv.hook()
					hook.RespondFunc(func(r *http.Request, _ mocktest.Delivery) int {
						<-r.Context().Done() // the callback in flight hangs until it is cut
						return 0
					})
					_, created := submit(t, srv, map[string]any{"user_prompt": "p", "notify_hook": hook.URL}, join("pending=0s, processing=1h", f.prefer))
					id := taskID(t, created)
					moved := make(chan struct{})
					go func() { // the move waits for the callback it makes, which the hook holds in flight
						defer close(moved)
						srv.Clock.Advance(0)
					}()
					synctest.Wait()
					end.end(t, srv)
					<-moved
					if end.name != "shutdown" {
						srv.Advance(2 * time.Hour) // nothing more of the task's may follow
					}
					synctest.Wait()
					var got []string
					for _, rec := range srv.Mock.Callbacks() {
						if rec.TaskID == id {
							got = append(got, fmt.Sprintf("%d:%s:%s:%s", rec.Event, rec.State, rec.Outcome, strings.Join(rec.Faults, ",")))
						}
					}
					var want []string
					for _, w := range f.want {
						want = append(want, fmt.Sprintf(w, end.outcome))
					}
					if !slices.Equal(got, want) {
						t.Errorf("journal of the task: %v, want %v", got, want)
					}
					if n := len(hook.Deliveries()); n != 0 {
						t.Errorf("the hook got %d callbacks", n)
					}
					if states := hook.States(id); slices.Contains(states, lumamock.StateCompleted) {
						t.Errorf("the task's end was sent after it was given up")
					}
				})
			})
		}
	}
}

func join(a, b string) string {
	if b == "" {
		return a
	}
	return a + ", " + b
}

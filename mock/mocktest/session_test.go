package mocktest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

// TestParallelSubtestsHaveSessionsOfTheirOwn: parallel subtests sharing one server, each with NewSession, see
// only their own tasks and callbacks, move only their own clock, and leave no session behind.
func TestParallelSubtestsHaveSessionsOfTheirOwn(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{})
	t.Run("suite", func(t *testing.T) {
		for _, wait := range []time.Duration{time.Second, 3 * time.Second, 10 * time.Second, 0} {
			t.Run("waits "+wait.String(), func(t *testing.T) {
				t.Parallel()
				sess := srv.NewSession(t)
				if err := mock.CheckSessionName(sess.Name); err != nil || !strings.HasPrefix(sess.Name, "TestParallel") {
					t.Fatalf("session name %q: %v", sess.Name, err)
				}
				hook := mocktest.NewHookReceiver(t)
				id := submitIn(t, srv, sess, hook.URL)
				sess.Advance(wait)
				want := []lumamock.TaskState{}
				switch {
				case wait >= 7*time.Second:
					want = []lumamock.TaskState{lumamock.StateProcessing, lumamock.StateCompleted}
				case wait >= 2*time.Second:
					want = []lumamock.TaskState{lumamock.StateProcessing}
				}
				if got := hook.States(id); !slices.Equal(got, want) {
					t.Errorf("after %s of its own time: %v, want %v", wait, got, want)
				}
				if tasks := sess.Mock.Tasks(); len(tasks) != 1 || tasks[0].ID != id {
					t.Errorf("its session keeps %+v", tasks)
				}
				if len(hook.Deliveries()) != len(want) {
					t.Errorf("its receiver got %d callbacks, want %d", len(hook.Deliveries()), len(want))
				}
			})
		}
	})
	if n := len(srv.Mock.Sessions()); n != 0 {
		t.Errorf("%d sessions left after the subtests", n)
	}
}

// TestSessionAdvanceWaitsForItsOwnCallbacksOnly: a session's Advance and WaitCallbacks wait for that session's
// callbacks, not for another session's: here session a's receiver holds a callback (as a test of timeouts
// would) while session b moves its clock and waits; b must be done while a's callback is still held.
func TestSessionAdvanceWaitsForItsOwnCallbacksOnly(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{CallbackTimeout: time.Minute})
	held, release := make(chan struct{}, 1), make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		held <- struct{}{}
		<-release
	}))
	t.Cleanup(hanging.Close)
	var releaseOnce sync.Once
	t.Cleanup(func() { releaseOnce.Do(func() { close(release) }) })
	a, b := srv.NewSession(t), srv.NewSession(t)
	hook := mocktest.NewHookReceiver(t)
	submitIn(t, srv, a, hanging.URL+"/hook")
	id := submitIn(t, srv, b, hook.URL)

	moved := make(chan struct{})
	go func() { // a's move waits for a's receiver, which holds its callback until released
		defer close(moved)
		if err := a.Mock.Advance(3 * time.Second); err != nil {
			t.Error(err)
		}
	}()
	<-held
	b.Advance(3 * time.Second)
	if got := hook.States(id); !slices.Equal(got, []lumamock.TaskState{lumamock.StateProcessing}) {
		t.Errorf("b's callbacks after b's Advance: %v, want [processing]", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := b.Mock.WaitCallbacks(ctx); err != nil {
		t.Errorf("b's WaitCallbacks: %v", err)
	}
	select {
	case <-moved:
		t.Error("a's move returned while a's receiver still held its callback")
	default:
	}
	select {
	case <-held:
		t.Error("a's receiver got another callback")
	default:
	}
	releaseOnce.Do(func() { close(release) })
	<-moved
}

// submitIn submits a task with notify_hook hook in session sess of srv and returns its id.
func submitIn(t *testing.T, srv *mocktest.Server, sess *mocktest.Session, hook string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, sess.URL+lumamock.PathGenerations,
		strings.NewReader(`{"user_prompt":"p","notify_hook":"`+hook+`"}`))
	req.Header.Set("Authorization", "Bearer k")
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env lumamock.TaskEnvelope
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || env.Data.TaskID == "" {
		t.Fatalf("submit in %s: %d %v", sess.Name, resp.StatusCode, err)
	}
	return env.Data.TaskID
}

package mocktest_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
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
				req, _ := http.NewRequest(http.MethodPost, sess.URL+lumamock.PathGenerations,
					strings.NewReader(`{"user_prompt":"p","notify_hook":"`+hook.URL+`"}`))
				req.Header.Set("Authorization", "Bearer k")
				req.Header.Set("Content-Type", "application/json")
				resp, err := srv.Client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				var env lumamock.TaskEnvelope
				_ = json.NewDecoder(resp.Body).Decode(&env)
				resp.Body.Close()
				sess.Advance(wait)
				want := []lumamock.TaskState{}
				switch {
				case wait >= 7*time.Second:
					want = []lumamock.TaskState{lumamock.StateProcessing, lumamock.StateCompleted}
				case wait >= 2*time.Second:
					want = []lumamock.TaskState{lumamock.StateProcessing}
				}
				if got := hook.States(env.Data.TaskID); !slices.Equal(got, want) {
					t.Errorf("after %s of its own time: %v, want %v", wait, got, want)
				}
				if tasks := sess.Mock.Tasks(); len(tasks) != 1 || tasks[0].ID != env.Data.TaskID {
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

package mocktest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

// A client test: submit a task with a notify_hook, move the virtual clock through the task's life, and check
// what the hook received. In a real test, t is the *testing.T.
func Example() {
	t := &exampleT{}
	defer t.cleanup()

	srv := mocktest.NewServer(t, mock.Options{Pending: 2 * time.Second, Processing: 5 * time.Second})
	hook := mocktest.NewHookReceiver(t)
	hook.Respond(http.StatusInternalServerError) // the first delivery fails, and is retried

	body := `{"user_prompt": "A gust of wind blows through the woods", "resolution": "1080p", "notify_hook": "` + hook.URL + `"}`
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/luma/generations", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer test-key")
	resp, err := srv.Client.Do(req)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	var submitted lumamock.TaskEnvelope
	_ = json.NewDecoder(resp.Body).Decode(&submitted)
	resp.Body.Close()
	fmt.Println("submitted:", submitted.Data.TaskStatus)

	srv.Advance(2 * time.Second)             // processing: delivery answered 500
	srv.Advance(mock.DefaultCallbackBackoff) // the retry succeeds
	srv.Advance(5 * time.Second)             // completed
	for _, d := range hook.Deliveries() {
		var task lumamock.TaskEnvelope
		_ = d.Decode(&task)
		fmt.Printf("event %d attempt %d: %s -> %d\n", d.Event, d.Attempt, task.Data.TaskStatus, d.Status)
	}
	var done lumamock.TaskEnvelope
	_ = hook.Deliveries()[2].Decode(&done)
	fmt.Printf("video %dx%d\n", done.Data.Video.Width, done.Data.Video.Height)
	fmt.Println("callback attempts journaled:", len(srv.Mock.Callbacks()))

	// Output:
	// submitted: pending
	// event 1 attempt 1: processing -> 500
	// event 1 attempt 2: processing -> 200
	// event 2 attempt 1: completed -> 200
	// video 1920x1080
	// callback attempts journaled: 3
}

// exampleT stands in for the *testing.T a real test has.
type exampleT struct{ cleanups []func() }

func (t *exampleT) Helper()                           {}
func (t *exampleT) Cleanup(f func())                  { t.cleanups = append(t.cleanups, f) }
func (t *exampleT) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (t *exampleT) cleanup() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}

// A parallel suite: one mock for the whole suite, and each test in its own session (Server.NewSession), with its
// own settings and clock; a test's tasks, journals and clock moves never reach another's. In a real suite each
// test is a subtest calling t.Parallel() and srv.NewSession(t); here three run in goroutines.
func Example_parallelSessions() {
	suite := &exampleT{}
	defer suite.cleanup()
	srv := mocktest.NewServer(suite, mock.Options{})

	outcomes := []lumamock.TaskState{lumamock.StateCompleted, lumamock.StateFailed, lumamock.StateCompleted}
	advances := []time.Duration{time.Second, 4 * time.Second, 4 * time.Second}
	results := make([]string, len(outcomes))
	var wg sync.WaitGroup
	for i, outcome := range outcomes {
		wg.Go(func() {
			t := &exampleT{} // the subtest's *testing.T
			defer t.cleanup()
			sess := srv.NewSession(t)
			sess.SetSettings(mock.Settings{Pending: time.Second, Processing: 3 * time.Second, Outcome: outcome,
				Schema: lumamock.ShapeEnvelope})

			// The client under test is given sess.URL as its base URL.
			req, _ := http.NewRequest(http.MethodPost, sess.URL+"/luma/generations", strings.NewReader(`{"user_prompt": "a fox"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer test-key")
			resp, err := srv.Client.Do(req)
			if err != nil {
				t.Fatalf("submit: %v", err)
			}
			var submitted lumamock.TaskEnvelope
			_ = json.NewDecoder(resp.Body).Decode(&submitted)
			resp.Body.Close()

			sess.Advance(advances[i]) // only this session's time moves
			task := sess.Task(submitted.Data.TaskID)
			results[i] = fmt.Sprintf("test %d: %s after %s of its own time; %d task(s) in its session", i,
				task.State, advances[i], len(sess.Mock.Tasks()))
		})
	}
	wg.Wait()
	for _, r := range results {
		fmt.Println(r)
	}
	fmt.Println("sessions left:", len(srv.Mock.Sessions()))

	// Output:
	// test 0: processing after 1s of its own time; 1 task(s) in its session
	// test 1: failed after 4s of its own time; 1 task(s) in its session
	// test 2: completed after 4s of its own time; 1 task(s) in its session
	// sessions left: 0
}

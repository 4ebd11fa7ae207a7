package mock_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

// lumaSubmit submits a task with key and hook in the luma shape, and returns the generation answered.
func lumaSubmit(t *testing.T, srv *mocktest.Server, key, hook string) lumamock.Generation {
	t.Helper()
	body := `{"user_prompt":"p"}`
	if hook != "" {
		body = fmt.Sprintf(`{"user_prompt":"p","notify_hook":%q}`, hook)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+lumamock.PathGenerations, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Prefer", "schema=luma")
	return lumaDo(t, srv, req)
}

// lumaGet polls task id in the luma shape.
func lumaGet(t *testing.T, srv *mocktest.Server, key, id string) lumamock.Generation {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+lumamock.PathGenerations+"/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Prefer", "schema=luma")
	return lumaDo(t, srv, req)
}

func lumaDo(t *testing.T, srv *mocktest.Server, req *http.Request) lumamock.Generation {
	t.Helper()
	resp, err := srv.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %d %s", req.Method, req.URL.Path, resp.StatusCode, data)
	}
	var g lumamock.Generation
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

// queueView is a task's state, queue_state and estimate_wait_seconds, as a client polling it sees them.
type queueView struct {
	state lumamock.TaskState
	queue string // "" for null
	wait  int    // -1 for null
}

func viewOf(g lumamock.Generation) queueView {
	v := queueView{state: g.State, wait: -1}
	if g.QueueState != nil {
		v.queue = *g.QueueState
	}
	if g.EstimateWaitSeconds != nil {
		v.wait = *g.EstimateWaitSeconds
	}
	return v
}

// TestCapacityTwoOfFive: with a capacity of 2 and five tasks (pending 1 s, processing 10 s), the third starts
// processing only when one of the first two ends; the waiting tasks' queue_state and estimate_wait_seconds
// shrink as the queue moves; a forced end frees a slot at once; and the callbacks come in the queue's order.
func TestCapacityTwoOfFive(t *testing.T) {
	hook := mocktest.NewHookReceiver(t)
	srv := mocktest.NewServer(t, mock.Options{Capacity: 2, Pending: time.Second, Processing: 10 * time.Second, CallbackWorkers: 1})
	var ids []string
	var answered []queueView
	for range 5 {
		g := lumaSubmit(t, srv, "key-a", hook.URL)
		ids = append(ids, g.ID)
		answered = append(answered, viewOf(g))
	}
	want := []queueView{{"pending", "1", 1}, {"pending", "2", 1}, {"pending", "3", 11}, {"pending", "4", 11}, {"pending", "5", 21}}
	if fmt.Sprint(answered) != fmt.Sprint(want) {
		t.Errorf("submissions answered %v, want %v", answered, want)
	}
	polls := func() []queueView {
		var out []queueView
		for _, id := range ids {
			out = append(out, viewOf(lumaGet(t, srv, "key-a", id)))
		}
		return out
	}
	steps := []struct {
		advance time.Duration // from the step before
		want    []queueView
	}{
		{time.Second, []queueView{{"processing", "", -1}, {"processing", "", -1}, {"pending", "1", 10}, {"pending", "2", 10}, {"pending", "3", 20}}},
		{9*time.Second + 999*time.Millisecond, []queueView{{"processing", "", -1}, {"processing", "", -1}, {"pending", "1", 1}, {"pending", "2", 1}, {"pending", "3", 11}}},
		{time.Millisecond, []queueView{{"completed", "", -1}, {"completed", "", -1}, {"processing", "", -1}, {"processing", "", -1}, {"pending", "1", 10}}},
		{2 * time.Second, []queueView{{"completed", "", -1}, {"completed", "", -1}, {"processing", "", -1}, {"processing", "", -1}, {"pending", "1", 8}}},
	}
	for i, step := range steps {
		srv.Advance(step.advance)
		if got := polls(); fmt.Sprint(got) != fmt.Sprint(step.want) {
			t.Errorf("step %d (%s): polls %v, want %v", i, srv.Clock.Now().Sub(mocktest.Start), got, step.want)
		}
	}
	// At 13 s the third is completed by hand: its slot goes to the fifth at once.
	srv.Complete(ids[2])
	if got := viewOf(lumaGet(t, srv, "key-a", ids[4])); got.state != lumamock.StateProcessing {
		t.Errorf("the fifth after the third was completed: %v, want processing", got)
	}
	if rec := srv.Task(ids[4]); rec.History[1].At.Sub(mocktest.Start) != 13*time.Second {
		t.Errorf("the fifth started processing at %s, want 13s", rec.History[1].At.Sub(mocktest.Start))
	}
	srv.Advance(10 * time.Second)
	var order []string
	for _, d := range hook.Deliveries() {
		for i, id := range ids {
			if d.TaskID == id {
				order = append(order, fmt.Sprintf("%d %s", i+1, d.State))
			}
		}
	}
	wantOrder := []string{"1 processing", "2 processing", "1 completed", "3 processing", "2 completed", "4 processing",
		"3 completed", "5 processing", "4 completed", "5 completed"}
	if fmt.Sprint(order) != fmt.Sprint(wantOrder) {
		t.Errorf("callbacks came in the order\n%v\nwant\n%v", order, wantOrder)
	}
}

// TestCapacityIsPerKey: another API key's tasks do not wait in the first key's queue.
func TestCapacityIsPerKey(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{Capacity: 1, Pending: mock.Immediate, Processing: time.Minute})
	lumaSubmit(t, srv, "key-a", "")
	if got := viewOf(lumaSubmit(t, srv, "key-a", "")); got != (queueView{"pending", "1", 60}) {
		t.Errorf("key-a's second task: %v, want pending, first in the queue, 60 s to wait", got)
	}
	if got := viewOf(lumaGet(t, srv, "key-b", lumaSubmit(t, srv, "key-b", "").ID)); got.state != lumamock.StateProcessing {
		t.Errorf("key-b's first task: %v, want processing at once", got)
	}
}

// TestCapacityResetEmptiesTheQueue: after a reset, a new task does not wait for the tasks forgotten.
func TestCapacityResetEmptiesTheQueue(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{Capacity: 1, Pending: mock.Immediate, Processing: time.Minute})
	lumaSubmit(t, srv, "k", "")
	lumaSubmit(t, srv, "k", "")
	srv.Mock.Reset()
	if got := viewOf(lumaGet(t, srv, "k", lumaSubmit(t, srv, "k", "").ID)); got.state != lumamock.StateProcessing {
		t.Errorf("after a reset: %v, want processing at once", got)
	}
}

// TestCapacityFailWhileWaiting: a waiting task failed by hand never starts; the one behind it moves up, and the
// admin API shows each waiting task's queue position.
func TestCapacityFailWhileWaiting(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{Capacity: 1, Pending: mock.Immediate, Processing: time.Minute})
	var ids []string
	for range 3 {
		ids = append(ids, lumaSubmit(t, srv, "k", "").ID)
	}
	if got := []int{srv.Task(ids[0]).QueuePosition, srv.Task(ids[1]).QueuePosition, srv.Task(ids[2]).QueuePosition}; fmt.Sprint(got) != "[0 1 2]" {
		t.Errorf("queue positions %v, want [0 1 2]", got)
	}
	srv.Advance(10 * time.Second)
	srv.Fail(ids[1])
	rec := srv.Task(ids[1])
	if len(rec.History) != 2 || rec.History[1].State != lumamock.StateFailed {
		t.Errorf("the failed waiting task's history %v, want pending then failed", rec.History)
	}
	if got := viewOf(lumaGet(t, srv, "k", ids[2])); got != (queueView{"pending", "1", 50}) {
		t.Errorf("the third: %v, want first in the queue, 50 s to wait", got)
	}
	srv.Advance(50 * time.Second)
	if got := viewOf(lumaGet(t, srv, "k", ids[2])); got.state != lumamock.StateProcessing {
		t.Errorf("the third at 60 s: %v, want processing", got)
	}
}

// TestCapacityEvictedTasksLeaveTheQueue: a task forgotten to make room (MaxTasks) no longer holds a slot.
func TestCapacityEvictedTasksLeaveTheQueue(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{Capacity: 1, MaxTasks: 2, Pending: mock.Immediate, Processing: time.Minute})
	lumaSubmit(t, srv, "k", "")
	second := lumaSubmit(t, srv, "k", "")
	lumaSubmit(t, srv, "k", "") // the first is forgotten: the second starts now
	if got := viewOf(lumaGet(t, srv, "k", second.ID)); got.state != lumamock.StateProcessing {
		t.Errorf("the second once the first was forgotten: %v, want processing", got)
	}
}

// TestCapacityMustNotBeNegative: New refuses a negative Capacity, naming it.
func TestCapacityMustNotBeNegative(t *testing.T) {
	if _, err := mock.New(mock.Options{Capacity: -1}); err == nil || !strings.Contains(err.Error(), "Capacity") {
		t.Errorf("New: %v, want an error naming Capacity", err)
	}
}

// TestCapacityPerSession: a session's capacity setting queues its tasks only; another session keeps the
// server's (none).
func TestCapacityPerSession(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{Pending: mock.Immediate, Processing: time.Minute})
	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/__mock/sessions/busy/settings", strings.NewReader(`{"capacity":1,"pending":"0s","processing":"1m"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT settings: %d", resp.StatusCode)
	}
	states := func(session string) []string {
		var out []string
		for range 2 {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/__session/"+session+lumamock.PathGenerations, strings.NewReader(`{"user_prompt":"p"}`))
			req.Header.Set("Authorization", "Bearer k")
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Prefer", "schema=luma")
			g := lumaDo(t, srv, req)
			get, _ := http.NewRequest(http.MethodGet, srv.URL+"/__session/"+session+lumamock.PathGenerations+"/"+g.ID, nil)
			get.Header.Set("Authorization", "Bearer k")
			get.Header.Set("Prefer", "schema=luma")
			v := viewOf(lumaDo(t, srv, get))
			out = append(out, fmt.Sprintf("%s %s", v.state, v.queue))
		}
		return out
	}
	if got := fmt.Sprint(states("busy")); got != "[processing  pending 1]" {
		t.Errorf("session busy: %s, want the second task waiting first in the queue", got)
	}
	if got := fmt.Sprint(states("idle")); got != "[processing  processing ]" {
		t.Errorf("session idle: %s, want both processing", got)
	}
}

package mock_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

// TestTaskMemoryIsBounded checks that large prompts cannot grow the task store past MaxTaskMemory: the oldest
// tasks are forgotten first, the newest is always kept.
func TestTaskMemoryIsBounded(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{MaxTaskMemory: 20 << 10})
	var ids []string
	for range 10 {
		_, body := submit(t, srv, map[string]any{"user_prompt": strings.Repeat("p", 8<<10)}, "")
		ids = append(ids, body["data"].(map[string]any)["task_id"].(string))
	}
	tasks := srv.Mock.Tasks()
	if len(tasks) == 0 || len(tasks) > 2 {
		t.Fatalf("%d tasks kept of 8 KiB prompts under a 20 KiB budget, want 1 or 2", len(tasks))
	}
	if last := tasks[len(tasks)-1].ID; last != ids[len(ids)-1] {
		t.Errorf("newest task kept is %s, want %s", last, ids[len(ids)-1])
	}
	if _, err := srv.Mock.Task(ids[0]); err == nil {
		t.Error("the oldest task is still kept")
	}
}

// TestAdminWrongMethod checks the admin API answers a wrong method with 405 and Allow, and an unknown path with
// 404, both in JSON.
func TestAdminWrongMethod(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{})
	for _, tt := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{http.MethodDelete, "/__mock/reset", http.StatusMethodNotAllowed, "POST"},
		{http.MethodPost, "/__mock/requests", http.StatusMethodNotAllowed, "GET, HEAD"},
		{http.MethodPost, "/healthz", http.StatusMethodNotAllowed, "GET, HEAD"},
		{http.MethodGet, "/__mock/nothing", http.StatusNotFound, ""},
	} {
		req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
		resp, err := srv.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || resp.Header.Get("Allow") != tt.allow || err != nil || body["error"] == nil {
			t.Errorf("%s %s: %d Allow %q body %v (%v); want %d Allow %q and a JSON error", tt.method, tt.path,
				resp.StatusCode, resp.Header.Get("Allow"), body, err, tt.status, tt.allow)
		}
	}
}

// TestSlowReceiverCannotHoldEveryWorker checks that one receiver that never answers, with more tasks than there
// are workers, leaves workers for the others: another receiver's callback still arrives.
func TestSlowReceiverCannotHoldEveryWorker(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{CallbackWorkers: 4, CallbackTimeout: time.Minute})
	slow, fast := mocktest.NewHookReceiver(t), mocktest.NewHookReceiver(t)
	release, moved := make(chan struct{}), make(chan struct{})
	slow.RespondFunc(func(mocktest.Delivery) int { <-release; return http.StatusOK })
	t.Cleanup(func() { <-moved })        // then the move, which waits for the slow deliveries, ends
	t.Cleanup(func() { close(release) }) // runs first: the slow receiver lets go before the servers close

	for range 6 {
		if status, body := submit(t, srv, map[string]any{"user_prompt": "p", "notify_hook": slow.URL}, "pending=1s"); status != http.StatusOK {
			t.Fatalf("submit: %d %v", status, body)
		}
	}
	if status, body := submit(t, srv, map[string]any{"user_prompt": "p", "notify_hook": fast.URL}, "pending=1s"); status != http.StatusOK {
		t.Fatalf("submit: %d %v", status, body)
	}
	go func() {
		defer close(moved)
		srv.Clock.Advance(time.Second) // every task's processing callback falls due; the slow ones hang
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := fast.Wait(ctx, 1); err != nil {
		t.Fatalf("the other receiver got nothing while the slow one held its deliveries: %v", err)
	}
}

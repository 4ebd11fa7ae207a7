package client_test

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

func TestTaskCallsItsHookUntilCompleted(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{}) // the mock on httptest, its clock stopped until Advance
	hook := mocktest.NewHookReceiver(t)          // a notify_hook that records each callback
	hook.Respond(http.StatusInternalServerError) // the first callback gets a 500, so it is retried

	// What your client does: submit a task with a notify_hook.
	body := `{"user_prompt": "A gust of wind blows through the woods", "notify_hook": "` + hook.URL + `"}`
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/luma/generations", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer test-key")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var task lumamock.TaskEnvelope // the default shape; lumamock.Generation answers Prefer: schema=luma
	if err := json.NewDecoder(resp.Body).Decode(&task); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || task.Data.TaskStatus != lumamock.StatePending {
		t.Fatalf("submit: %d, task %+v", resp.StatusCode, task.Data)
	}
	id := task.Data.TaskID

	srv.Advance(2 * time.Second)                  // pending → processing: the callback is answered 500
	srv.Advance(mock.DefaultCallbackBackoff)      // its retry is answered 200
	srv.WaitForState(id, lumamock.StateCompleted) // the clock moves to the end; the last callback arrives

	want := []lumamock.TaskState{lumamock.StateProcessing, lumamock.StateProcessing, lumamock.StateCompleted}
	if got := hook.States(id); !slices.Equal(got, want) {
		t.Errorf("callback states = %v, want %v", got, want)
	}
}

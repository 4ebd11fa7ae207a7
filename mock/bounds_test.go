package mock_test

import (
	"strings"
	"testing"

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
	tasks := srv.Tasks()
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

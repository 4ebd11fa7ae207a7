package mock_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

// sixTasks makes tasks numbered 1..6: pending, pending, completed, failed, processing, completed.
func sixTasks(t *testing.T, srv *mocktest.Server) []string {
	t.Helper()
	prefers := []string{"", "", "pending=0s, processing=0s", "", "pending=0s", ""}
	var ids []string
	for _, prefer := range prefers {
		_, created := submit(t, srv, map[string]any{"user_prompt": "p"}, prefer)
		ids = append(ids, taskID(t, created))
	}
	srv.Fail(ids[3])
	srv.Complete(ids[5])
	return ids
}

func TestTasksPage(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{})
	ids := sixTasks(t, srv)
	allCounts := "pending=2, processing=1, completed=2, failed=1"
	tests := []struct {
		name       string
		query      string
		want       []int64
		wantTotal  string // X-Total-Count; "" when the read does not page
		wantCounts string
	}{
		{name: "no parameters: every task, as before", query: "", want: []int64{1, 2, 3, 4, 5, 6}},
		{name: "limit", query: "limit=2", want: []int64{1, 2}, wantTotal: "6", wantCounts: allCounts},
		{name: "since pages forward", query: "since=2&limit=2", want: []int64{3, 4}, wantTotal: "6", wantCounts: allCounts},
		{name: "before pages back", query: "before=5&limit=2", want: []int64{3, 4}, wantTotal: "6", wantCounts: allCounts},
		{name: "before above the newest gives the newest", query: "before=9007199254740991&limit=2", want: []int64{5, 6}, wantTotal: "6", wantCounts: allCounts},
		{name: "since the newest is empty", query: "since=6", want: []int64{}, wantTotal: "6", wantCounts: allCounts},
		{name: "state", query: "state=pending", want: []int64{1, 2}, wantTotal: "2", wantCounts: allCounts},
		{name: "states as a list", query: "state=completed,failed", want: []int64{3, 4, 6}, wantTotal: "3", wantCounts: allCounts},
		{name: "states repeated", query: "state=completed&state=processing", want: []int64{3, 5, 6}, wantTotal: "3", wantCounts: allCounts},
		{name: "state and before", query: "state=completed&before=99&limit=1", want: []int64{6}, wantTotal: "2", wantCounts: allCounts},
		{name: "id, any case", query: "id=" + strings.ToUpper(ids[2]), want: []int64{3}, wantTotal: "1",
			wantCounts: "pending=0, processing=0, completed=1, failed=0"},
		{name: "id matching none", query: "id=no-such-task", want: []int64{}, wantTotal: "0",
			wantCounts: "pending=0, processing=0, completed=0, failed=0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := srv.Client.Get(srv.URL + "/__mock/tasks?" + tt.query)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var recs []mock.TaskRecord
			strictJSON(t, resp, &recs)
			got := []int64{}
			for _, r := range recs {
				got = append(got, r.Seq)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("GET /__mock/tasks?%s seqs (-want +got):\n%s", tt.query, diff)
			}
			if got := resp.Header.Get(mock.HeaderTotalCount); got != tt.wantTotal {
				t.Errorf("%s: %q, want %q", mock.HeaderTotalCount, got, tt.wantTotal)
			}
			if got := resp.Header.Get(mock.HeaderTaskCounts); got != tt.wantCounts {
				t.Errorf("%s: %q, want %q", mock.HeaderTaskCounts, got, tt.wantCounts)
			}
		})
	}
}

func TestTasksPageRefusesMalformedQueries(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{})
	tests := []struct{ query, names string }{
		{"state=done", "state"},
		{"state=pending,", "state"},
		{"limit=x", "limit"},
		{"since=1&before=3", "before"},
		{"before=-1", "before"},
		{"before=99999999999999999999", "before"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			resp, err := srv.Client.Get(srv.URL + "/__mock/tasks?" + tt.query)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct{ Error string }
			_ = json.NewDecoder(resp.Body).Decode(&body)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body.Error, tt.names) {
				t.Errorf("status %d, error %q; want 400 naming %s", resp.StatusCode, body.Error, tt.names)
			}
		})
	}
}

func TestTaskRecordsNumberAcrossResetAndShowResults(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{})
	ids := sixTasks(t, srv)
	completed, failed := srv.Task(ids[2]), srv.Task(ids[3])
	if completed.Result == nil || !strings.HasPrefix(completed.Result.Video, "https://") || completed.Result.Thumbnail == "" {
		t.Errorf("completed task's result = %+v, want its asset URLs", completed.Result)
	}
	if failed.Result == nil || failed.Result.FailureReason == "" || failed.Result.Video != "" {
		t.Errorf("failed task's result = %+v, want a failure reason only", failed.Result)
	}
	if pending := srv.Task(ids[0]); pending.Result != nil {
		t.Errorf("pending task's result = %+v, want none", pending.Result)
	}
	srv.Mock.Reset()
	_, created := submit(t, srv, map[string]any{"user_prompt": "p"}, "")
	if got := srv.Task(taskID(t, created)).Seq; got != 7 {
		t.Errorf("first task after reset: seq %d, want 7 (numbering goes on)", got)
	}
}

func TestJournalReadsPageBackAndTellBounds(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{JournalSize: 4})
	_, created := submit(t, srv, map[string]any{"user_prompt": "p"}, "")
	id := taskID(t, created)
	for range 3 {
		get(t, srv, id)
	}
	get(t, srv, "unknown-task")                                // 404, not valid
	submit(t, srv, map[string]any{"model_name": "ray-v2"}, "") // refused: no user_prompt; journal keeps 3..6
	tests := []struct {
		query       string
		want        []int64
		first, last string
	}{
		{query: "before=99&limit=2", want: []int64{5, 6}, first: "3", last: "6"},
		{query: "before=5", want: []int64{3, 4}, first: "3", last: "6"},
		{query: "valid=false", want: []int64{5, 6}, first: "3", last: "6"},
		{query: "task_id=" + id + "&before=99", want: []int64{3, 4}, first: "3", last: "6"},
		{query: "since=6", want: []int64{}, first: "3", last: "6"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			resp, err := srv.Client.Get(srv.URL + "/__mock/requests?" + tt.query)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var recs []mock.RequestRecord
			strictJSON(t, resp, &recs)
			got := []int64{}
			for _, r := range recs {
				got = append(got, r.Seq)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("seqs (-want +got):\n%s", diff)
			}
			if f, l := resp.Header.Get("X-Lumamock-First-Seq"), resp.Header.Get("X-Lumamock-Last-Seq"); f != tt.first || l != tt.last {
				t.Errorf("bounds %s..%s, want %s..%s", f, l, tt.first, tt.last)
			}
		})
	}
	var recs []mock.RequestRecord
	if status := admin(t, srv, http.MethodGet, "/__mock/requests?valid=maybe", &recs); status != http.StatusBadRequest {
		t.Errorf("valid=maybe: status %d, want 400", status)
	}
}

func TestRequestRecordsTellThePreferApplied(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{})
	submit(t, srv, map[string]any{"user_prompt": "p"}, "pending=0s, schema=luma")
	recs := srv.Mock.Requests()
	if len(recs) != 1 {
		t.Fatalf("%d requests journaled, want 1", len(recs))
	}
	if diff := cmp.Diff([]string{"pending=0s", "schema=luma"}, recs[0].PreferApplied); diff != "" {
		t.Errorf("prefer_applied (-want +got):\n%s", diff)
	}
}

// strictJSON decodes resp's body into v, failing on a status other than 200 or a body that is not JSON.
func strictJSON(t *testing.T, resp *http.Response, v any) {
	t.Helper()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
}

func TestCallbackRecordsSayWhetherSigned(t *testing.T) {
	for _, tt := range []struct {
		name   string
		secret string
		want   bool
	}{{"with a secret", "whsec_test", true}, {"without", "", false}} {
		t.Run(tt.name, func(t *testing.T) {
			srv := mocktest.NewServer(t, mock.Options{Pending: mock.Immediate, Processing: time.Hour, CallbackSecret: tt.secret})
			hook := mocktest.NewHookReceiver(t)
			submit(t, srv, map[string]any{"user_prompt": "p", "notify_hook": hook.URL}, "")
			srv.Advance(0)
			recs := srv.Mock.Callbacks()
			if len(recs) == 0 {
				t.Fatal("no callback journaled")
			}
			for _, rec := range recs {
				if rec.Signed != tt.want {
					t.Errorf("callback %d (attempt %d): signed %v, want %v", rec.Seq, rec.Attempt, rec.Signed, tt.want)
				}
			}
		})
	}
}

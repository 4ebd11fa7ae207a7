package mock_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

// admin GETs an admin endpoint and decodes its JSON into v, returning the status.
func admin(t *testing.T, srv any, method, path string, v any) int {
	t.Helper()
	base, client := api(t, srv)
	req, err := http.NewRequest(method, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if v != nil && resp.StatusCode < 300 {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

func TestRequestJournalRedactsAndGivesTheVerdict(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{JournalBodyLimit: 40})
	_, created := submit(t, srv, map[string]any{"user_prompt": "a valid request"}, "")
	submit(t, srv, map[string]any{"user_prompt": "", "resolution": "4k", "padding": strings.Repeat("x", 100)}, "")
	submit(t, srv, map[string]any{"user_prompt": "forced"}, "code=429")

	var recs []mock.RequestRecord
	if status := admin(t, srv, http.MethodGet, "/__mock/requests", &recs); status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	if diff := cmp.Diff(srv.Mock.Requests(), recs); diff != "" {
		t.Errorf("HTTP and Go journals differ (-Go +HTTP):\n%s", diff)
	}
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3", len(recs))
	}
	type verdict struct {
		Seq       int64
		Method    string
		Path      string
		Status    int
		Valid     bool
		TaskID    string
		Truncated bool
		Fields    []string
	}
	var got []verdict
	for _, r := range recs {
		v := verdict{r.Seq, r.Method, r.Path, r.Status, r.Valid, r.TaskID, r.BodyTruncated, nil}
		for _, viol := range r.Violations {
			v.Fields = append(v.Fields, viol.Field)
		}
		got = append(got, v)
		if auth := r.Header.Get("Authorization"); auth != "Bearer [redacted]" {
			t.Errorf("record %d: Authorization %q, want it redacted", r.Seq, auth)
		}
		if r.RequestID == "" || !r.At.Equal(mocktest.Start) {
			t.Errorf("record %d: request id %q at %s", r.Seq, r.RequestID, r.At)
		}
	}
	want := []verdict{
		{1, "POST", lumamock.PathGenerations, 200, true, taskID(t, created), false, nil},
		{2, "POST", lumamock.PathGenerations, 400, false, "", true, []string{"/resolution", "/user_prompt"}},
		{3, "POST", lumamock.PathGenerations, 429, true, "", false, nil},
	}
	if diff := cmp.Diff(want, got, cmpSortFields); diff != "" {
		t.Errorf("verdicts (-want +got):\n%s", diff)
	}
	if recs[0].Body != `{"user_prompt":"a valid request"}` || len(recs[1].Body) != 40 {
		t.Errorf("bodies %q and %q", recs[0].Body, recs[1].Body)
	}
}

// cmpSortFields ignores the order of violation fields.
var cmpSortFields = cmp.Transformer("sorted", func(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
})

func TestJournalsAndTasksAreBounded(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{JournalSize: 3, MaxTasks: 2, Pending: time.Second, Processing: time.Second})
	hook := mocktest.NewHookReceiver(t)
	var ids []string
	for range 5 {
		_, created := submit(t, srv, map[string]any{"user_prompt": "p", "notify_hook": hook.URL}, "")
		ids = append(ids, taskID(t, created))
	}
	var seqs []int64
	for _, r := range srv.Mock.Requests() {
		seqs = append(seqs, r.Seq)
	}
	if diff := cmp.Diff([]int64{3, 4, 5}, seqs); diff != "" {
		t.Errorf("request journal seqs (-want +got):\n%s", diff)
	}
	var kept []string
	for _, tr := range srv.Mock.Tasks() {
		kept = append(kept, tr.ID)
	}
	if diff := cmp.Diff(ids[3:], kept); diff != "" {
		t.Errorf("tasks kept (-want +got):\n%s", diff)
	}
	if status, _ := get(t, srv, ids[0]); status != http.StatusNotFound {
		t.Errorf("GET of an evicted task: status %d, want 404", status)
	}
	// Evicted tasks schedule nothing: only the two kept have a timer.
	if n := mock.SessionTimers(srv.Mock.Default()); n != 2 {
		t.Errorf("%d timers pending, want 2 (one per kept task)", n)
	}
	srv.Advance(2 * time.Second)
	if n := len(hook.Deliveries()); n != 4 {
		t.Errorf("%d deliveries, want 4 (two kept tasks, two state changes each)", n)
	}
	if n := len(srv.Mock.Callbacks()); n != 3 {
		t.Errorf("callback journal holds %d, want its cap of 3", n)
	}
}

func TestAdminAPI(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{Pending: time.Second, Processing: time.Second})
	hook := mocktest.NewHookReceiver(t)
	_, created := submit(t, srv, map[string]any{"user_prompt": "p", "notify_hook": hook.URL}, "duplicate=1")
	id := taskID(t, created)

	var tasks []mock.TaskRecord
	admin(t, srv, http.MethodGet, "/__mock/tasks", &tasks)
	if len(tasks) != 1 || tasks[0].ID != id || tasks[0].State != lumamock.StatePending || tasks[0].Faults.Duplicate != 1 ||
		tasks[0].Next == nil || tasks[0].Next.State != lumamock.StateProcessing {
		t.Errorf("tasks %+v", tasks)
	}
	srv.Advance(time.Second)
	var cbs []mock.CallbackRecord
	admin(t, srv, http.MethodGet, "/__mock/callbacks?task_id="+id, &cbs)
	if len(cbs) != 2 || cbs[0].Outcome != mock.OutcomeDelivered || cbs[1].Faults[0] != "duplicate" {
		t.Errorf("callbacks %+v", cbs)
	}
	admin(t, srv, http.MethodGet, "/__mock/callbacks?task_id=other", &cbs)
	if len(cbs) != 0 {
		t.Errorf("callbacks of another task: %+v", cbs)
	}
	if status := admin(t, srv, http.MethodGet, "/__mock/tasks/nope", nil); status != http.StatusNotFound {
		t.Errorf("unknown task: %d", status)
	}
	if status := admin(t, srv, http.MethodGet, "/__mock/nothing", nil); status != http.StatusNotFound {
		t.Errorf("unknown admin path: %d", status)
	}
	var health map[string]string
	if status := admin(t, srv, http.MethodGet, "/healthz", &health); status != http.StatusOK || health["status"] != "ok" {
		t.Errorf("healthz: %d %v", status, health)
	}

	if status := admin(t, srv, http.MethodPost, "/__mock/reset", nil); status != http.StatusNoContent {
		t.Fatalf("reset: %d", status)
	}
	if n := len(srv.Mock.Tasks()) + len(srv.Mock.Requests()) + len(srv.Mock.Callbacks()); n != 0 {
		t.Errorf("%d records after reset", n)
	}
	if status, _ := get(t, srv, id); status != http.StatusNotFound {
		t.Errorf("GET after reset: %d", status)
	}
	srv.Advance(time.Hour)
	if n := len(hook.Deliveries()); n != 2 {
		t.Errorf("%d deliveries, want the 2 from before the reset and none after", n)
	}
}

func TestCallbackJournalCutsLargeBodies(t *testing.T) {
	const limit = 4096
	tests := []struct {
		name   string
		prompt string
		cut    bool
	}{
		{"small body kept whole", "a gust of wind", false},
		{"large body cut", strings.Repeat("wind ", 4000), true},
		{"cut at a character boundary", strings.Repeat("一阵风", 3000), true},
		{"quotes and escapes", strings.Repeat(`"\<&>`, 2000), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := newMemServer(t, mock.Options{Schema: lumamock.ShapeLuma, JournalBodyLimit: limit})
				hook := srv.hook()
				submit(t, srv, map[string]any{"user_prompt": tt.prompt, "notify_hook": hook.URL}, "pending=0s, processing=0s")
				srv.Advance(0)
				sent := hook.Deliveries() // processing and completed
				if len(sent) != 2 {
					t.Fatalf("%d deliveries, want 2", len(sent))
				}

				// What the admin API answers.
				resp, err := srv.Client.Get(srv.URL + "/__mock/callbacks")
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var raw []map[string]json.RawMessage
				if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
					t.Fatalf("the callback journal is not valid JSON: %v", err)
				}
				if len(raw) != len(sent) {
					t.Fatalf("%d journal records for %d deliveries", len(raw), len(sent))
				}
				for i, rec := range raw {
					full := sent[i].Body
					var truncated bool
					var size int
					if err := json.Unmarshal(rec["body_bytes"], &size); err != nil || size != len(full) {
						t.Errorf("record %d: body_bytes %s, want %d", i, rec["body_bytes"], len(full))
					}
					if b, ok := rec["body_truncated"]; ok {
						if err := json.Unmarshal(b, &truncated); err != nil {
							t.Fatal(err)
						}
					}
					if truncated != tt.cut {
						t.Errorf("record %d: body_truncated %v, want %v", i, truncated, tt.cut)
					}
					if !tt.cut {
						var got, want any
						if err := json.Unmarshal(rec["body"], &got); err != nil {
							t.Fatal(err)
						}
						if err := json.Unmarshal(full, &want); err != nil {
							t.Fatal(err)
						}
						if diff := cmp.Diff(want, got); diff != "" {
							t.Errorf("record %d: body (-sent +journaled):\n%s", i, diff)
						}
						continue
					}
					var start string
					if err := json.Unmarshal(rec["body"], &start); err != nil {
						t.Fatalf("record %d: a cut body is not a JSON string: %v: %.80s", i, err, rec["body"])
					}
					if len(start) > limit || len(start) < limit-3 || !strings.HasPrefix(string(full), start) {
						t.Errorf("record %d: cut body of %d bytes is not the start of the body sent, cut near %d bytes", i, len(start), limit)
					}
					if !utf8.ValidString(start) {
						t.Errorf("record %d: cut body is not valid UTF-8", i)
					}
				}

				// What the journal keeps in memory: the body sent is not.
				for _, rec := range srv.Mock.Callbacks() {
					if tt.cut && cap(rec.Body) > 2*limit+limit/2 {
						t.Errorf("record %d keeps %d bytes for a %d-byte body cut at %d", rec.Seq, cap(rec.Body), rec.BodyBytes, limit)
					}
				}
			})
		})
	}
}

func TestJournalByteBudgetForgetsTheOldest(t *testing.T) {
	const entries, bodySize = 6, 8 << 10
	tests := []struct {
		name     string
		maxBytes int64
		min, max int // entries each journal keeps; max 0 means all
	}{
		{"budget fits them all", 1 << 20, entries, 0},
		{"budget fits two at most", 20 << 10, 1, 2},
		{"budget smaller than one keeps the newest", 1 << 10, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := newMemServer(t, mock.Options{Schema: lumamock.ShapeLuma, JournalMaxBytes: tt.maxBytes})
				hook := srv.hook()
				for i := range entries {
					// One request and two callbacks (processing, completed) per task.
					submit(t, srv, map[string]any{"user_prompt": strings.Repeat("w", bodySize), "notify_hook": hook.URL},
						"pending=0s, processing=0s")
					srv.Advance(0)
					if n := len(hook.Deliveries()); n != 2*(i+1) {
						t.Fatalf("%d deliveries, want %d", n, 2*(i+1))
					}
				}
				var reqs []mock.RequestRecord
				admin(t, srv, http.MethodGet, "/__mock/requests", &reqs)
				var cbs []mock.CallbackRecord
				admin(t, srv, http.MethodGet, "/__mock/callbacks", &cbs)
				for _, j := range []struct {
					name  string
					seqs  []int64
					total int // journaled in all
				}{
					{"requests", seqsOf(reqs, func(r mock.RequestRecord) int64 { return r.Seq }), entries},
					{"callbacks", seqsOf(cbs, func(r mock.CallbackRecord) int64 { return r.Seq }), 2 * entries},
				} {
					n, most := len(j.seqs), tt.max
					if most == 0 {
						most = j.total
					}
					if n < tt.min || n > most {
						t.Errorf("%s journal keeps %d entries, want %d to %d", j.name, n, tt.min, most)
						continue
					}
					// The newest are kept, the oldest forgotten.
					var want []int64
					for seq := int64(j.total - n + 1); seq <= int64(j.total); seq++ {
						want = append(want, seq)
					}
					if diff := cmp.Diff(want, j.seqs); diff != "" {
						t.Errorf("%s journal seqs (-want +got):\n%s", j.name, diff)
					}
				}
			})
		})
	}
}

// seqsOf lists the Seq of each record.
func seqsOf[T any](recs []T, seq func(T) int64) []int64 {
	var out []int64
	for _, r := range recs {
		out = append(out, seq(r))
	}
	return out
}

func TestJournalReadsPage(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{JournalSize: mock.MaxJournalPage + 100})
	hook := mocktest.NewHookReceiver(t)
	var ids []string
	for range 3 {
		_, created := submit(t, srv, map[string]any{"user_prompt": "p", "notify_hook": hook.URL}, "pending=0s, processing=0s")
		ids = append(ids, taskID(t, created))
		srv.Advance(0)
	}
	// Enough requests to fill more than a page: GETs of a task, each journaled.
	for range mock.MaxJournalPage {
		get(t, srv, ids[0])
	}
	const requests = 3 + mock.MaxJournalPage
	allCallbacks := srv.Mock.Callbacks()
	if len(allCallbacks) < 6 {
		t.Fatalf("%d callbacks journaled, want at least 6", len(allCallbacks))
	}
	span := func(from, to int64) []int64 {
		var out []int64
		for seq := from; seq <= to; seq++ {
			out = append(out, seq)
		}
		return out
	}
	// callbackSeqs is the reference: the seqs of the callbacks above since, of task id if set, at most limit.
	callbackSeqs := func(since int64, limit int, id string) []int64 {
		var out []int64
		for _, rec := range allCallbacks {
			if rec.Seq > since && (id == "" || rec.TaskID == id) && len(out) < limit {
				out = append(out, rec.Seq)
			}
		}
		return out
	}
	last := allCallbacks[len(allCallbacks)-1].Seq
	tests := []struct {
		name string
		path string
		want []int64 // nil for an empty page
	}{
		{"requests: a page by default", "/__mock/requests", span(1, mock.MaxJournalPage)},
		{"requests: limit above the page is clamped", "/__mock/requests?limit=5000", span(1, mock.MaxJournalPage)},
		{"requests: the largest limit is clamped", "/__mock/requests?limit=9223372036854775807", span(1, mock.MaxJournalPage)},
		{"requests: limit", "/__mock/requests?limit=2", span(1, 2)},
		{"requests: since and limit page forward", "/__mock/requests?since=2&limit=3", span(3, 5)},
		{"requests: the last page", "/__mock/requests?since=1000", span(1001, requests)},
		{"requests: since the newest", fmt.Sprintf("/__mock/requests?since=%d", requests), nil},
		{"requests: limit zero", "/__mock/requests?limit=0", nil},
		{"callbacks: all", "/__mock/callbacks", callbackSeqs(0, mock.MaxJournalPage, "")},
		{"callbacks: limit", "/__mock/callbacks?limit=3", callbackSeqs(0, 3, "")},
		{"callbacks: since", "/__mock/callbacks?since=2", callbackSeqs(2, mock.MaxJournalPage, "")},
		{"callbacks: since the newest", fmt.Sprintf("/__mock/callbacks?since=%d", last), nil},
		{"callbacks: task, since and limit", "/__mock/callbacks?task_id=" + ids[1] + "&since=1&limit=1", callbackSeqs(1, 1, ids[1])},
		{"callbacks: task", "/__mock/callbacks?task_id=" + ids[2], callbackSeqs(0, mock.MaxJournalPage, ids[2])},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var recs []struct{ Seq int64 }
			if status := admin(t, srv, http.MethodGet, tt.path, &recs); status != http.StatusOK {
				t.Fatalf("GET %s: status %d", tt.path, status)
			}
			if diff := cmp.Diff(tt.want, seqsOf(recs, func(r struct{ Seq int64 }) int64 { return r.Seq })); diff != "" {
				t.Errorf("GET %s seqs (-want +got):\n%s", tt.path, diff)
			}
		})
	}
}

func TestJournalReadsRefuseMalformedPages(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{})
	tests := []struct{ query, field string }{
		{"limit=abc", "limit"},
		{"limit=-1", "limit"},
		{"limit=", "limit"},
		{"limit=1e3", "limit"},
		{"since=-5", "since"},
		{"since=1.5", "since"},
		{"since=+3", "since"},
		{"since=x&limit=1", "since"},
		{"limit=99999999999999999999", "limit"}, // admin.yaml: an integer, which a count past int64 is not
	}
	for _, endpoint := range []string{"/__mock/requests", "/__mock/callbacks"} {
		for _, tt := range tests {
			t.Run(endpoint+"?"+tt.query, func(t *testing.T) {
				resp, err := srv.Client.Get(srv.URL + endpoint + "?" + tt.query)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var body struct{ Error string }
				if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
					t.Fatalf("status %d, body not JSON: %v", resp.StatusCode, err)
				}
				if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body.Error, tt.field) {
					t.Errorf("status %d, error %q; want 400 naming %s", resp.StatusCode, body.Error, tt.field)
				}
			})
		}
	}
}

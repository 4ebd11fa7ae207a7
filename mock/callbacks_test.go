package mock_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

// api returns the base URL of srv, a *mocktest.Server or a *memServer, and the client that reaches it.
func api(t *testing.T, srv any) (string, *http.Client) {
	t.Helper()
	switch s := srv.(type) {
	case *mocktest.Server:
		return s.URL, s.Client
	case *memServer:
		return s.URL, s.Client
	}
	t.Fatalf("no API at %T", srv)
	return "", nil
}

// submit posts a generation request with prefer (may be empty) to srv (see api) and returns the decoded
// response and status.
func submit(t *testing.T, srv any, body map[string]any, prefer string) (int, map[string]any) {
	t.Helper()
	data, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	base, client := api(t, srv)
	req, err := http.NewRequest(http.MethodPost, base+lumamock.PathGenerations, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer secret-key")
	if prefer != "" {
		req.Header.Set("Prefer", prefer)
	}
	return do(t, client, req)
}

func do(t *testing.T, c *http.Client, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if resp.StatusCode != http.StatusNoContent {
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatalf("%s %s: decode: %v", req.Method, req.URL, err)
		}
	}
	return resp.StatusCode, out
}

// get reads task id with GET /luma/generations/{id} from srv (see api).
func get(t *testing.T, srv any, id string) (int, map[string]any) {
	t.Helper()
	base, client := api(t, srv)
	req, err := http.NewRequest(http.MethodGet, base+"/luma/generations/"+id, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer secret-key")
	return do(t, client, req)
}

// taskID reads the task id of a response in either shape.
func taskID(t *testing.T, resp map[string]any) string {
	t.Helper()
	if data, ok := resp["data"].(map[string]any); ok {
		return data["task_id"].(string)
	}
	if id, ok := resp["id"].(string); ok {
		return id
	}
	t.Fatalf("no task id in %v", resp)
	return ""
}

// withoutRequestID drops the envelope's request_id, which differs between a callback and a GET by design.
func withoutRequestID(v map[string]any) map[string]any {
	out := make(map[string]any, len(v))
	for k, x := range v {
		if k != "request_id" {
			out[k] = x
		}
	}
	return out
}

// validTaskResponse checks v against the document's TaskResponse schema, as a callback body must be.
func validTaskResponse(t *testing.T, body []byte) {
	t.Helper()
	doc := lumamock.MustLoad()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	if err := doc.Components.Schemas["TaskResponse"].Value.VisitJSON(v); err != nil {
		t.Errorf("callback body breaks TaskResponse: %v\n%s", err, body)
	}
}

func states(ds []mocktest.Delivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%d:%s", d.Event, d.State))
	}
	return out
}

// The callbacks' tests run in synctest bubbles, on a memNet: time is the bubble's, and waits are for
// conditions (WaitCallbacks), never for the wall clock.

func TestCallbacksFollowTheLifecycleAndMatchGET(t *testing.T) {
	for _, shape := range []lumamock.Shape{lumamock.ShapeEnvelope, lumamock.ShapeLuma} {
		t.Run(string(shape), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := newMemServer(t, mock.Options{Schema: shape, Pending: 2 * time.Second, Processing: 5 * time.Second})
				hook := srv.hook()
				status, created := submit(t, srv, map[string]any{"user_prompt": "wind", "resolution": "1080p", "notify_hook": hook.URL}, "")
				if status != http.StatusOK {
					t.Fatalf("submit: status %d: %v", status, created)
				}
				id := taskID(t, created)

				srv.Advance(2*time.Second - time.Millisecond)
				if got := hook.Deliveries(); len(got) != 0 {
					t.Fatalf("before the pending time is up, the hook got %v", states(got))
				}
				for i, step := range []struct {
					advance time.Duration
					state   lumamock.TaskState
				}{{time.Millisecond, lumamock.StateProcessing}, {5 * time.Second, lumamock.StateCompleted}} {
					srv.Advance(step.advance)
					got := hook.Deliveries()
					if len(got) != i+1 {
						t.Fatalf("after step %d the hook got %v", i, states(got))
					}
					d := got[i]
					if d.State != step.state || d.Event != i+1 || d.Attempt != 1 || d.TaskID != id {
						t.Errorf("delivery %d: state %s event %d attempt %d task %s", i, d.State, d.Event, d.Attempt, d.TaskID)
					}
					if ct := d.Header.Get("Content-Type"); ct != "application/json" {
						t.Errorf("Content-Type %q", ct)
					}
					if ua := d.Header.Get("User-Agent"); ua != "lumamock/"+lumamock.Version {
						t.Errorf("User-Agent %q", ua)
					}
					validTaskResponse(t, d.Body)
					_, now := get(t, srv, id)
					if diff := cmp.Diff(withoutRequestID(now), withoutRequestID(decode(t, d.Body))); diff != "" {
						t.Errorf("callback body differs from GET at the same moment (-GET +callback):\n%s", diff)
					}
				}
				var done struct {
					Video *lumamock.Video `json:"video"`
					Data  struct {
						Video *lumamock.Video `json:"video"`
					} `json:"data"`
				}
				if err := hook.Deliveries()[1].Decode(&done); err != nil {
					t.Fatal(err)
				}
				video := done.Video
				if video == nil {
					video = done.Data.Video
				}
				if video == nil || video.Width != 1920 || video.Height != 1080 || !strings.HasPrefix(video.URL, "https://") {
					t.Errorf("completed video %+v, want a 1920x1080 https URL", video)
				}
				if got := srv.Task(id); got.State != lumamock.StateCompleted || len(got.History) != 3 {
					t.Errorf("task record %+v", got)
				}
			})
		})
	}
}

func TestCallbackRetriesUntilTheReceiverAccepts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newMemServer(t, mock.Options{Pending: mock.Immediate, Processing: time.Hour})
		hook := srv.hook()
		hook.Respond(500, 500, 200)
		_, created := submit(t, srv, map[string]any{"user_prompt": "p", "notify_hook": hook.URL}, "")
		id := taskID(t, created)
		srv.Advance(0)
		srv.Advance(mock.DefaultCallbackBackoff - time.Millisecond) // not yet
		if n := len(hook.Deliveries()); n != 1 {
			t.Fatalf("%d deliveries before the backoff ran out, want 1", n)
		}
		srv.Advance(time.Millisecond)
		srv.Advance(mock.DefaultCallbackBackoff)

		type attempt struct {
			Attempt int
			Status  int
			Outcome string
		}
		var got []attempt
		for _, rec := range srv.Mock.Callbacks() {
			if rec.TaskID != id || rec.State != lumamock.StateProcessing || rec.URL != hook.URL {
				t.Errorf("record %+v", rec)
			}
			got = append(got, attempt{rec.Attempt, rec.Status, rec.Outcome})
		}
		want := []attempt{{1, 500, mock.OutcomeRetrying}, {2, 500, mock.OutcomeRetrying}, {3, 200, mock.OutcomeDelivered}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("callback journal (-want +got):\n%s", diff)
		}
		var attempts []string
		for _, d := range hook.Deliveries() {
			attempts = append(attempts, d.Header.Get(mock.HeaderAttempt))
		}
		if diff := cmp.Diff([]string{"1", "2", "3"}, attempts); diff != "" {
			t.Errorf("%s headers (-want +got):\n%s", mock.HeaderAttempt, diff)
		}
	})
}

func TestCallbackToADeadReceiverFailsWithoutSlowingTheAPI(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newMemServer(t, mock.Options{Pending: mock.Immediate, Processing: time.Hour, CallbackRetries: 2})
		hook := srv.hook()
		hook.Close()
		_, created := submit(t, srv, map[string]any{"user_prompt": "p", "notify_hook": hook.URL}, "")
		id := taskID(t, created)
		for range 3 {
			srv.Advance(mock.DefaultCallbackBackoff)
		}
		var outcomes []string
		for _, rec := range srv.Mock.Callbacks() {
			outcomes = append(outcomes, rec.Outcome)
			if rec.Outcome != mock.OutcomeDelivered && (rec.Error == "" || rec.Status != 0) {
				t.Errorf("failed attempt without a connection error: %+v", rec)
			}
		}
		if diff := cmp.Diff([]string{mock.OutcomeRetrying, mock.OutcomeRetrying, mock.OutcomeFailed}, outcomes); diff != "" {
			t.Errorf("outcomes (-want +got):\n%s", diff)
		}
		start := time.Now()
		if status, _ := get(t, srv, id); status != http.StatusOK {
			t.Errorf("GET: status %d", status)
		}
		if elapsed := time.Since(start); elapsed != 0 {
			t.Errorf("GET took %s with a dead receiver: it waited", elapsed)
		}
	})
}

func TestCallbacksOfConcurrentTasksKeepTheirOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const tasks = 100
		srv := newMemServer(t, mock.Options{Pending: mock.Immediate, Processing: mock.Immediate, CallbackWorkers: 8})
		hook := srv.hook()
		var mu sync.Mutex
		inFlight := map[string]int{}
		concurrent := 0
		hook.RespondFunc(func(r *http.Request, d mocktest.Delivery) int {
			mu.Lock()
			inFlight[d.TaskID]++
			if inFlight[d.TaskID] > 1 {
				concurrent++
			}
			mu.Unlock()
			if d.State == lumamock.StateProcessing {
				// A slow answer, on the bubble's clock: a later event gets every chance to overtake.
				select {
				case <-time.After(time.Millisecond):
				case <-r.Context().Done():
				}
			}
			mu.Lock()
			inFlight[d.TaskID]--
			mu.Unlock()
			return http.StatusOK
		})
		ids := make([]string, tasks)
		var wg sync.WaitGroup
		for i := range tasks {
			wg.Go(func() {
				_, created := submit(t, srv, map[string]any{"user_prompt": "p", "notify_hook": hook.URL}, "")
				ids[i] = taskID(t, created)
			})
		}
		wg.Wait()
		srv.Advance(0)
		want := []lumamock.TaskState{lumamock.StateProcessing, lumamock.StateCompleted}
		for _, id := range ids {
			if diff := cmp.Diff(want, hook.States(id)); diff != "" {
				t.Errorf("task %s: states (-want +got):\n%s", id, diff)
			}
		}
		if concurrent != 0 {
			t.Errorf("%d deliveries overlapped another of the same task", concurrent)
		}
		if t.Failed() {
			for _, rec := range srv.Mock.Callbacks() {
				if rec.Outcome != mock.OutcomeDelivered {
					t.Logf("%+v", rec)
				}
			}
		}
	})
}

func TestFaultsDeliverExactlyWhatWasAskedFor(t *testing.T) {
	tests := []struct {
		name    string
		server  mock.Faults
		prefer  string
		advance []time.Duration // after submission, each followed by a check of nothing extra
		want    []string        // event:state as received
		faults  map[string]int  // fault name -> records carrying it
		dropped int
	}{
		{name: "none", want: []string{"1:processing", "2:completed"}},
		{name: "duplicate twice", prefer: "duplicate=2",
			want:   []string{"1:processing", "1:processing", "1:processing", "2:completed", "2:completed", "2:completed"},
			faults: map[string]int{"duplicate": 4}},
		{name: "drop processing", prefer: "drop=processing", want: []string{"2:completed"}, faults: map[string]int{"drop": 1}, dropped: 1},
		{name: "drop completed", prefer: "drop=completed", want: []string{"1:processing"}, faults: map[string]int{"drop": 1}, dropped: 1},
		{name: "reorder", prefer: "reorder", want: []string{"2:completed", "1:processing"}, faults: map[string]int{"reorder": 1}},
		{name: "late", prefer: "late=3s", advance: []time.Duration{3 * time.Second}, want: []string{"1:processing", "2:completed"}, faults: map[string]int{"late": 2}},
		{name: "server duplicate", server: mock.Faults{Duplicate: 1}, want: []string{"1:processing", "1:processing", "2:completed", "2:completed"}, faults: map[string]int{"duplicate": 2}},
		{name: "server duplicate turned off by Prefer", server: mock.Faults{Duplicate: 1}, prefer: "duplicate=0", want: []string{"1:processing", "2:completed"}},
		{name: "server drop, Prefer drop=none", server: mock.Faults{Drop: lumamock.StateProcessing}, prefer: "drop=none", want: []string{"1:processing", "2:completed"}},
		{name: "reorder and duplicate", prefer: "reorder, duplicate=1",
			want:   []string{"2:completed", "2:completed", "1:processing", "1:processing"},
			faults: map[string]int{"reorder": 2, "duplicate": 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := newMemServer(t, mock.Options{Pending: mock.Immediate, Processing: mock.Immediate, Faults: tt.server})
				hook := srv.hook()
				status, created := submit(t, srv, map[string]any{"user_prompt": "p", "notify_hook": hook.URL}, tt.prefer)
				if status != http.StatusOK {
					t.Fatalf("submit: %d %v", status, created)
				}
				srv.Advance(0)
				for _, d := range tt.advance {
					if got := hook.Deliveries(); len(got) != 0 {
						t.Fatalf("delivered before %s: %v", d, states(got))
					}
					srv.Advance(d)
				}
				if diff := cmp.Diff(tt.want, states(hook.Deliveries())); diff != "" {
					t.Errorf("deliveries (-want +got):\n%s", diff)
				}
				gotFaults := map[string]int{}
				dropped := 0
				for _, rec := range srv.Mock.Callbacks() {
					for _, f := range rec.Faults {
						gotFaults[f]++
					}
					if rec.Outcome == mock.OutcomeDropped {
						dropped++
					}
				}
				if tt.faults == nil {
					tt.faults = map[string]int{}
				}
				if diff := cmp.Diff(tt.faults, gotFaults); diff != "" {
					t.Errorf("faults journaled (-want +got):\n%s", diff)
				}
				if dropped != tt.dropped {
					t.Errorf("%d dropped records, want %d", dropped, tt.dropped)
				}
			})
		})
	}
}

func TestForcedEndsViaTheAdminAPI(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newMemServer(t, mock.Options{Pending: time.Second, Processing: time.Hour})
		hook := srv.hook()
		_, created := submit(t, srv, map[string]any{"user_prompt": "p", "notify_hook": hook.URL}, "")
		id := taskID(t, created)
		srv.Advance(time.Second)
		post := func(path string) (int, map[string]any) {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+path, nil)
			return do(t, srv.Client, req)
		}
		status, rec := post("/__mock/tasks/" + id + "/fail")
		if status != http.StatusOK || rec["state"] != "failed" {
			t.Fatalf("fail: %d %v", status, rec)
		}
		srv.Advance(0)
		if diff := cmp.Diff([]lumamock.TaskState{lumamock.StateProcessing, lumamock.StateFailed}, hook.States(id)); diff != "" {
			t.Errorf("callbacks (-want +got):\n%s", diff)
		}
		_, now := get(t, srv, id)
		if diff := cmp.Diff(withoutRequestID(now), withoutRequestID(decode(t, hook.Deliveries()[1].Body))); diff != "" {
			t.Errorf("failed callback differs from GET (-GET +callback):\n%s", diff)
		}
		if data := now["data"].(map[string]any); data["failure_reason"] == "" || data["failure_reason"] == nil {
			t.Errorf("failed task without failure_reason: %v", data)
		}
		if status, _ := post("/__mock/tasks/" + id + "/complete"); status != http.StatusConflict {
			t.Errorf("completing a failed task: status %d, want 409", status)
		}
		if status, _ := post("/__mock/tasks/no-such-task/complete"); status != http.StatusNotFound {
			t.Errorf("completing an unknown task: status %d, want 404", status)
		}
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/__mock/tasks/"+id, nil)
		resp, err := srv.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var got mock.TaskRecord
		_ = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		want := []mock.Transition{
			{State: lumamock.StatePending, At: mocktest.Start},
			{State: lumamock.StateProcessing, At: mocktest.Start.Add(time.Second)},
			{State: lumamock.StateFailed, At: mocktest.Start.Add(time.Second), Forced: true},
		}
		if diff := cmp.Diff(want, got.History); diff != "" {
			t.Errorf("history (-want +got):\n%s", diff)
		}
		if got.Next != nil {
			t.Errorf("an ended task has a next state: %+v", got.Next)
		}
	})
}

func TestInvalidNotifyHookIsRejectedAtSubmit(t *testing.T) {
	tests := []struct {
		name  string
		allow []string
		hook  string
		want  int
		rule  string
	}{
		{name: "not http", hook: "ftp://example.com/hook", want: 400, rule: "pattern"},
		{name: "host not allowed", allow: []string{"hooks.example.com"}, hook: "http://127.0.0.1:9/hook", want: 400, rule: "callback-allow"},
		{name: "address outside the blocks", allow: []string{"10.0.0.0/8"}, hook: "http://127.0.0.1:9/hook", want: 400, rule: "callback-allow"},
		{name: "address in a block", allow: []string{"127.0.0.0/8"}, hook: "http://127.0.0.1:9/hook", want: 200},
		{name: "named host", allow: []string{"hooks.example.com"}, hook: "https://hooks.example.com/x", want: 200},
		{name: "wildcard", allow: []string{"*.example.com"}, hook: "https://a.b.example.com/x", want: 200},
		{name: "wildcard is not the apex", allow: []string{"*.example.com"}, hook: "https://example.com/x", want: 400, rule: "callback-allow"},
		// A single address is not a block: it lets no unnamed host name through to be resolved later.
		{name: "host name beside an address", allow: []string{"127.0.0.1"}, hook: "http://evil.example.net/x", want: 400, rule: "callback-allow"},
		{name: "the address itself", allow: []string{"127.0.0.1"}, hook: "http://127.0.0.1:9/x", want: 200},
		// Link-local addresses (cloud metadata) need an explicit entry; no request is sent to check these.
		{name: "link-local by default", hook: "http://169.254.169.254/latest", want: 400, rule: "callback-allow"},
		{name: "link-local IPv6 by default", hook: "http://[fe80::1]/x", want: 400, rule: "callback-allow"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := mocktest.NewServer(t, offline(t, mock.Options{CallbackAllow: tt.allow}))
			status, body := submit(t, srv, map[string]any{"user_prompt": "p", "notify_hook": tt.hook}, "pending=1h")
			if status != tt.want {
				t.Fatalf("status %d, want %d: %v", status, tt.want, body)
			}
			if tt.want != 400 {
				return
			}
			var found bool
			for _, v := range body["errors"].([]any) {
				v := v.(map[string]any)
				found = found || v["field"] == "/notify_hook" && v["rule"] == tt.rule
			}
			if !found {
				t.Errorf("no %s violation of /notify_hook in %v", tt.rule, body)
			}
		})
	}
}

// TestCallbacksFollowOnlyRedirectsThatKeepThePOST: a callback follows 307 and 308 on its hook's own host, with
// its method and body; 301, 302 and 303 would turn it into a bodiless GET (net/http's rule), so they fail the
// attempt rather than count a GET as a delivery; a redirect to another host is refused.
func TestCallbacksFollowOnlyRedirectsThatKeepThePOST(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newMemServer(t, mock.Options{Pending: mock.Immediate, Processing: time.Hour, CallbackRetries: mock.NoRetries})
		other := srv.hook()
		var landed sync.Map // path → "METHOD body-length"
		redirector := srv.net.serve("redirector", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if rest, ok := strings.CutPrefix(r.URL.Path, "/landing/"); ok {
				body, _ := io.ReadAll(r.Body)
				landed.Store(rest, fmt.Sprintf("%s %d", r.Method, len(body)))
				w.WriteHeader(http.StatusNoContent)
				return
			}
			if r.URL.Path == "/away" {
				http.Redirect(w, r, other.URL, http.StatusTemporaryRedirect)
				return
			}
			code, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
			http.Redirect(w, r, "/landing/"+strconv.Itoa(code), code)
		}))
		tests := []struct {
			path    string
			outcome string
			error   string // what the journaled error says
		}{
			{"/307", mock.OutcomeDelivered, ""},
			{"/308", mock.OutcomeDelivered, ""},
			{"/301", mock.OutcomeFailed, "301"},
			{"/302", mock.OutcomeFailed, "302"},
			{"/303", mock.OutcomeFailed, "303"},
			{"/away", mock.OutcomeFailed, "refused"},
		}
		ids := map[string]string{}
		for _, tt := range tests {
			_, created := submit(t, srv, map[string]any{"user_prompt": "p", "notify_hook": redirector + tt.path}, "")
			ids[tt.path] = taskID(t, created)
		}
		srv.Advance(0)
		byTask := map[string]mock.CallbackRecord{}
		for _, rec := range srv.Mock.Callbacks() {
			byTask[rec.TaskID] = rec
		}
		for _, tt := range tests {
			rec := byTask[ids[tt.path]]
			if rec.Outcome != tt.outcome || !strings.Contains(rec.Error, tt.error) {
				t.Errorf("%s: outcome %q error %q; want %q, an error saying %q", tt.path, rec.Outcome, rec.Error, tt.outcome, tt.error)
			}
			got, _ := landed.Load(strings.TrimPrefix(tt.path, "/"))
			if tt.outcome == mock.OutcomeDelivered && (got == nil || !strings.HasPrefix(got.(string), "POST ") || got == "POST 0") {
				t.Errorf("%s: the landing page got %v, want the POST with its body", tt.path, got)
			}
			if tt.outcome != mock.OutcomeDelivered && got != nil {
				t.Errorf("%s: the landing page got %v, want nothing", tt.path, got)
			}
		}
		if n := len(other.Deliveries()); n != 0 {
			t.Errorf("the other host got %d deliveries", n)
		}
	})
}

func TestCallbacksAreSigned(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const secret = "whsec_test"
		srv := newMemServer(t, mock.Options{Pending: mock.Immediate, Processing: time.Hour, CallbackSecret: secret})
		hook := srv.hook()
		submit(t, srv, map[string]any{"user_prompt": "p", "notify_hook": hook.URL}, "")
		srv.Advance(0)
		d := hook.Deliveries()[0]
		sig := d.Header.Get(mock.HeaderSignature)
		at, err := mock.VerifySignature(secret, sig, d.Body)
		if err != nil {
			t.Fatalf("VerifySignature(%q): %v", sig, err)
		}
		if !at.Equal(mocktest.Start) {
			t.Errorf("signed at %s, want the clock's %s", at, mocktest.Start)
		}
		if _, err := mock.VerifySignature("wrong", sig, d.Body); err == nil {
			t.Error("a wrong secret verified")
		}
		if _, err := mock.VerifySignature(secret, sig, append(d.Body, ' ')); err == nil {
			t.Error("a changed body verified")
		}
	})
}

func TestCallbackQueueIsBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newMemServer(t, mock.Options{Pending: mock.Immediate, Processing: mock.Immediate, CallbackQueue: 3, CallbackWorkers: 1})
		hook := srv.hook()
		release := make(chan struct{})
		hook.RespondFunc(func(*http.Request, mocktest.Delivery) int { <-release; return 200 })
		for range 3 {
			submit(t, srv, map[string]any{"user_prompt": "p", "notify_hook": hook.URL}, "")
		}
		close(release)
		srv.Advance(0)
		outcomes := map[string]int{}
		for _, rec := range srv.Mock.Callbacks() {
			outcomes[rec.Outcome]++
		}
		// The receiver holds the first delivery until every task is submitted, so the queue fills: task 1's two
		// callbacks and task 2's first fit, the other three are given up.
		if diff := cmp.Diff(map[string]int{mock.OutcomeDelivered: 3, mock.OutcomeAbandoned: 3}, outcomes); diff != "" {
			t.Errorf("outcomes (-want +got):\n%s", diff)
		}
	})
}

// TestShutdownDrainsDueCallbacksAndLeaksNoGoroutines: Shutdown delivers what is due for as long as its
// context lasts, not longer, then gives up the rest and logs each; when it returns, the mock's goroutines
// have ended (the bubble fails the test if any is left blocked).
func TestShutdownDrainsDueCallbacksAndLeaksNoGoroutines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs bytes.Buffer
		var logMu sync.Mutex
		srv := newMemServer(t, mock.Options{Pending: mock.Immediate, Processing: mock.Immediate, Logger: newLogger(&logs, &logMu)})
		hook := srv.hook()
		hook.RespondFunc(func(r *http.Request, d mocktest.Delivery) int {
			if d.State == lumamock.StateCompleted {
				<-r.Context().Done() // hangs until the mock gives up
				return 0
			}
			return http.StatusOK
		})
		for range 5 {
			submit(t, srv, map[string]any{"user_prompt": "p", "notify_hook": hook.URL}, "")
		}
		srv.Clock.Advance(0)
		const drain = 300 * time.Millisecond
		ctx, cancel := context.WithTimeout(context.Background(), drain)
		defer cancel()
		start := time.Now()
		if err := srv.Mock.Shutdown(ctx); err == nil {
			t.Error("Shutdown with hanging deliveries returned no error")
		}
		if took := time.Since(start); took != drain {
			t.Errorf("Shutdown took %s with a %s drain", took, drain)
		}
		outcomes := map[string]int{}
		for _, rec := range srv.Mock.Callbacks() {
			outcomes[string(rec.State)+" "+rec.Outcome]++
		}
		if outcomes["processing delivered"] != 5 || outcomes["completed delivered"] != 0 ||
			outcomes["completed failed"]+outcomes["completed abandoned"] != 5 {
			t.Errorf("outcomes %v: want 5 processing delivered and 5 completed given up", outcomes)
		}
		logMu.Lock()
		given := strings.Count(logs.String(), "callback given up at shutdown") + strings.Count(logs.String(), "callback failed")
		logMu.Unlock()
		if given != 5 {
			t.Errorf("%d give-up log lines, want 5:\n%s", given, logs.String())
		}
	})
}

// TestCallbackThatBreaksTheDocumentIsJournaledBriefly: a callback body that breaks the document's callback
// schema (here a served document that allows only 3-character video URLs) is not sent; the journal and the log
// say which field broke which rule, in a few lines, not kin-openapi's dump of the schema.
func TestCallbackThatBreaksTheDocumentIsJournaledBriefly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs strings.Builder
		srv := newMemServer(t, mock.Options{DocumentSource: []byte(shortVideoURLs(t)), Pending: mock.Immediate, Processing: mock.Immediate,
			Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
		hook := srv.hook()
		status, created := submit(t, srv, map[string]any{"user_prompt": "wind", "notify_hook": hook.URL}, "")
		if status != http.StatusOK {
			t.Fatalf("submit: status %d: %v", status, created)
		}
		srv.Advance(time.Second)
		if got := hook.Deliveries(); len(got) != 1 || got[0].State != lumamock.StateProcessing {
			t.Errorf("the hook got %v, want processing only: the completed body breaks the document", states(got))
		}
		var invalid []mock.CallbackRecord
		for _, rec := range srv.Mock.Callbacks() {
			if rec.Outcome == mock.OutcomeInvalid {
				invalid = append(invalid, rec)
			}
		}
		if len(invalid) != 1 || invalid[0].State != lumamock.StateCompleted {
			t.Fatalf("invalid callbacks journaled: %+v", invalid)
		}
		msg := invalid[0].Error
		if !strings.Contains(msg, "/data/video/url") || !strings.Contains(msg, "maxLength") || len(msg) > 1024 {
			t.Errorf("journaled error (%d bytes) does not name /data/video/url and maxLength briefly: %.300q", len(msg), msg)
		}
		for _, line := range strings.Split(logs.String(), "\n") {
			if len(line) > 4096 {
				t.Errorf("log line of %d bytes: %.200q", len(line), line)
			}
		}
	})
}

// shortVideoURLs is openapi.yaml with video URLs of at most 3 characters: every completed task's body breaks it.
func shortVideoURLs(t *testing.T) string {
	t.Helper()
	doc := strings.Replace(string(lumamock.Document), `        url:
          type: string
          format: uri
          description: Where the video can be streamed.`, `        url:
          type: string
          format: uri
          maxLength: 3
          description: Where the video can be streamed.`, 1)
	if doc == string(lumamock.Document) {
		t.Fatal("the Video url property was not found in openapi.yaml")
	}
	return doc
}

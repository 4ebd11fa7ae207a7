package mock_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

// clockOf reads a session's clock over HTTP.
func clockOf(t *testing.T, c sess, session string) (now time.Time, frozen bool) {
	t.Helper()
	var v struct {
		Now    time.Time `json:"now"`
		Frozen bool      `json:"frozen"`
	}
	if err := json.Unmarshal(c.want(http.StatusOK, http.MethodGet, "/__mock/sessions/"+session+"/clock", ""), &v); err != nil {
		t.Fatal(err)
	}
	return v.Now, v.Frozen
}

// TestSessionClockMovesOneSession: POST .../clock {"advance"} moves one session's time, whose tasks change state
// and call back; the other sessions keep theirs. freeze stops a session's time while the server's runs on, and
// a restart goes on from where it stood.
func TestSessionClockMovesOneSession(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{}) // 2 s pending, 5 s processing, on a manual clock at mocktest.Start
	hookA, hookB := mocktest.NewHookReceiver(t), mocktest.NewHookReceiver(t)
	admin, a, b := sess{t, srv.URL, ""}, sess{t, srv.URL, "a"}, sess{t, srv.URL, "b"}
	ta, tb := a.create(hookA.URL), b.create(hookB.URL)

	admin.want(http.StatusOK, http.MethodPost, "/__mock/sessions/a/clock", `{"advance":"3s"}`)
	if err := srv.Mock.WaitCallbacks(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := hookA.States(ta); !slices.Equal(got, []lumamock.TaskState{lumamock.StateProcessing}) {
		t.Errorf("a's task after 3 s of a's time: callbacks %v, want [processing]", got)
	}
	if got := hookB.States(tb); len(got) != 0 {
		t.Errorf("b's task called back %v while only a's time moved", got)
	}
	if now, _ := clockOf(t, admin, "a"); !now.Equal(mocktest.Start.Add(3 * time.Second)) {
		t.Errorf("a's clock reads %s, want start + 3s", now)
	}
	if now, _ := clockOf(t, admin, "b"); !now.Equal(mocktest.Start) {
		t.Errorf("b's clock reads %s, want start", now)
	}
	var reqs []mock.RequestRecord
	_ = json.Unmarshal(a.want(http.StatusOK, http.MethodGet, "/luma/generations/"+ta, ""), new(any))
	if err := json.Unmarshal(admin.want(http.StatusOK, http.MethodGet, "/__mock/sessions/a/requests", ""), &reqs); err != nil {
		t.Fatal(err)
	}
	if last := reqs[len(reqs)-1]; !last.At.Equal(mocktest.Start.Add(3 * time.Second)) {
		t.Errorf("a's journal shows its GET at %s, want a's time, start + 3s", last.At)
	}

	// Freeze b, and let the server's time run 10 s: a's task ends, b's stands still.
	admin.want(http.StatusOK, http.MethodPost, "/__mock/sessions/b/clock", `{"freeze":true}`)
	srv.Advance(10 * time.Second)
	if got := hookA.States(ta); !slices.Equal(got, []lumamock.TaskState{lumamock.StateProcessing, lumamock.StateCompleted}) {
		t.Errorf("a's task after the server's 10 s: %v", got)
	}
	if now, frozen := clockOf(t, admin, "b"); !frozen || !now.Equal(mocktest.Start) || len(hookB.States(tb)) != 0 {
		t.Errorf("frozen b reads %s (frozen %v) and called back %v", now, frozen, hookB.States(tb))
	}
	// b moves only by its own advance while frozen, and runs on from there once restarted.
	admin.want(http.StatusOK, http.MethodPost, "/__mock/sessions/b/clock", `{"advance":"2s"}`)
	srv.Advance(0)
	if got := hookB.States(tb); !slices.Equal(got, []lumamock.TaskState{lumamock.StateProcessing}) {
		t.Errorf("frozen b advanced 2 s: %v, want [processing]", got)
	}
	admin.want(http.StatusOK, http.MethodPost, "/__mock/sessions/b/clock", `{"freeze":false}`)
	srv.Advance(5 * time.Second)
	if got := hookB.States(tb); !slices.Equal(got, []lumamock.TaskState{lumamock.StateProcessing, lumamock.StateCompleted}) {
		t.Errorf("b after its restart and 5 s more: %v", got)
	}
	if now, frozen := clockOf(t, admin, "b"); frozen || !now.Equal(mocktest.Start.Add(7*time.Second)) {
		t.Errorf("b reads %s (frozen %v), want start + 7s, running", now, frozen)
	}
}

// TestSessionClockIsAManualClock: a task followed by advancing its session's clock over HTTP gets, to the byte,
// the callbacks and the journal a task gets on mocktest's ManualClock moved by the same steps, retries and
// faults included.
func TestSessionClockIsAManualClock(t *testing.T) {
	steps := []time.Duration{time.Second, 2 * time.Second, 100 * time.Millisecond, 3 * time.Second, time.Minute}
	run := func(bySession bool) ([]mocktest.Delivery, []mock.CallbackRecord) {
		srv := mocktest.NewServer(t, mock.Options{CallbackBackoff: time.Second})
		hook := mocktest.NewHookReceiver(t)
		hook.Respond(http.StatusInternalServerError) // the first attempt fails: a retry after the backoff
		c := sess{t, srv.URL, "suite"}
		c.create(hook.URL, "Prefer", "duplicate=1, late=500ms")
		for _, d := range steps {
			if bySession {
				body, _ := json.Marshal(map[string]string{"advance": d.String()})
				c.want(http.StatusOK, http.MethodPost, "/__mock/clock", string(body))
				srv.Advance(0)
			} else {
				srv.Advance(d)
			}
		}
		deliveries := hook.Deliveries()
		for i := range deliveries {
			deliveries[i].Header = nil // the signature and the user agent's version aside
		}
		records := mustSession(t, srv.Mock, "suite").Callbacks()
		for i := range records {
			records[i].LatencyMS, records[i].URL = 0, "" // the receivers differ
		}
		return deliveries, records
	}
	manualDeliveries, manualRecords := run(false)
	sessionDeliveries, sessionRecords := run(true)
	if len(manualDeliveries) < 5 {
		t.Fatalf("only %d deliveries on the manual clock", len(manualDeliveries))
	}
	if diff := cmp.Diff(manualDeliveries, sessionDeliveries); diff != "" {
		t.Errorf("deliveries (-ManualClock +session clock):\n%s", diff)
	}
	if diff := cmp.Diff(manualRecords, sessionRecords); diff != "" {
		t.Errorf("callback journal (-ManualClock +session clock):\n%s", diff)
	}
}

// TestAdvanceMakesTheCallbacksDueOnTheWay: one move of the clock over a task's whole life makes each callback at
// its due time, and the retry of a failed one when its backoff falls due within the move, before the move ends:
// on the server's ManualClock and on a session's clock moved over HTTP alike.
func TestAdvanceMakesTheCallbacksDueOnTheWay(t *testing.T) {
	for _, bySession := range []bool{false, true} {
		srv := mocktest.NewServer(t, mock.Options{CallbackBackoff: time.Second}) // 2 s pending, 5 s processing
		hook := mocktest.NewHookReceiver(t)
		hook.Respond(http.StatusInternalServerError) // the first attempt fails: a retry 1 s later
		c := sess{t, srv.URL, "suite"}
		id := c.create(hook.URL)
		if bySession {
			c.want(http.StatusOK, http.MethodPost, "/__mock/clock", `{"advance":"1m"}`)
		} else {
			srv.Clock.Advance(time.Minute)
		}
		if err := srv.Mock.WaitCallbacks(context.Background()); err != nil {
			t.Fatal(err)
		}
		type rec struct {
			At      time.Duration
			State   lumamock.TaskState
			Attempt int
			Outcome string
		}
		var got []rec
		for _, r := range mustSession(t, srv.Mock, "suite").Callbacks() {
			if r.TaskID != id {
				t.Fatalf("a callback of task %s, want %s", r.TaskID, id)
			}
			got = append(got, rec{r.At.Sub(mocktest.Start), r.State, r.Attempt, r.Outcome})
		}
		want := []rec{
			{2 * time.Second, lumamock.StateProcessing, 1, mock.OutcomeRetrying},
			{3 * time.Second, lumamock.StateProcessing, 2, mock.OutcomeDelivered},
			{7 * time.Second, lumamock.StateCompleted, 1, mock.OutcomeDelivered},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("by session %v: callbacks journaled when the move returned (-want +got):\n%s", bySession, diff)
		}
	}
}

// TestSessionClockWaitsForItsOwnCallbacksOnly: a move of a session's clock waits for the session's callbacks
// due on the way, not for another session's, even one held by a receiver that does not answer.
func TestSessionClockWaitsForItsOwnCallbacksOnly(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{CallbackTimeout: time.Minute})
	held, release := make(chan struct{}, 1), make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		held <- struct{}{}
		<-release
	}))
	t.Cleanup(hanging.Close)
	hook := mocktest.NewHookReceiver(t)
	a, b := sess{t, srv.URL, "a"}, sess{t, srv.URL, "b"}
	a.create(hanging.URL + "/hook")
	tb := b.create(hook.URL)

	moved := make(chan struct{})
	go func() { // a's move waits for a's receiver, which holds the callback until released
		defer close(moved)
		a.send(http.MethodPost, "/__mock/clock", `{"advance":"3s"}`)
	}()
	<-held
	b.want(http.StatusOK, http.MethodPost, "/__mock/clock", `{"advance":"3s"}`)
	if got := hook.States(tb); !slices.Equal(got, []lumamock.TaskState{lumamock.StateProcessing}) {
		t.Errorf("b's callbacks when b's move returned: %v, want [processing]", got)
	}
	select {
	case <-moved:
		t.Error("a's move returned while a's receiver still held its callback")
	default:
	}
	close(release)
	<-moved
}

// TestSessionClockOnRealTime: on a server keeping real time, a session moved an hour ahead finishes its task and
// reads an hour ahead; another session keeps real time.
func TestSessionClockOnRealTime(t *testing.T) {
	m, err := mock.New(mock.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(m)
	t.Cleanup(func() { hs.Close(); m.Close() })
	admin, ahead := sess{t, hs.URL, ""}, sess{t, hs.URL, "ahead"}
	id := ahead.create("")
	sess{t, hs.URL, "real"}.create("")
	before := time.Now()
	admin.want(http.StatusOK, http.MethodPost, "/__mock/sessions/ahead/clock", `{"advance":"1h"}`)
	rec, err := mustSession(t, m, "ahead").Task(id)
	if err != nil || rec.State != lumamock.StateCompleted {
		t.Errorf("the task an hour later: %+v, %v", rec, err)
	}
	aheadNow, _ := clockOf(t, admin, "ahead")
	realNow, _ := clockOf(t, admin, "real")
	after := time.Now()
	if aheadNow.Before(before.Add(time.Hour)) || aheadNow.After(after.Add(time.Hour)) {
		t.Errorf("ahead reads %s, want an hour after %s", aheadNow, before)
	}
	if realNow.Before(before) || realNow.After(after) {
		t.Errorf("real reads %s, want between %s and %s", realNow, before, after)
	}
}

// TestSessionClockRefusesBadMoves: a move backwards, of more than 24 h, or that is no duration, is a 400 naming
// advance, and moves nothing; the Go API says the same. A field the body may not have is a 400 naming it.
func TestSessionClockRefusesBadMoves(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{})
	c := sess{t, srv.URL, ""}
	for _, tt := range []struct{ body, field string }{
		{`{"advance":"-1s"}`, "/advance"}, {`{"advance":"24h0m1s"}`, "/advance"}, {`{"advance":"1 minute"}`, "/advance"},
		{`{"advance":""}`, "/advance"}, {`{"frozen":true}`, "/frozen"}, {`{"advance":"1s","a/b~":1}`, "/a~1b~0"},
	} {
		status, data := c.send(http.MethodPost, "/__mock/sessions/x/clock", tt.body)
		var e struct {
			Violations []lumamock.Violation `json:"violations"`
		}
		_ = json.Unmarshal(data, &e)
		if status != http.StatusBadRequest || len(e.Violations) != 1 || e.Violations[0].Field != tt.field {
			t.Errorf("POST %s: %d %s; want 400 naming %s", tt.body, status, data, tt.field)
		}
	}
	c.want(http.StatusOK, http.MethodPost, "/__mock/sessions/x/clock", `{"advance":"24h"}`)
	if now, _ := clockOf(t, c, "x"); !now.Equal(mocktest.Start.Add(24 * time.Hour)) {
		t.Errorf("x reads %s after the refused moves and one of 24h", now)
	}
	ss := mustSession(t, srv.Mock, "x")
	if err := ss.Advance(-time.Second); err == nil {
		t.Error("Session.Advance(-1s) moved the clock back")
	}
}

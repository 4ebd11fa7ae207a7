package mock_test

// Regression tests for the callback delivery engine: one per defect of the issue "a reset wedges the server; one
// dead receiver starves every other; the per-host limit is keyed on the URL's text". Each drives the mock only
// through its public API (mock.New, ServeHTTP, the admin endpoints, Shutdown), in a synctest bubble on a memNet:
// a request that waits for anything (a wedged engine) shows as time passed on the bubble's clock, and a
// goroutine blocked for good fails the test with the bubble's stacks.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
)

// hangingPrefer makes a task whose processing callback is due at once and whose end never comes during a test.
const hangingPrefer = "pending=0s, processing=1h"

// systemTime is the system's clock, which in a bubble is the bubble's: the mock runs on it as lumamock serve does.
var systemTime mock.Clock = sysClock{}

type sysClock struct{}

func (sysClock) Now() time.Time                                 { return time.Now() }
func (sysClock) AfterFunc(d time.Duration, f func()) mock.Timer { return time.AfterFunc(d, f) }

// hangReceiver is a callback receiver that never answers: it holds each delivery until the mock cuts it, and
// counts the deliveries it holds, so a test sees deliveries held and deliveries cut.
type hangReceiver struct {
	mu       sync.Mutex
	open     int
	accepted int
	peak     int
}

func (h *hangReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	h.mu.Lock()
	h.open++
	h.accepted++
	h.peak = max(h.peak, h.open)
	h.mu.Unlock()
	<-r.Context().Done()
	h.mu.Lock()
	h.open--
	h.mu.Unlock()
}

// Open is how many deliveries the receiver holds now.
func (h *hangReceiver) Open() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.open
}

// Peak is the most deliveries it ever held at once.
func (h *hangReceiver) Peak() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.peak
}

// try sends one request to the mock and returns its status and body, and an error if it got none or if it
// waited for anything (time passed on the bubble's clock): the engine would be wedged.
func (s *memServer) try(method, path, prefer string, body []byte) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer chaos-key")
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if prefer != "" {
		req.Header.Set("Prefer", prefer)
	}
	start := time.Now()
	resp, err := s.Client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("%s %s: body: %w", method, path, err)
	}
	if took := time.Since(start); took > 0 {
		return resp.StatusCode, data, fmt.Errorf("%s %s took %s: it waited, the engine is wedged", method, path, took)
	}
	return resp.StatusCode, data, nil
}

// request is try for the test's goroutine: it fails the test on an error.
func (s *memServer) request(t *testing.T, method, path, prefer string, body []byte) (int, []byte) {
	t.Helper()
	status, data, err := s.try(method, path, prefer, body)
	if err != nil {
		t.Fatal(err)
	}
	return status, data
}

// trySubmit creates a task whose callbacks go to hook and returns its id.
func (s *memServer) trySubmit(hook, prefer string) (string, error) {
	body, _ := json.Marshal(map[string]string{"user_prompt": "p", "notify_hook": hook})
	status, data, err := s.try(http.MethodPost, lumamock.PathGenerations, prefer, body)
	if err != nil {
		return "", err
	}
	var env struct {
		Data struct {
			TaskID string `json:"task_id"`
		} `json:"data"`
	}
	if status != http.StatusOK || json.Unmarshal(data, &env) != nil || env.Data.TaskID == "" {
		return "", fmt.Errorf("submit to %s: %d %s", hook, status, data)
	}
	return env.Data.TaskID, nil
}

// submitTo is trySubmit for the test's goroutine: it fails the test on an error.
func (s *memServer) submitTo(t *testing.T, hook, prefer string) string {
	t.Helper()
	id, err := s.trySubmit(hook, prefer)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// reset posts /__mock/reset and checks its 204.
func (s *memServer) reset(t *testing.T) {
	t.Helper()
	if status, data := s.request(t, http.MethodPost, mock.AdminPrefix+"/reset", "", nil); status != http.StatusNoContent {
		t.Fatalf("reset: %d %s", status, data)
	}
}

// callbacks reads the callback journal through the admin API.
func (s *memServer) callbacks(t *testing.T) []mock.CallbackRecord {
	t.Helper()
	status, data := s.request(t, http.MethodGet, mock.AdminPrefix+"/callbacks", "", nil)
	var recs []mock.CallbackRecord
	if status != http.StatusOK || json.Unmarshal(data, &recs) != nil {
		t.Fatalf("callbacks: %d %s", status, data)
	}
	return recs
}

// outcomesOf counts the outcomes of recs, for failure messages.
func outcomesOf(recs []mock.CallbackRecord) map[string]int {
	out := map[string]int{}
	for _, rec := range recs {
		out[rec.Outcome]++
	}
	return out
}

// TestResetUnderLoadNeverWedges reproduces defect 1: with one worker and a queue of five, deliveries to a
// receiver that accepts and never answers fill the queue; a reset then must cancel them (the in-flight one
// through its context, journaled "cancelled") and leave the engine as good as new. The engine of old kept the
// dead queues in its ready channel while its counters dropped to zero, so a few more submissions blocked on a
// channel send made under the dispatcher's mutex: the submit never answered, and nor did reset and shutdown.
//
// It runs on the system clock, as `lumamock serve` does: with pending=0s the processing callback falls due inside
// the submit itself, which is where the wedge bit, and Shutdown's drain is the clock's time.
func TestResetUnderLoadNeverWedges(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newMemServer(t, mock.Options{Clock: systemTime, CallbackWorkers: 1, CallbackQueue: 5, CallbackTimeout: 30 * time.Second})
		dead := &hangReceiver{}
		srv.net.listen(9001, dead)
		const deadHook = "http://127.0.0.1:9001/hook"
		healthy := srv.hook()

		for range 6 {
			srv.submitTo(t, deadHook, hangingPrefer)
		}
		synctest.Wait()
		if n := dead.Open(); n != 1 {
			t.Fatalf("the dead receiver holds %d deliveries, want the single worker's one", n)
		}
		srv.reset(t)
		// The reset drops every task, so the delivery in flight is cancelled through its context: the receiver sees
		// its request cut, and the journal says so.
		synctest.Wait()
		if n := dead.Open(); n != 0 {
			t.Errorf("%d deliveries still held after the reset dropped their tasks: in-flight deliveries are not cancelled", n)
		}
		if recs := srv.callbacks(t); outcomesOf(recs)[mock.OutcomeCancelled] == 0 {
			t.Errorf("no callback journaled %q after a reset cut a delivery in flight; journal: %v", mock.OutcomeCancelled, outcomesOf(recs))
		}

		for range 6 { // round 2, after the reset
			srv.submitTo(t, deadHook, hangingPrefer)
		}
		srv.reset(t)

		// With the dead receiver's deliveries cancelled, the single worker is free for another receiver.
		start := time.Now()
		id := srv.submitTo(t, healthy.URL, "pending=0s, processing=0s")
		synctest.Wait()
		if s := healthy.States(id); len(s) != 2 || s[0] != lumamock.StateProcessing || s[1] != lumamock.StateCompleted {
			t.Errorf("healthy receiver got %v for task %s after two resets, want processing then completed", s, id)
		}
		if took := time.Since(start); took > 0 {
			t.Errorf("the healthy callbacks took %s after two resets", took)
		}

		// Shutdown with a delivery hanging and more queued: it drains for its context, cuts the rest, and returns.
		for range 3 {
			srv.submitTo(t, deadHook, hangingPrefer)
		}
		const drain = 300 * time.Millisecond
		ctx, cancel := context.WithTimeout(context.Background(), drain)
		defer cancel()
		start = time.Now()
		_ = srv.Mock.Shutdown(ctx) // an error is expected: callbacks were given up
		if took := time.Since(start); took != drain {
			t.Errorf("Shutdown took %s with a %s drain", took, drain)
		}
		synctest.Wait()
		if n := dead.Open(); n != 0 {
			t.Errorf("%d deliveries still held after Shutdown returned", n)
		}
	})
}

// TestDeadReceiverCannotStarveAHealthyOne reproduces defect 2: hundreds of tasks whose hook never answers must
// fill only their own receiver's queue (CallbackQueue bounds each receiver's), be given up there with a reason,
// and leave another receiver's callbacks untouched: they arrive at once and are never journaled abandoned.
// The engine of old shared one queue between every receiver, so the healthy callbacks were given up as
// "callback queue full".
func TestDeadReceiverCannotStarveAHealthyOne(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const deadTasks, queue = 300, 8
		srv := newMemServer(t, mock.Options{Clock: systemTime, CallbackWorkers: 4, CallbackQueue: queue,
			CallbackTimeout: 30 * time.Second, CallbackRetries: mock.NoRetries})
		dead := &hangReceiver{}
		srv.net.listen(9002, dead)
		const deadHook = "http://127.0.0.1:9002/hook"
		healthy := srv.hook()

		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				for i := w; i < deadTasks; i += 4 {
					if _, err := srv.trySubmit(deadHook, hangingPrefer); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		synctest.Wait()
		if dead.Open() == 0 {
			t.Fatal("the dead receiver never got a delivery")
		}

		start := time.Now()
		id := srv.submitTo(t, healthy.URL, "pending=0s, processing=0s")
		synctest.Wait()
		if s := healthy.States(id); len(s) != 2 || s[0] != lumamock.StateProcessing || s[1] != lumamock.StateCompleted {
			t.Errorf("the healthy receiver got %v behind %d tasks of a dead one, want processing then completed", s, deadTasks)
		}
		if took := time.Since(start); took > 0 {
			t.Errorf("the healthy callbacks took %s behind %d tasks of a dead one", took, deadTasks)
		}

		deadAbandoned := 0
		recs := srv.callbacks(t)
		for _, rec := range recs {
			switch {
			case rec.TaskID == id && rec.Outcome != mock.OutcomeDelivered:
				t.Errorf("healthy receiver's callback journaled %s: %s", rec.Outcome, rec.Error)
			case rec.URL == deadHook && rec.Outcome == mock.OutcomeAbandoned:
				deadAbandoned++
				if rec.Error == "" {
					t.Errorf("abandoned callback without a reason: %+v", rec)
				}
			}
		}
		// The dead receiver holds some in flight and queues more; far fewer than deadTasks, so the rest were given up.
		if want := deadTasks - queue; deadAbandoned < want {
			t.Errorf("%d of %d callbacks to the dead receiver journaled abandoned with a queue of %d, want at least %d; journal: %v",
				deadAbandoned, deadTasks, queue, want, outcomesOf(recs))
		}
	})
}

// TestHostSpellingsAreOneReceiver reproduces defect 3: one receiver that never answers, its host spelled several
// ways. A receiver is the address a hook resolves to, so the spellings share one in-flight limit, below the
// worker count, and a healthy receiver still gets its callbacks at once. The engine of old keyed the limit on
// the URL's text, so the spellings took every worker.
//
// Every spelling here passes openapi.yaml's notify_hook pattern (^https?://[^\s/?#]+[^\s]*$; `format: uri` is not
// enforced) and the mock's link-local check: localhost, LOCALHOST, 127.0.0.1, a port with a leading zero, and
// the IPv4-mapped IPv6 address in both notations.
func TestHostSpellingsAreOneReceiver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const workers, perSpelling = 4, 2
		srv := newMemServer(t, mock.Options{Clock: systemTime, CallbackWorkers: workers, CallbackTimeout: 30 * time.Second})
		dead := &hangReceiver{}
		const port = 9003
		srv.net.listen(port, dead)
		healthy := srv.hook()

		p := strconv.Itoa(port)
		spellings := []string{"localhost:" + p, "LOCALHOST:" + p, "127.0.0.1:" + p, "127.0.0.1:0" + p,
			"[::ffff:127.0.0.1]:" + p, "[::ffff:7f00:1]:" + p}
		for _, sp := range spellings {
			for range perSpelling {
				srv.submitTo(t, "http://"+sp+"/hook", hangingPrefer)
			}
		}
		synctest.Wait()
		if dead.Open() == 0 {
			t.Fatal("the dead receiver never got a delivery")
		}

		start := time.Now()
		id := srv.submitTo(t, healthy.URL, "pending=0s, processing=0s")
		synctest.Wait()
		if s := healthy.States(id); len(s) != 2 {
			t.Errorf("the healthy receiver got %v while one dead receiver, spelled %d ways, held the workers", s, len(spellings))
		}
		if took := time.Since(start); took > 0 {
			t.Errorf("the healthy callbacks took %s beside the dead receiver", took)
		}
		if peak := dead.Peak(); peak >= workers {
			t.Errorf("the dead receiver held %d deliveries at once with %d workers: its spellings counted as different receivers",
				peak, workers)
		}
	})
}

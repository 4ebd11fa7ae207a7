package delivery

// Every test here runs in a synctest bubble: time is the bubble's fake clock, which moves only when every
// goroutine waits, and receivers are in memory (memNet), so no test depends on how fast the machine is. A
// test that says "at once" means no time passed on that clock.

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/lumamock/lumamock/mock/internal/clock"
)

var seed = flag.Uint64("delivery.seed", 1, "seed of TestRandomSubmitsAndCancelsLeaveNothingBehind")

// elapse lets d pass on the bubble's fake clock, which takes no real time, and waits until every goroutine of
// the bubble is blocked.
func elapse(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

// reports collects an engine's reports.
type reports struct {
	mu  sync.Mutex
	got []Attempt
}

func (r *reports) add(a Attempt) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, a)
}

// outcomes counts the outcomes reported for jobs whose task id starts with prefix.
func (r *reports) outcomes(prefix string) map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for _, a := range r.got {
		if strings.HasPrefix(a.Job.TaskID, prefix) {
			out[a.Outcome]++
		}
	}
	return out
}

// of lists, in the order reported, "event/attempt:outcome" for task's jobs.
func (r *reports) of(task string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, a := range r.got {
		if a.Job.TaskID == task {
			out = append(out, fmt.Sprintf("%d/%d:%s", a.Job.Event, a.Number, a.Outcome))
		}
	}
	return out
}

// behaviour is how an in-memory receiver answers: a status after a wait, or never (hang).
type behaviour struct {
	status int           // 0 with hang unset: the connection is refused
	after  time.Duration // the answer's wait, on the bubble's clock
	hang   bool          // no answer until the attempt is cut
}

var (
	healthy = behaviour{status: http.StatusOK}
	hanging = behaviour{hang: true}
	broken  = behaviour{status: http.StatusInternalServerError}
	refused = behaviour{}
)

func slow(d time.Duration) behaviour { return behaviour{status: http.StatusOK, after: d} }

// memNet is an http.RoundTripper of in-memory receivers, by host.
type memNet struct {
	mu   sync.Mutex
	rcv  map[string]*memReceiver
	next int
}

// memReceiver is one receiver of a memNet: what it got, when, and what it holds.
type memReceiver struct {
	url string
	b   behaviour

	mu       sync.Mutex
	got      []string    // "task/event", in arrival order
	at       []time.Time // of each arrival
	busy     time.Duration
	inflight int
	peak     int
}

func newNet() *memNet { return &memNet{rcv: map[string]*memReceiver{}} }

// add returns a new receiver with behaviour b; its URL's host is its receiver key.
func (n *memNet) add(b behaviour) *memReceiver {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.next++
	host := fmt.Sprintf("r%d.test", n.next)
	r := &memReceiver{url: "http://" + host + "/hook", b: b}
	n.rcv[host] = r
	return r
}

func (n *memNet) RoundTrip(req *http.Request) (*http.Response, error) {
	n.mu.Lock()
	r := n.rcv[req.URL.Host]
	n.mu.Unlock()
	_, _ = io.Copy(io.Discard, req.Body)
	req.Body.Close()
	if r == nil || (r.b.status == 0 && !r.b.hang) {
		return nil, fmt.Errorf("dial %s: connection refused", req.URL.Host)
	}
	began := time.Now()
	r.mu.Lock()
	r.got = append(r.got, req.Header.Get(HeaderTaskID)+"/"+req.Header.Get(HeaderEvent))
	r.at = append(r.at, began)
	r.inflight++
	r.peak = max(r.peak, r.inflight)
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.inflight--
		r.busy += time.Since(began)
		r.mu.Unlock()
	}()
	switch {
	case r.b.hang:
		<-req.Context().Done()
		return nil, req.Context().Err()
	case r.b.after > 0: // (no timer for an answer at once: go1.26.8's runtime crashed once in 20 runs selecting on a
		// bubble's timer of zero duration, in timer.maybeRunChan)
		t := time.NewTimer(r.b.after)
		defer t.Stop()
		select {
		case <-t.C:
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
	}
	return &http.Response{StatusCode: r.b.status, Status: fmt.Sprintf("%d %s", r.b.status, http.StatusText(r.b.status)),
		Header: http.Header{}, Body: http.NoBody, Request: req}, nil
}

func (r *memReceiver) arrivals() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// arrivedAt returns when the receiver got its i-th callback (from 0), or the zero time.
func (r *memReceiver) arrivedAt(i int) time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	if i >= len(r.at) {
		return time.Time{}
	}
	return r.at[i]
}

func (r *memReceiver) inFlight() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.inflight
}

// newEngine returns an engine whose client goes through rt (a memNet, or a Transport to loopback servers), shut
// down when the test ends. Zero Timeout and Backoff mean 10s and 10ms.
func newEngine(tb testing.TB, rt http.RoundTripper, cfg Config, rep *reports) *Engine {
	tb.Helper()
	cfg.Client = &http.Client{Transport: rt}
	cfg.Clock = clock.System // the bubble's
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = 10 * time.Millisecond
	}
	if cfg.Report == nil {
		cfg.Report = rep.add
	}
	e := New(cfg)
	tb.Cleanup(func() {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		e.Shutdown(ctx)
		cfg.Client.CloseIdleConnections()
	})
	return e
}

func job(task string, event int, r *memReceiver) *Job { return jobTo(task, event, r.url, r.url) }

func jobTo(task string, event int, url, receiver string) *Job {
	return &Job{TaskID: task, Event: event, URL: url, Receiver: receiver, State: "processing", Body: []byte(`{}`)}
}

// instant fails the test if f lets time pass on the bubble's clock: it waited for something, a receiver
// perhaps.
func instant(tb testing.TB, what string, f func()) {
	tb.Helper()
	start := time.Now()
	f()
	if took := time.Since(start); took > 0 {
		tb.Errorf("%s took %s: it waited", what, took)
	}
}

func TestAFullQueueGivesUpOnlyItsReceiversJobs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rep reports
		net := newNet()
		dead, ok := net.add(hanging), net.add(healthy)
		e := newEngine(t, net, Config{Workers: 4, PerReceiver: 1, Queue: 3}, &rep)
		for i := range 20 {
			for _, a := range e.Submit(job(fmt.Sprintf("dead-%d", i), 1, dead)) {
				rep.add(a)
			}
		}
		if got := rep.outcomes("dead-")[Abandoned]; got != 17 {
			t.Errorf("%d of the dead receiver's jobs given up, want 17 (its queue holds 3)", got)
		}
		start := time.Now()
		e.Submit(job("healthy", 1, ok))
		synctest.Wait()
		if at := ok.arrivedAt(0); !at.Equal(start) {
			t.Errorf("the healthy receiver's callback arrived %s after submit, want at once", at.Sub(start))
		}
		if got := rep.outcomes("healthy"); got[Delivered] != 1 || got[Abandoned] != 0 {
			t.Errorf("healthy outcomes %v", got)
		}
	})
}

// TestHangingReceiversCannotHoldEveryWorker: more hanging receivers than workers, each with more jobs than its
// in-flight bound; a healthy receiver's callback still leaves within Stall, because stalled attempts stop
// counting against the workers.
func TestHangingReceiversCannotHoldEveryWorker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const stall = 20 * time.Millisecond
		var rep reports
		net := newNet()
		ok := net.add(healthy)
		e := newEngine(t, net, Config{Workers: 2, PerReceiver: 2, Queue: 100, Stall: stall}, &rep)
		var hang []*memReceiver
		for r := range 8 {
			hang = append(hang, net.add(hanging))
			for i := range 5 {
				e.Submit(job(fmt.Sprintf("hang-%d-%d", r, i), 1, hang[r]))
			}
		}
		for range 8 * 5 { // attempts start, stall and make room for more: every hanging receiver holds some
			elapse(stall / 2)
		}
		for _, r := range hang {
			if r.inFlight() == 0 {
				t.Fatalf("a hanging receiver holds no attempt: the test proves nothing")
			}
		}
		for i := range 3 {
			start := time.Now()
			e.Submit(job(fmt.Sprintf("healthy-%d", i), 1, ok))
			for len(ok.arrivals()) <= i {
				elapse(time.Millisecond)
			}
			if took := ok.arrivedAt(i).Sub(start); took > stall {
				t.Errorf("healthy callback %d took %s beside 8 hanging receivers, more than the stall time %s", i, took, stall)
			}
		}
	})
}

// TestFailingReceiversCannotEatTheWorkersTime: forty hanging receivers whose attempts time out and are retried
// without end keep the workers busy starting attempts that stall; a healthy receiver's callbacks still leave
// at once, because failing receivers may hold only three quarters of the workers.
func TestFailingReceiversCannotEatTheWorkersTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rep reports
		net := newNet()
		ok := net.add(healthy)
		e := newEngine(t, net, Config{Workers: 4, PerReceiver: 2, Queue: 100, Retries: 1000, Backoff: time.Millisecond,
			Timeout: 60 * time.Millisecond, Stall: 20 * time.Millisecond}, &rep)
		for r := range 40 {
			rc := net.add(hanging)
			for i := range 10 { // more than may be in flight: each receiver always waits for its turn
				e.Submit(job(fmt.Sprintf("hang-%d-%d", r, i), 1, rc))
			}
		}
		elapse(400 * time.Millisecond) // every hanging receiver has failed by now, and they keep retrying
		if n := rep.outcomes("hang-")[Retrying]; n < 40 {
			t.Fatalf("only %d retries of the hanging receivers' callbacks: the test did not load the engine", n)
		}
		for i := range 10 {
			start := time.Now()
			e.Submit(job(fmt.Sprintf("healthy-%d", i), 1, ok))
			synctest.Wait()
			if at := ok.arrivedAt(i); at.IsZero() || at.After(start) {
				t.Errorf("healthy callback %d beside 40 failing receivers: arrived %v after submit, want at once", i, at.Sub(start))
			}
			elapse(20 * time.Millisecond)
		}
	})
}

func TestCancelCutsAttemptsInFlightWithoutWaiting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rep reports
		net := newNet()
		hang := net.add(hanging)
		e := newEngine(t, net, Config{Workers: 4, PerReceiver: 4, Queue: 100, Timeout: time.Hour}, &rep)
		var ids []string
		for i := range 10 {
			id := fmt.Sprintf("t-%d", i)
			ids = append(ids, id)
			e.Submit(job(id, 1, hang), job(id, 2, hang))
		}
		elapse(time.Second) // attempts hang in flight, stalled
		if hang.inFlight() == 0 {
			t.Fatal("no attempt in flight")
		}
		var n int
		instant(t, "Cancel", func() { n = e.Cancel(ids, Cancelled, "reset") })
		if n != 20 {
			t.Errorf("Cancel gave up %d jobs, want 20", n)
		}
		instant(t, "WaitIdle", func() { _ = e.WaitIdle(context.Background()) })
		if got := rep.outcomes("t-"); got[Cancelled] != 20 || len(got) != 1 {
			t.Errorf("outcomes %v, want 20 cancelled", got)
		}
		synctest.Wait()
		if held, open := e.Held(), hang.inFlight(); held != 0 || open != 0 {
			t.Errorf("%d jobs still held, %d attempts still open at the receiver", held, open)
		}
	})
}

func TestTasksLeaveInOrderAndRetry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rep reports
		net := newNet()
		ok := net.add(healthy)
		fails := 2 // task a's first callback fails twice
		var mu sync.Mutex
		flaky := &http.Client{Transport: roundTripper(func(req *http.Request) (*http.Response, error) {
			mu.Lock()
			fail := req.Header.Get(HeaderEvent) == "1" && fails > 0
			if fail {
				fails--
			}
			mu.Unlock()
			if fail {
				return &http.Response{StatusCode: 500, Status: "500 Internal Server Error", Body: http.NoBody, Request: req}, nil
			}
			return net.RoundTrip(req)
		})}
		e := newEngine(t, net, Config{Workers: 4, PerReceiver: 4, Queue: 100, Retries: 2}, &rep)
		e.cfg.Client = flaky
		e.Submit(job("a", 1, ok), job("a", 2, ok), job("a", 3, ok))
		for e.Held() > 0 {
			elapse(time.Millisecond)
		}
		if got, want := strings.Join(ok.arrivals(), " "), "a/1 a/2 a/3"; got != want {
			t.Errorf("arrivals %q, want %q", got, want)
		}
		want := []string{"1/1:retrying", "1/2:retrying", "1/3:delivered", "2/1:delivered", "3/1:delivered"}
		if got := rep.of("a"); !slices.Equal(got, want) {
			t.Errorf("reports %v, want %v", got, want)
		}
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// TestRandomSubmitsAndCancelsLeaveNothingBehind drives the engine with a seeded mix of receivers (healthy,
// failing, hanging, refusing) and cancellations, and checks its counts return to zero, every job is reported
// final once, and no attempt is left open (the bubble itself fails the test if a goroutine is left).
func TestRandomSubmitsAndCancelsLeaveNothingBehind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(*seed, 1))
		var rep reports
		net := newNet()
		targets := []*memReceiver{net.add(healthy), net.add(broken), net.add(hanging), net.add(refused), net.add(slow(30 * time.Millisecond))}
		e := newEngine(t, net, Config{Workers: 4, PerReceiver: 2, Queue: 50, Retries: 1, Timeout: 200 * time.Millisecond}, &rep)
		var ids []string
		for i := range 400 {
			tg := targets[rng.IntN(len(targets))]
			id := fmt.Sprintf("task-%d", i)
			ids = append(ids, id)
			for _, a := range e.Submit(job(id, 1, tg), job(id, 2, tg)) {
				rep.add(a)
			}
			if i%20 == 0 {
				elapse(5 * time.Millisecond) // let deliveries, failures and timeouts happen between submissions
			}
			if rng.IntN(50) == 0 {
				pick := ids[rng.IntN(len(ids)):]
				instant(t, "Cancel", func() { e.Cancel(pick, Cancelled, "reset") })
			}
		}
		elapse(100 * time.Millisecond)
		instant(t, "Cancel", func() { e.Cancel(ids, Cancelled, "reset") })
		instant(t, "WaitIdle", func() { _ = e.WaitIdle(context.Background()) })
		if held := e.Held(); held != 0 {
			t.Fatalf("%d jobs held after cancelling every task", held)
		}
		// Every job was reported once as final: delivered, failed, abandoned or cancelled.
		final := 0
		for outcome, n := range rep.outcomes("task-") {
			if outcome != Retrying {
				final += n
			}
		}
		if got := rep.outcomes("task-"); got[Delivered] == 0 || got[Failed] == 0 || got[Cancelled] == 0 {
			t.Errorf("outcomes %v: want some delivered, failed and cancelled (-delivery.seed %d)", got, *seed)
		}
		if final != 800 {
			t.Errorf("%d final reports for 800 jobs: %v", final, rep.outcomes("task-"))
		}
		synctest.Wait()
		for _, tg := range targets {
			if n := tg.inFlight(); n != 0 {
				t.Errorf("%d attempts still open at %s", n, tg.url)
			}
		}
	})
}

func TestShutdownDrainsThenGivesUpWithoutWaiting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rep reports
		net := newNet()
		ok, hang := net.add(slow(50*time.Millisecond)), net.add(hanging)
		e := newEngine(t, net, Config{Workers: 4, PerReceiver: 4, Queue: 100, Timeout: time.Hour}, &rep)
		e.Submit(job("ok", 1, ok))
		e.Submit(job("hang", 1, hang), job("hang", 2, hang))
		const drain = 200 * time.Millisecond
		ctx, cancel := context.WithTimeout(context.Background(), drain)
		defer cancel()
		start := time.Now()
		n := e.Shutdown(ctx)
		if took := time.Since(start); took != drain {
			t.Errorf("Shutdown took %s with a %s drain", took, drain)
		}
		if n != 2 {
			t.Errorf("Shutdown gave up %d jobs, want 2", n)
		}
		if got := rep.outcomes("ok"); got[Delivered] != 1 {
			t.Errorf("the due callback was not delivered: %v", got)
		}
		if got := rep.outcomes("hang"); got[Abandoned] != 2 {
			t.Errorf("hanging outcomes %v, want 2 abandoned", got)
		}
		if given := e.Submit(job("late", 1, ok)); len(given) != 1 || given[0].Outcome != Abandoned {
			t.Errorf("a job submitted after shutdown: %+v", given)
		}
		if open := hang.inFlight(); open != 0 {
			t.Errorf("%d attempts still open after Shutdown", open)
		}
	})
}

// TestWorkersAreSharedByTime: receivers that answer in 2, 20 and 200 ms, each with more callbacks than it can
// take, share one worker by the time they hold it (start-time fair queuing), not by their number of
// attempts: each holds it about a third of the time, so the fast one makes about a hundred times as many
// attempts as the slow one.
func TestWorkersAreSharedByTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rep reports
		net := newNet()
		latencies := []time.Duration{2 * time.Millisecond, 20 * time.Millisecond, 200 * time.Millisecond}
		var rcvs []*memReceiver
		e := newEngine(t, net, Config{Workers: 1, PerReceiver: 1, Queue: 10000}, &rep)
		for i, d := range latencies {
			r := net.add(slow(d))
			rcvs = append(rcvs, r)
			for n := range 5000 {
				e.Submit(job(fmt.Sprintf("r%d-%d", i, n), 1, r))
			}
		}
		const window = 6 * time.Second
		elapse(window)
		var total time.Duration
		for i, r := range rcvs {
			r.mu.Lock()
			busy, n := r.busy, len(r.got)
			r.mu.Unlock()
			total += busy
			t.Logf("receiver answering in %s: %d attempts, %s of the worker", latencies[i], n, busy)
			if share := float64(busy) / float64(window); share < 0.28 || share > 0.39 {
				t.Errorf("the receiver answering in %s held the worker %.0f%% of the time, want about a third", latencies[i], 100*share)
			}
		}
		if total < window*95/100 {
			t.Errorf("the worker was busy %s of %s: it idled while callbacks waited", total, window)
		}
	})
}

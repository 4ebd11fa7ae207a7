package delivery

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

var seed = flag.Uint64("delivery.seed", 1, "seed of TestRandomSubmitsAndCancelsLeaveNothingBehind")

// realClock is the system clock.
type realClock struct{}

func (realClock) Now() time.Time                            { return time.Now() }
func (realClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

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

// receiverServer is a loopback receiver: it hangs until its test ends when hang is set, else answers status.
type receiverServer struct {
	*httptest.Server
	mu   sync.Mutex
	got  []string // task/event, in arrival order
	seen chan string
}

func newReceiver(tb testing.TB, hang bool, status int) *receiverServer {
	tb.Helper()
	rs := &receiverServer{seen: make(chan string, 1024)}
	release := make(chan struct{})
	rs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if hang {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		key := r.Header.Get(HeaderTaskID) + "/" + r.Header.Get(HeaderEvent)
		rs.mu.Lock()
		rs.got = append(rs.got, key)
		rs.mu.Unlock()
		select {
		case rs.seen <- key:
		default:
		}
		w.WriteHeader(status)
	}))
	tb.Cleanup(func() { close(release); rs.Close() })
	return rs
}

func (rs *receiverServer) arrivals() []string {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([]string(nil), rs.got...)
}

func newEngine(tb testing.TB, cfg Config, rep *reports) *Engine {
	tb.Helper()
	if cfg.Client == nil {
		cfg.Client = &http.Client{Transport: &http.Transport{}}
	}
	if cfg.Clock == nil {
		cfg.Clock = realClock{}
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = 10 * time.Millisecond
	}
	cfg.Report = rep.add
	e := New(cfg)
	tb.Cleanup(func() {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		e.Shutdown(ctx)
		cfg.Client.CloseIdleConnections()
	})
	return e
}

func job(task string, event int, url, receiver string) *Job {
	return &Job{TaskID: task, Event: event, URL: url, Receiver: receiver, State: "processing", Body: []byte(`{}`)}
}

// within fails the test unless f returns within d.
func within(tb testing.TB, d time.Duration, what string, f func()) {
	tb.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(d):
		buf := make([]byte, 1<<16)
		tb.Fatalf("%s did not return within %s:\n%s", what, d, buf[:runtime.Stack(buf, true)])
	}
}

func waitArrival(tb testing.TB, rs *receiverServer, d time.Duration) time.Duration {
	tb.Helper()
	start := time.Now()
	select {
	case <-rs.seen:
		return time.Since(start)
	case <-time.After(d):
		tb.Fatalf("nothing arrived within %s", d)
		return 0
	}
}

func TestAFullQueueGivesUpOnlyItsReceiversJobs(t *testing.T) {
	var rep reports
	dead, healthy := newReceiver(t, true, 0), newReceiver(t, false, 200)
	e := newEngine(t, Config{Workers: 4, PerReceiver: 1, Queue: 3}, &rep)
	for i := range 20 {
		if given := e.Submit(job(fmt.Sprintf("dead-%d", i), 1, dead.URL, "dead")); len(given) > 0 {
			for _, a := range given {
				rep.add(a)
			}
		}
	}
	if got := rep.outcomes("dead-")[Abandoned]; got != 17 {
		t.Errorf("%d of the dead receiver's jobs given up, want 17 (its queue holds 3)", got)
	}
	e.Submit(job("healthy", 1, healthy.URL, "healthy"))
	if took := waitArrival(t, healthy, 2*time.Second); took > 500*time.Millisecond {
		t.Errorf("the healthy receiver's callback took %s", took)
	}
	if got := rep.outcomes("healthy"); got[Abandoned] != 0 {
		t.Errorf("healthy outcomes %v", got)
	}
}

// TestHangingReceiversCannotHoldEveryWorker: more hanging receivers than workers, each with more jobs than its
// in-flight bound; a healthy receiver's callback still leaves at once, because stalled attempts stop counting
// against the workers.
func TestHangingReceiversCannotHoldEveryWorker(t *testing.T) {
	var rep reports
	hanging, healthy := newReceiver(t, true, 0), newReceiver(t, false, 200)
	e := newEngine(t, Config{Workers: 2, PerReceiver: 2, Queue: 100, Stall: 20 * time.Millisecond}, &rep)
	for r := range 8 {
		for i := range 5 {
			e.Submit(job(fmt.Sprintf("hang-%d-%d", r, i), 1, hanging.URL, fmt.Sprintf("hanging-%d", r)))
		}
	}
	time.Sleep(50 * time.Millisecond) // every hanging receiver has attempts in flight by now
	for i := range 3 {
		e.Submit(job(fmt.Sprintf("healthy-%d", i), 1, healthy.URL, "healthy"))
		if took := waitArrival(t, healthy, 2*time.Second); took > 300*time.Millisecond {
			t.Errorf("healthy callback %d took %s beside 8 hanging receivers", i, took)
		}
	}
}

// TestFailingReceiversCannotEatTheWorkersTime: forty hanging receivers whose attempts time out and are retried
// without end keep the workers busy starting attempts that stall; a healthy receiver's callbacks still leave
// at once, because failing receivers share a quarter of the workers.
func TestFailingReceiversCannotEatTheWorkersTime(t *testing.T) {
	var rep reports
	hanging, healthy := newReceiver(t, true, 0), newReceiver(t, false, 200)
	e := newEngine(t, Config{Workers: 4, PerReceiver: 2, Queue: 100, Retries: 1000, Backoff: time.Millisecond,
		Timeout: 60 * time.Millisecond, Stall: 20 * time.Millisecond}, &rep)
	for r := range 40 {
		for i := range 10 { // more than may be in flight: each receiver always waits for its turn
			e.Submit(job(fmt.Sprintf("hang-%d-%d", r, i), 1, hanging.URL, fmt.Sprintf("hanging-%d", r)))
		}
	}
	time.Sleep(400 * time.Millisecond) // every hanging receiver has failed by now, and they keep retrying
	var slowest time.Duration
	for i := range 10 {
		e.Submit(job(fmt.Sprintf("healthy-%d", i), 1, healthy.URL, "healthy"))
		slowest = max(slowest, waitArrival(t, healthy, 2*time.Second))
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("slowest %s, retries %d", slowest, rep.outcomes("hang-")[Retrying])
	if slowest > 100*time.Millisecond {
		t.Errorf("the slowest of 10 healthy callbacks took %s beside 40 failing receivers", slowest)
	}
	if n := rep.outcomes("hang-")[Retrying]; n < 40 {
		t.Errorf("only %d retries of the hanging receivers' callbacks: the test did not load the engine", n)
	}
}

func TestCancelCutsAttemptsInFlightWithoutWaiting(t *testing.T) {
	before := runtime.NumGoroutine()
	var rep reports
	hanging := newReceiver(t, true, 0)
	e := newEngine(t, Config{Workers: 4, PerReceiver: 4, Queue: 100, Timeout: time.Hour}, &rep)
	var ids []string
	for i := range 10 {
		id := fmt.Sprintf("t-%d", i)
		ids = append(ids, id)
		e.Submit(job(id, 1, hanging.URL, "r"), job(id, 2, hanging.URL, "r"))
	}
	time.Sleep(50 * time.Millisecond) // four attempts hang in flight
	var n int
	within(t, 100*time.Millisecond, "Cancel", func() { n = e.Cancel(ids, Cancelled, "reset") })
	if n != 20 {
		t.Errorf("Cancel gave up %d jobs, want 20", n)
	}
	within(t, time.Second, "WaitIdle", func() { _ = e.WaitIdle(context.Background()) })
	if got := rep.outcomes("t-"); got[Cancelled] != 20 || len(got) != 1 {
		t.Errorf("outcomes %v, want 20 cancelled", got)
	}
	if held := e.Held(); held != 0 {
		t.Errorf("%d jobs still held", held)
	}
	hanging.CloseClientConnections()
	waitGoroutines(t, before+4) // the receiver's own server goroutines may linger a little
}

func TestTasksLeaveInOrderAndRetry(t *testing.T) {
	var rep reports
	flaky := newReceiver(t, false, 200)
	fails := map[string]int{"a/1": 2} // task a's first callback fails twice
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get(HeaderTaskID) + "/" + r.Header.Get(HeaderEvent)
		mu.Lock()
		fail := fails[key] > 0
		fails[key]--
		mu.Unlock()
		if fail {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		flaky.Config.Handler.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	e := newEngine(t, Config{Workers: 4, PerReceiver: 4, Queue: 100, Retries: 2}, &rep)
	e.Submit(job("a", 1, srv.URL, "r"), job("a", 2, srv.URL, "r"), job("a", 3, srv.URL, "r"))
	within(t, 2*time.Second, "WaitIdle", func() {
		for e.Held() > 0 {
			_ = e.WaitIdle(context.Background())
			time.Sleep(time.Millisecond)
		}
	})
	if got, want := strings.Join(flaky.arrivals(), " "), "a/1 a/2 a/3"; got != want {
		t.Errorf("arrivals %q, want %q", got, want)
	}
	if got := rep.outcomes("a"); got[Retrying] != 2 || got[Delivered] != 3 {
		t.Errorf("outcomes %v, want 2 retrying and 3 delivered", got)
	}
}

// TestRandomSubmitsAndCancelsLeaveNothingBehind drives the engine with a seeded mix of receivers (healthy,
// failing, hanging, closed) and cancellations, and checks its counts return to zero and its goroutines end.
func TestRandomSubmitsAndCancelsLeaveNothingBehind(t *testing.T) {
	rng := rand.New(rand.NewPCG(*seed, 1))
	before := runtime.NumGoroutine()
	var rep reports
	closed := newReceiver(t, false, 200)
	closedURL := closed.URL
	closed.Close()
	targets := []struct{ url, key string }{
		{newReceiver(t, false, 200).URL, "ok"},
		{newReceiver(t, false, 500).URL, "500"},
		{newReceiver(t, true, 0).URL, "hang"},
		{closedURL, "closed"},
	}
	client := &http.Client{Transport: &http.Transport{}}
	e := newEngine(t, Config{Client: client, Workers: 4, PerReceiver: 2, Queue: 50, Retries: 1, Timeout: 200 * time.Millisecond}, &rep)
	var ids []string
	for i := range 400 {
		tg := targets[rng.IntN(len(targets))]
		id := fmt.Sprintf("task-%d", i)
		ids = append(ids, id)
		for _, a := range e.Submit(job(id, 1, tg.url, tg.key), job(id, 2, tg.url, tg.key)) {
			rep.add(a)
		}
		if i%20 == 0 {
			time.Sleep(5 * time.Millisecond) // let deliveries, failures and timeouts happen between submissions
		}
		if rng.IntN(50) == 0 {
			pick := ids[rng.IntN(len(ids)):]
			within(t, 100*time.Millisecond, "Cancel", func() { e.Cancel(pick, Cancelled, "reset") })
		}
	}
	time.Sleep(100 * time.Millisecond)
	within(t, 100*time.Millisecond, "Cancel", func() { e.Cancel(ids, Cancelled, "reset") })
	within(t, time.Second, "WaitIdle", func() { _ = e.WaitIdle(context.Background()) })
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
	client.CloseIdleConnections()
	waitGoroutines(t, before+12)
}

func TestShutdownDrainsThenGivesUpWithoutWaiting(t *testing.T) {
	var rep reports
	healthy, hanging := newReceiver(t, false, 200), newReceiver(t, true, 0)
	e := newEngine(t, Config{Workers: 4, PerReceiver: 4, Queue: 100, Timeout: time.Hour}, &rep)
	e.Submit(job("ok", 1, healthy.URL, "ok"))
	e.Submit(job("hang", 1, hanging.URL, "hang"), job("hang", 2, hanging.URL, "hang"))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	var n int
	within(t, time.Second, "Shutdown", func() { n = e.Shutdown(ctx) })
	if n != 2 {
		t.Errorf("Shutdown gave up %d jobs, want 2", n)
	}
	if got := rep.outcomes("ok"); got[Delivered] != 1 {
		t.Errorf("the due callback was not delivered: %v", got)
	}
	if got := rep.outcomes("hang"); got[Abandoned] != 2 {
		t.Errorf("hanging outcomes %v, want 2 abandoned", got)
	}
	if given := e.Submit(job("late", 1, healthy.URL, "ok")); len(given) != 1 || given[0].Outcome != Abandoned {
		t.Errorf("a job submitted after shutdown: %+v", given)
	}
}

func waitGoroutines(tb testing.TB, limit int) {
	tb.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > limit && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > limit {
		buf := make([]byte, 1<<16)
		tb.Errorf("%d goroutines, want at most %d:\n%s", n, limit, buf[:runtime.Stack(buf, true)])
	}
}

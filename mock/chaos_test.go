package mock_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
)

// chaosSeed seeds TestCallbackChaos; LUMAMOCK_CHAOS_SEED overrides it, to replay a failure or explore. The
// interleaving of goroutines is not reproducible, but what is submitted where, with which timings, and which
// admin calls are made, is.
const chaosSeed uint64 = 0x6c756d61

// chaosLateness bounds how late a healthy receiver's callback may arrive after its state change (measured from
// before the submit request, so it includes that request). It is half of chaosTimeout, so a callback that
// waited behind one hanging delivery is caught; chaosLateness90 bounds the 90th percentile, so one that waits
// behind slow receivers as a rule is caught too. The rest is slack for -race on two cores, where a busy
// scheduler alone makes a few hundred milliseconds.
const (
	chaosTimeout    = 2 * time.Second
	chaosLateness   = time.Second
	chaosLateness90 = 300 * time.Millisecond
)

// receiverKind is how a chaos receiver behaves.
type receiverKind int

const (
	kindHealthy  receiverKind = iota // answers 200 at once
	kindRedirect                     // redirects to another path on its own host, which answers 200
	kindSlow                         // answers 200 after 50–200 ms
	kindHanging                      // never answers until the request is cancelled or the test ends
	kindError                        // answers 500
	kindClosed                       // nothing listens: connections are refused
)

func (k receiverKind) String() string {
	return [...]string{"healthy", "redirect", "slow", "hanging", "500", "closed"}[k]
}

// verified reports whether every callback to a receiver of this kind must arrive exactly once, in order, on time.
func (k receiverKind) verified() bool { return k == kindHealthy || k == kindRedirect }

// chaosReceiver is one loopback callback receiver of the chaos test.
type chaosReceiver struct {
	kind     receiverKind
	port     string
	path     string
	hs       *httptest.Server // nil for kindClosed
	inflight atomic.Int64     // requests being answered now (hanging ones pile up here)
}

// arrival is a callback as a receiver got it.
type arrival struct {
	receiver int
	event    int
	state    lumamock.TaskState
	attempt  int
	at       time.Time
}

// chaosTask is a task the chaos test submitted, and what it knows of its course.
type chaosTask struct {
	id          string
	receiver    int
	submitStart time.Time
	pending     time.Duration
	processing  time.Duration
	outcome     lumamock.TaskState
	forced      []mock.Transition // the history a successful complete or fail answered with
	unknown     bool              // a complete or fail of it went unanswered: its course is not known
}

// expected is the task's callbacks: states in order and when each fell due.
func (t *chaosTask) expected() (states []lumamock.TaskState, due []time.Time, known bool) {
	if t.unknown {
		return nil, nil, false
	}
	if t.forced != nil {
		for _, tr := range t.forced[1:] { // the first is pending, which has no callback
			states, due = append(states, tr.State), append(due, tr.At)
		}
		return states, due, true
	}
	return []lumamock.TaskState{lumamock.StateProcessing, t.outcome},
		[]time.Time{t.submitStart.Add(t.pending), t.submitStart.Add(t.pending + t.processing)}, true
}

type window struct{ start, end time.Time }

// chaosRun is the shared state of one chaos run.
type chaosRun struct {
	t         *testing.T
	h         *harness
	receivers []*chaosReceiver
	abort     context.CancelFunc

	mu          sync.Mutex
	tasks       []*chaosTask
	byID        map[string]*chaosTask
	arrivals    map[string][]arrival // per task id, in arrival order
	resets      []window
	notAnswered []string
	failures    atomic.Int64 // apart from mu: errorf is called with mu held
}

const maxChaosReports = 25

// errorf reports a failure, the first maxChaosReports of them in full.
func (r *chaosRun) errorf(format string, args ...any) {
	if n := r.failures.Add(1); n <= maxChaosReports {
		r.t.Errorf(format, args...)
	} else if n == maxChaosReports+1 {
		r.t.Errorf("… further failures not shown")
	}
}

// unanswered records a request the mock did not answer within answerLimit and stops the run: the engine is
// wedged, and everything after would only pile up behind it.
func (r *chaosRun) unanswered(what string, err error) {
	r.mu.Lock()
	r.notAnswered = append(r.notAnswered, fmt.Sprintf("%s: %v", what, err))
	r.mu.Unlock()
	r.abort()
}

func (r *chaosRun) record(i int, w http.ResponseWriter, req *http.Request) {
	_, _ = io.Copy(io.Discard, req.Body)
	a := arrival{receiver: i, state: lumamock.TaskState(req.Header.Get(mock.HeaderState)), at: time.Now()}
	a.event, _ = strconv.Atoi(req.Header.Get(mock.HeaderEvent))
	a.attempt, _ = strconv.Atoi(req.Header.Get(mock.HeaderAttempt))
	id := req.Header.Get(mock.HeaderTaskID)
	r.mu.Lock()
	r.arrivals[id] = append(r.arrivals[id], a)
	r.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// startReceiver starts a receiver of kind as receiver number i.
func (r *chaosRun) startReceiver(kind receiverKind, seed uint64, release <-chan struct{}) *chaosReceiver {
	i := len(r.receivers)
	rc := &chaosReceiver{kind: kind, path: "/hook"}
	var rngMu sync.Mutex
	rng := rand.New(rand.NewPCG(seed, 100+uint64(i)))
	handler := func(w http.ResponseWriter, req *http.Request) {
		rc.inflight.Add(1)
		defer rc.inflight.Add(-1)
		switch kind {
		case kindHealthy:
			r.record(i, w, req)
		case kindRedirect:
			if req.URL.Path == "/landing" {
				r.record(i, w, req)
				return
			}
			_, _ = io.Copy(io.Discard, req.Body)
			http.Redirect(w, req, "/landing", http.StatusTemporaryRedirect)
		case kindSlow:
			_, _ = io.Copy(io.Discard, req.Body)
			rngMu.Lock()
			d := 50*time.Millisecond + time.Duration(rng.Int64N(int64(150*time.Millisecond)))
			rngMu.Unlock()
			select {
			case <-time.After(d):
				w.WriteHeader(http.StatusOK)
			case <-req.Context().Done():
			case <-release:
			}
		case kindHanging:
			_, _ = io.Copy(io.Discard, req.Body)
			select {
			case <-req.Context().Done():
			case <-release:
			}
		case kindError:
			_, _ = io.Copy(io.Discard, req.Body)
			http.Error(w, "receiver broken", http.StatusInternalServerError)
		}
	}
	if kind == kindClosed {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			r.t.Fatal(err)
		}
		_, rc.port, _ = net.SplitHostPort(ln.Addr().String())
		ln.Close()
	} else {
		rc.hs = httptest.NewServer(http.HandlerFunc(handler))
		_, rc.port, _ = net.SplitHostPort(rc.hs.Listener.Addr().String())
		if kind == kindRedirect {
			rc.path = "/r"
		}
	}
	r.receivers = append(r.receivers, rc)
	return rc
}

// spellings of 127.0.0.1:port that openapi.yaml and the mock accept; all name the same receiver.
func chaosSpellings(localhost bool) []func(port string) string {
	out := []func(string) string{
		func(p string) string { return "127.0.0.1:" + p },
		func(p string) string { return "[::ffff:127.0.0.1]:" + p },
		func(p string) string { return "127.0.0.1:0" + p },
	}
	if localhost {
		out = append(out, func(p string) string { return "localhost:" + p })
	}
	return out
}

// TestCallbackChaos submits a few thousand tasks, seeded, to receivers of every behaviour (healthy, slow,
// hanging, answering 500, redirecting on their own host, refusing connections), their hosts spelled several ways,
// while resets, forced completions and failures, and journal reads land at random moments. It proves that:
//
//   - every API and admin request is answered within answerLimit, whatever the engine holds;
//   - a healthy receiver gets every callback of every task no reset could have dropped exactly once, in order,
//     and on time (chaosLateness after its state change), however many receivers are dead or slow; and the
//     callbacks of any task, reset or not, never twice and never out of order;
//   - a reset cuts the deliveries in flight (journaled "cancelled"), and after it and Shutdown the goroutines and
//     the heap return to where they were before the mock started.
func TestCallbackChaos(t *testing.T) {
	seed := chaosSeed
	if s := os.Getenv("LUMAMOCK_CHAOS_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 0, 64)
		if err != nil {
			t.Fatalf("LUMAMOCK_CHAOS_SEED=%q: %v", s, err)
		}
		seed = v
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("chaos seed %#x (replay with LUMAMOCK_CHAOS_SEED=%#x)", seed, seed)
		}
	})
	total, submitters := 2000, 4
	if testing.Short() {
		total = 500
	}
	resetsUntil := total * 7 / 10 // no reset after this many submissions: the rest of the run is untouched

	runtime.GC()
	baseGoroutines := runtime.NumGoroutine()
	began := time.Now()

	ctx, abort := context.WithCancel(context.Background())
	defer abort()
	run := &chaosRun{t: t, abort: abort, byID: map[string]*chaosTask{}, arrivals: map[string][]arrival{}}
	release := make(chan struct{})
	var releaseOnce sync.Once
	releaseAll := func() { releaseOnce.Do(func() { close(release) }) }

	// Receivers: several of each kind that matters; the closed one last, so no listener of ours takes its port.
	for _, kind := range []receiverKind{kindHealthy, kindHealthy, kindHealthy, kindHealthy, kindRedirect,
		kindSlow, kindSlow, kindHanging, kindHanging, kindError, kindClosed} {
		run.startReceiver(kind, seed, release)
	}
	closeReceivers := func() {
		releaseAll()
		for _, rc := range run.receivers {
			if rc.hs != nil {
				rc.hs.CloseClientConnections()
				rc.hs.Close()
			}
		}
	}
	t.Cleanup(closeReceivers)
	byKind := map[receiverKind][]int{}
	for i, rc := range run.receivers {
		byKind[rc.kind] = append(byKind[rc.kind], i)
	}
	spellings := chaosSpellings(localhostIsLoopback4())

	h := startHarness(t, mock.Options{
		CallbackWorkers: 8,
		CallbackQueue:   512, // per receiver: a burst to a healthy one fits even on a loaded machine
		CallbackTimeout: chaosTimeout,
		CallbackRetries: 1,
		CallbackBackoff: 10 * time.Millisecond,
		JournalSize:     20000, // every attempt of the run, to explain a late one
		Seed:            int64(seed & 0x7fffffff),
	})
	run.h = h
	// The heap's baseline is the idle mock's: what it holds for good (the document, its router) is not growth.
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	baseHeap := ms.HeapInuse

	// What a task gets: weights per receiver kind, and timings.
	kinds := []struct {
		kind   receiverKind
		weight int
	}{{kindHealthy, 40}, {kindRedirect, 8}, {kindSlow, 12}, {kindHanging, 18}, {kindError, 10}, {kindClosed, 12}}
	timings := []time.Duration{0, 0, 10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond}
	longProcessing := 300 * time.Millisecond // some tasks stay processing long enough to be forced to an end

	var submitted atomic.Int64
	var wg sync.WaitGroup
	for w := range submitters {
		wg.Add(1)
		rng := rand.New(rand.NewPCG(seed, uint64(w)+1))
		go func() {
			defer wg.Done()
			for i := w; i < total; i += submitters {
				if ctx.Err() != nil {
					return
				}
				pick := rng.IntN(100)
				var kind receiverKind
				for _, k := range kinds {
					if pick < k.weight {
						kind = k.kind
						break
					}
					pick -= k.weight
				}
				ri := byKind[kind][rng.IntN(len(byKind[kind]))]
				rc := run.receivers[ri]
				hook := "http://" + spellings[rng.IntN(len(spellings))](rc.port) + rc.path
				task := &chaosTask{receiver: ri, outcome: lumamock.StateCompleted,
					pending: timings[rng.IntN(len(timings))], processing: timings[rng.IntN(len(timings))]}
				if rng.IntN(8) == 0 {
					task.processing = longProcessing
				}
				prefer := fmt.Sprintf("pending=%s, processing=%s", task.pending, task.processing)
				if rng.IntN(3) == 0 {
					task.outcome = lumamock.StateFailed
					prefer += ", outcome=failed"
				}
				task.submitStart = time.Now()
				id, err := h.submit(hook, prefer)
				if err != nil {
					if ctx.Err() == nil {
						run.unanswered("submit to "+hook, err)
					}
					return
				}
				task.id = id
				run.mu.Lock()
				run.tasks = append(run.tasks, task)
				run.byID[id] = task
				run.mu.Unlock()
				submitted.Add(1)
				if rng.IntN(10) == 0 {
					if _, _, err := h.do(http.MethodGet, "/luma/generations/"+id, "", nil); err != nil && ctx.Err() == nil {
						run.unanswered("GET the task", err)
						return
					}
				}
			}
		}()
	}

	// The injector: resets (only in the first part of the run), forced ends, journal reads, at random moments.
	injected := map[string]int{}
	injectorDone := make(chan struct{})
	submittersDone := make(chan struct{})
	go func() {
		defer close(injectorDone)
		rng := rand.New(rand.NewPCG(seed, 1000))
		for {
			select {
			case <-submittersDone:
				return
			case <-ctx.Done():
				return
			case <-time.After(2*time.Millisecond + time.Duration(rng.Int64N(int64(25*time.Millisecond)))):
			}
			roll := rng.IntN(100)
			switch {
			case roll < 10 && submitted.Load() < int64(resetsUntil):
				w := window{start: time.Now()}
				err := h.reset()
				w.end = time.Now()
				run.mu.Lock()
				run.resets = append(run.resets, w)
				run.mu.Unlock()
				injected["reset"]++
				if err != nil {
					run.unanswered("reset", err)
					return
				}
			case roll < 85:
				run.mu.Lock()
				var task *chaosTask
				if n := len(run.tasks); n > 0 {
					task = run.tasks[max(0, n-1-rng.IntN(min(n, 40)))] // a recent one, often still running
				}
				run.mu.Unlock()
				if task == nil {
					continue
				}
				action := "complete"
				if rng.IntN(2) == 0 {
					action = "fail"
				}
				injected[action]++
				status, data, err := h.do(http.MethodPost, mock.AdminPrefix+"/tasks/"+task.id+"/"+action, "", nil)
				if err != nil {
					run.mu.Lock()
					task.unknown = true
					run.mu.Unlock()
					run.unanswered(action+" "+task.id, err)
					return
				}
				switch status {
				case http.StatusOK:
					var rec mock.TaskRecord
					if err := json.Unmarshal(data, &rec); err != nil || len(rec.History) < 2 || !rec.History[len(rec.History)-1].State.Terminal() {
						run.errorf("%s %s: 200 with %s (%v)", action, task.id, data, err)
						continue
					}
					run.mu.Lock()
					task.forced = rec.History
					run.mu.Unlock()
				case http.StatusNotFound, http.StatusConflict: // reset away, or already ended
				default:
					run.errorf("%s %s: %d %s", action, task.id, status, data)
				}
			default:
				path := mock.AdminPrefix + "/tasks"
				if rng.IntN(2) == 0 {
					path = mock.AdminPrefix + "/callbacks"
				}
				injected["GET "+path]++
				if status, data, err := h.do(http.MethodGet, path, "", nil); err != nil {
					run.unanswered("GET "+path, err)
					return
				} else if status != http.StatusOK {
					run.errorf("GET %s: %d %s", path, status, data)
				}
			}
		}
	}()
	wg.Wait()
	close(submittersDone)
	<-injectorDone
	submitEnd := time.Now()

	if len(run.notAnswered) > 0 {
		for i, u := range run.notAnswered {
			if i == 10 {
				t.Errorf("… %d more", len(run.notAnswered)-i)
				break
			}
			t.Errorf("not answered within %s: %s", answerLimit, u)
		}
		t.Fatalf("the engine wedged after %d of %d submissions (%v injected). %s", submitted.Load(), total, injected, goroutineExcerpt())
	}
	t.Logf("%d tasks submitted in %s with %d resets; injected %v", len(run.tasks), submitEnd.Sub(began).Round(time.Millisecond),
		len(run.resets), injected)

	// exposed reports whether a reset could have dropped some of t's callbacks: one ran after t's submit began
	// and before its last expected callback arrived (or at any time after, if that never arrived).
	lastArrival := func(t *chaosTask, n int) time.Time {
		got := run.arrivals[t.id]
		if n == 0 || len(got) < n {
			return time.Time{}
		}
		return got[n-1].at
	}
	exposed := func(t *chaosTask, until time.Time) bool {
		for _, w := range run.resets {
			if w.end.After(t.submitStart) && (until.IsZero() || w.start.Before(until)) {
				return true
			}
		}
		return false
	}

	// Wait, bounded, for every untouched verified task's callbacks.
	var waitFor []*chaosTask
	run.mu.Lock()
	for _, task := range run.tasks {
		if _, _, known := task.expected(); known && run.receivers[task.receiver].kind.verified() && !exposed(task, time.Time{}) {
			waitFor = append(waitFor, task)
		}
	}
	run.mu.Unlock()
	eventually(5*time.Second, func() bool {
		run.mu.Lock()
		defer run.mu.Unlock()
		for _, task := range waitFor {
			states, _, _ := task.expected()
			if len(run.arrivals[task.id]) < len(states) {
				return false
			}
		}
		return true
	})
	time.Sleep(50 * time.Millisecond) // time for a duplicate to show up

	// What the mock's journal says of each callback's attempts, to tell a late start from a slow trip.
	attempts := map[string]string{}
	for _, rec := range h.m.Callbacks() {
		key := rec.TaskID + "/" + strconv.Itoa(rec.Event)
		attempts[key] += fmt.Sprintf("attempt %d started %s, %s in %.0fms; ", rec.Attempt, rec.At.Format("15:04:05.000"), rec.Outcome, rec.LatencyMS)
	}
	run.mu.Lock()
	var checked, untouched, missing, duplicated, disordered, late int
	var lateness []time.Duration
	for _, task := range run.tasks {
		rc := run.receivers[task.receiver]
		got := run.arrivals[task.id]
		if !rc.kind.verified() {
			continue
		}
		checked++
		states, due, known := task.expected()
		seen := map[int]bool{}
		prev := 0
		for _, a := range got {
			switch {
			case a.receiver != task.receiver:
				run.errorf("task %s: callback %d:%s reached receiver %d, its hook is receiver %d", task.id, a.event, a.state, a.receiver, task.receiver)
			case seen[a.event]:
				duplicated++
				run.errorf("task %s (%s receiver): event %d:%s delivered again (attempt %d)", task.id, rc.kind, a.event, a.state, a.attempt)
			case a.event <= prev:
				disordered++
				run.errorf("task %s (%s receiver): event %d:%s after event %d", task.id, rc.kind, a.event, a.state, prev)
			case known && (a.event < 1 || a.event > len(states) || states[a.event-1] != a.state):
				disordered++
				run.errorf("task %s (%s receiver): event %d:%s, want the states %v", task.id, rc.kind, a.event, a.state, states)
			}
			seen[a.event] = true
			prev = max(prev, a.event)
		}
		if !known || exposed(task, lastArrival(task, len(states))) {
			continue
		}
		untouched++
		if len(got) != len(states) {
			missing++
			var gotStates []string
			for _, a := range got {
				gotStates = append(gotStates, fmt.Sprintf("%d:%s@%d", a.event, a.state, a.attempt))
			}
			run.errorf("task %s (%s receiver, pending %s, processing %s, forced %v): got %v, want %v exactly once each",
				task.id, rc.kind, task.pending, task.processing, task.forced != nil, gotStates, states)
			continue
		}
		for i, a := range got {
			l := a.at.Sub(due[i])
			lateness = append(lateness, l)
			if l > chaosLateness {
				late++
				run.errorf("task %s (%s receiver): %s callback arrived %s after its state change, more than %s (arrived %s; %s)",
					task.id, rc.kind, a.state, l.Round(time.Millisecond), chaosLateness, a.at.Format("15:04:05.000"), attempts[task.id+"/"+strconv.Itoa(a.event)])
			}
		}
	}
	run.mu.Unlock()
	if len(lateness) > 0 {
		slices.Sort(lateness)
		p := func(q int) time.Duration { return lateness[len(lateness)*q/100].Round(time.Millisecond) }
		t.Logf("healthy callbacks of %d untouched tasks (of %d to healthy receivers): lateness p50 %s, p90 %s, p99 %s, max %s",
			untouched, checked, p(50), p(90), p(99), lateness[len(lateness)-1].Round(time.Millisecond))
		if p(90) > chaosLateness90 {
			t.Errorf("healthy callbacks: 90th percentile lateness %s, more than %s: they wait behind other receivers", p(90), chaosLateness90)
		}
	}
	if missing > 0 {
		// Say what became of the missing callbacks: the journal keeps their attempts.
		outcomes := map[string]int{}
		for _, rec := range h.m.Callbacks() {
			if rec.Outcome != mock.OutcomeDelivered {
				outcomes[rec.Outcome+": "+firstWords(rec.Error, 6)]++
			}
		}
		t.Logf("callbacks not delivered, by outcome and error: %v", outcomes)
	}
	if missing+duplicated+disordered+late > 0 {
		t.Errorf("healthy receivers: %d of %d untouched tasks missing callbacks, %d duplicates, %d out of order, %d late",
			missing, untouched, duplicated, disordered, late)
	}
	if untouched < checked/4 {
		t.Errorf("only %d of %d tasks to healthy receivers were untouched by resets: the run proves too little", untouched, checked)
	}

	// A final reset cuts whatever still hangs, through the requests' contexts, and journals it as cancelled.
	var hanging int64
	for _, i := range byKind[kindHanging] {
		hanging += run.receivers[i].inflight.Load()
	}
	mustAnswer(t, "final reset", h.reset)
	if hanging > 0 {
		if !eventually(answerLimit, func() bool {
			var n int64
			for _, i := range byKind[kindHanging] {
				n += run.receivers[i].inflight.Load()
			}
			return n == 0
		}) {
			t.Errorf("deliveries to hanging receivers still in flight %s after the reset that dropped their tasks", answerLimit)
		}
		var recs []mock.CallbackRecord
		if !eventually(answerLimit, func() bool {
			recs, _ = h.callbacks()
			return slices.ContainsFunc(recs, func(rec mock.CallbackRecord) bool { return rec.Outcome == mock.OutcomeCancelled })
		}) {
			t.Errorf("%d deliveries hung at the final reset, yet none journaled %q: %v", hanging, mock.OutcomeCancelled, outcomesOf(recs))
		}
	}
	mustAnswer(t, "Shutdown after the final reset", func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		return h.m.Shutdown(ctx) // nothing is due: it must not even need its context
	})
	h.shut = true
	if !h.close(t, answerLimit) {
		t.Fatal("the mock's HTTP server did not close after Shutdown")
	}
	closeReceivers()

	// Everything of ours is closed: the goroutines and the heap must be back where they were. What this test
	// kept of the run goes first, so that only what the mock keeps is measured.
	run.mu.Lock()
	run.tasks, run.byID, run.arrivals = nil, nil, nil
	run.mu.Unlock()
	if !eventually(5*time.Second, func() bool { return runtime.NumGoroutine() <= baseGoroutines+3 }) {
		t.Errorf("%d goroutines before the mock started, %d after reset, Shutdown and close. %s",
			baseGoroutines, runtime.NumGoroutine(), goroutineExcerpt())
	}
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	const heapSlack = 8 << 20
	if ms.HeapInuse > baseHeap+heapSlack {
		t.Errorf("heap in use %d MiB after the run, %d MiB before: more than %d MiB kept",
			ms.HeapInuse>>20, baseHeap>>20, heapSlack>>20)
	}
	t.Logf("goroutines %d → %d; heap in use %d → %d KiB; %s in all", baseGoroutines, runtime.NumGoroutine(),
		baseHeap>>10, ms.HeapInuse>>10, time.Since(began).Round(time.Millisecond))
}

// firstWords is the start of s, up to n words.
func firstWords(s string, n int) string {
	words := strings.Fields(s)
	return strings.Join(words[:min(n, len(words))], " ")
}

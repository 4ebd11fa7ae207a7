package mock_test

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
)

// chaosSeed seeds TestCallbackChaos; LUMAMOCK_CHAOS_SEED overrides it, to replay a failure or explore. The
// interleaving of goroutines is not reproducible, but what is submitted where, with which timings, and which
// admin calls are made at which moment of the bubble's clock, is.
const chaosSeed uint64 = 0x6c756d61

// The run is on the bubble's clock, which a busy machine cannot slow down: a healthy receiver's callback is
// late only if the engine makes it wait, for a worker that slow receivers hold (they answer in up to 200 ms).
// chaosLateness bounds how late one may arrive after its state change: less than the Stall time (250 ms), so
// a callback that waited behind a hanging delivery is caught; chaosLateness90 bounds the 90th percentile, so
// one that waits behind slow receivers as a rule is caught too. Seeds 1 to 8 and the default give a p90 of
// 31–65 ms and a maximum of 54–118 ms.
const (
	chaosTimeout    = 2 * time.Second
	chaosLateness   = 250 * time.Millisecond
	chaosLateness90 = 100 * time.Millisecond
)

// receiverKind is how a chaos receiver behaves.
type receiverKind int

const (
	kindHealthy  receiverKind = iota // answers 200 at once
	kindRedirect                     // redirects to another path on its own host, which answers 200
	kindSlow                         // answers 200 after 50–200 ms
	kindHanging                      // never answers until the request is cancelled
	kindError                        // answers 500
	kindClosed                       // nothing listens: connections are refused
)

func (k receiverKind) String() string {
	return [...]string{"healthy", "redirect", "slow", "hanging", "500", "closed"}[k]
}

// verified reports whether every callback to a receiver of this kind must arrive exactly once, in order, on time.
func (k receiverKind) verified() bool { return k == kindHealthy || k == kindRedirect }

// chaosReceiver is one callback receiver of the chaos test.
type chaosReceiver struct {
	kind     receiverKind
	port     string
	path     string
	inflight atomic.Int64 // requests being answered now (hanging ones pile up here)
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
}

// expected is the task's callbacks: states in order and when each fell due.
func (t *chaosTask) expected() (states []lumamock.TaskState, due []time.Time) {
	if t.forced != nil {
		for _, tr := range t.forced[1:] { // the first is pending, which has no callback
			states, due = append(states, tr.State), append(due, tr.At)
		}
		return states, due
	}
	return []lumamock.TaskState{lumamock.StateProcessing, t.outcome},
		[]time.Time{t.submitStart.Add(t.pending), t.submitStart.Add(t.pending + t.processing)}
}

// chaosRun is the shared state of one chaos run.
type chaosRun struct {
	t         *testing.T
	srv       *memServer
	receivers []*chaosReceiver

	mu       sync.Mutex
	tasks    []*chaosTask
	byID     map[string]*chaosTask
	arrivals map[string][]arrival // per task id, in arrival order
	resets   []time.Time
	failures atomic.Int64 // apart from mu: errorf is called with mu held
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

// startReceiver starts a receiver of kind as receiver number i, at 127.0.0.1:<20000+i>.
func (r *chaosRun) startReceiver(kind receiverKind, seed uint64) {
	i := len(r.receivers)
	port := 20000 + i
	rc := &chaosReceiver{kind: kind, path: "/hook", port: strconv.Itoa(port)}
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
			}
		case kindHanging:
			_, _ = io.Copy(io.Discard, req.Body)
			<-req.Context().Done()
		case kindError:
			_, _ = io.Copy(io.Discard, req.Body)
			http.Error(w, "receiver broken", http.StatusInternalServerError)
		}
	}
	if kind != kindClosed {
		r.srv.net.listen(port, http.HandlerFunc(handler))
		if kind == kindRedirect {
			rc.path = "/r"
		}
	}
	r.receivers = append(r.receivers, rc)
}

// spellings of 127.0.0.1:port that openapi.yaml and the mock accept; all name the same receiver.
var chaosSpellings = []func(port string) string{
	func(p string) string { return "127.0.0.1:" + p },
	func(p string) string { return "[::ffff:127.0.0.1]:" + p },
	func(p string) string { return "127.0.0.1:0" + p },
	func(p string) string { return "localhost:" + p },
}

// TestCallbackChaos submits a few thousand tasks, seeded, to receivers of every behaviour (healthy, slow,
// hanging, answering 500, redirecting on their own host, refusing connections), their hosts spelled several ways,
// while resets, forced completions and failures, and journal reads land at random moments. It runs in a
// synctest bubble on a memNet, so its timings are the engine's, whatever the machine's load. It proves that:
//
//   - every API and admin request is answered at once, whatever the engine holds;
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
	synctest.Test(t, func(t *testing.T) { chaos(t, seed) })
}

func chaos(t *testing.T, seed uint64) {
	total, submitters := 2000, 4
	if testing.Short() {
		total = 500
	}
	resetsUntil := total * 7 / 10 // no reset after this many submissions: the rest of the run is untouched

	runtime.GC()
	baseGoroutines := runtime.NumGoroutine()
	began := time.Now()

	srv := newMemServer(t, mock.Options{
		Clock:           systemTime,
		CallbackWorkers: 8,
		CallbackQueue:   512, // per receiver: a burst to a healthy one fits
		CallbackTimeout: chaosTimeout,
		CallbackRetries: 1,
		CallbackBackoff: 10 * time.Millisecond,
		JournalSize:     20000, // every attempt of the run, to explain a late one
		Seed:            int64(seed & 0x7fffffff),
	})
	run := &chaosRun{t: t, srv: srv, byID: map[string]*chaosTask{}, arrivals: map[string][]arrival{}}
	// Receivers: several of each kind that matters.
	for _, kind := range []receiverKind{kindHealthy, kindHealthy, kindHealthy, kindHealthy, kindRedirect,
		kindSlow, kindSlow, kindHanging, kindHanging, kindError, kindClosed} {
		run.startReceiver(kind, seed)
	}
	byKind := map[receiverKind][]int{}
	for i, rc := range run.receivers {
		byKind[rc.kind] = append(byKind[rc.kind], i)
	}
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
		rng := rand.New(rand.NewPCG(seed, uint64(w)+1))
		wg.Go(func() {
			for i := w; i < total; i += submitters {
				pause(time.Duration(rng.Int64N(int64(4 * time.Millisecond)))) // clients come at random moments
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
				hook := "http://" + chaosSpellings[rng.IntN(len(chaosSpellings))](rc.port) + rc.path
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
				id, err := srv.trySubmit(hook, prefer)
				if err != nil {
					run.errorf("submit to %s: %v", hook, err)
					return
				}
				task.id = id
				run.mu.Lock()
				run.tasks = append(run.tasks, task)
				run.byID[id] = task
				run.mu.Unlock()
				submitted.Add(1)
				if rng.IntN(10) == 0 {
					if _, _, err := srv.try(http.MethodGet, "/luma/generations/"+id, "", nil); err != nil {
						run.errorf("GET the task: %v", err)
						return
					}
				}
			}
		})
	}

	// The injector: resets (only in the first part of the run), forced ends, journal reads, at random moments.
	injected := map[string]int{}
	var injector sync.WaitGroup
	submittersDone := make(chan struct{})
	injector.Go(func() {
		rng := rand.New(rand.NewPCG(seed, 1000))
		for {
			select {
			case <-submittersDone:
				return
			case <-time.After(2*time.Millisecond + time.Duration(rng.Int64N(int64(25*time.Millisecond)))):
			}
			roll := rng.IntN(100)
			switch {
			case roll < 10 && submitted.Load() < int64(resetsUntil):
				at := time.Now()
				status, data, err := srv.try(http.MethodPost, mock.AdminPrefix+"/reset", "", nil)
				run.mu.Lock()
				run.resets = append(run.resets, at)
				run.mu.Unlock()
				injected["reset"]++
				if err != nil || status != http.StatusNoContent {
					run.errorf("reset: %d %s %v", status, data, err)
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
				status, data, err := srv.try(http.MethodPost, mock.AdminPrefix+"/tasks/"+task.id+"/"+action, "", nil)
				if err != nil {
					run.errorf("%s %s: %v", action, task.id, err)
					continue
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
				if status, data, err := srv.try(http.MethodGet, path, "", nil); err != nil || status != http.StatusOK {
					run.errorf("GET %s: %d %.200s %v", path, status, data, err)
				}
			}
		}
	})
	wg.Wait()
	close(submittersDone)
	injector.Wait()
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("%d tasks submitted in %s of the bubble's time with %d resets; injected %v", len(run.tasks),
		time.Since(began), len(run.resets), injected)

	// exposed reports whether a reset could have dropped some of t's callbacks: one ran at or after t's submit
	// and at or before its last expected callback arrived (or at any time after, if that never arrived).
	lastArrival := func(t *chaosTask, n int) time.Time {
		got := run.arrivals[t.id]
		if n == 0 || len(got) < n {
			return time.Time{}
		}
		return got[n-1].at
	}
	exposed := func(t *chaosTask, until time.Time) bool {
		for _, at := range run.resets {
			if !at.Before(t.submitStart) && (until.IsZero() || !at.After(until)) {
				return true
			}
		}
		return false
	}

	// Every state change is due within longProcessing; a retry and a hanging attempt take at most a few seconds.
	elapse(3 * chaosTimeout)

	// What the mock's journal says of each callback's attempts, to tell a late start from a slow trip.
	attempts := map[string]string{}
	for _, rec := range srv.Mock.Callbacks() {
		key := rec.TaskID + "/" + strconv.Itoa(rec.Event)
		attempts[key] += fmt.Sprintf("attempt %d started %s, %s in %.0fms; ", rec.Attempt, rec.At.Sub(began), rec.Outcome, rec.LatencyMS)
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
		states, due := task.expected()
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
			case a.event < 1 || a.event > len(states) || states[a.event-1] != a.state:
				disordered++
				run.errorf("task %s (%s receiver): event %d:%s, want the states %v", task.id, rc.kind, a.event, a.state, states)
			}
			seen[a.event] = true
			prev = max(prev, a.event)
		}
		if exposed(task, lastArrival(task, len(states))) {
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
				run.errorf("task %s (%s receiver): %s callback arrived %s after its state change, more than %s (arrived at %s; %s)",
					task.id, rc.kind, a.state, l, chaosLateness, a.at.Sub(began), attempts[task.id+"/"+strconv.Itoa(a.event)])
			}
		}
	}
	run.mu.Unlock()
	if len(lateness) > 0 {
		slices.Sort(lateness)
		p := func(q int) time.Duration { return lateness[len(lateness)*q/100] }
		t.Logf("healthy callbacks of %d untouched tasks (of %d to healthy receivers): lateness p50 %s, p90 %s, p99 %s, max %s",
			untouched, checked, p(50), p(90), p(99), lateness[len(lateness)-1])
		if p(90) > chaosLateness90 {
			t.Errorf("healthy callbacks: 90th percentile lateness %s, more than %s: they wait behind other receivers", p(90), chaosLateness90)
		}
	}
	if missing > 0 {
		// Say what became of the missing callbacks: the journal keeps their attempts.
		outcomes := map[string]int{}
		for _, rec := range srv.Mock.Callbacks() {
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
	for _, i := range byKind[kindHanging] {
		srv.submitTo(t, "http://127.0.0.1:"+run.receivers[i].port+"/hook", hangingPrefer)
	}
	synctest.Wait()
	var hanging int64
	for _, i := range byKind[kindHanging] {
		hanging += run.receivers[i].inflight.Load()
	}
	if hanging == 0 {
		t.Error("no delivery hangs before the final reset: the test proves nothing of it")
	}
	srv.reset(t)
	synctest.Wait()
	var open int64
	for _, i := range byKind[kindHanging] {
		open += run.receivers[i].inflight.Load()
	}
	if open > 0 {
		t.Errorf("%d deliveries to hanging receivers still in flight after the reset that dropped their tasks", open)
	}
	if recs := srv.callbacks(t); !slices.ContainsFunc(recs, func(rec mock.CallbackRecord) bool { return rec.Outcome == mock.OutcomeCancelled }) {
		t.Errorf("%d deliveries hung at the final reset, yet none journaled %q: %v", hanging, mock.OutcomeCancelled, outcomesOf(recs))
	}
	instant := time.Now()
	if err := srv.Mock.Shutdown(t.Context()); err != nil { // nothing is due: it must not even need its context
		t.Errorf("Shutdown after the final reset: %v", err)
	}
	if took := time.Since(instant); took > 0 {
		t.Errorf("Shutdown with nothing due took %s", took)
	}
	synctest.Wait()

	// The goroutines and the heap must be back where they were. What this test kept of the run goes first, so
	// that only what the mock keeps is measured.
	run.mu.Lock()
	run.tasks, run.byID, run.arrivals = nil, nil, nil
	run.mu.Unlock()
	if n := runtime.NumGoroutine(); n > baseGoroutines {
		t.Errorf("%d goroutines before the mock started, %d after reset and Shutdown", baseGoroutines, n)
	}
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	const heapSlack = 8 << 20
	if ms.HeapInuse > baseHeap+heapSlack {
		t.Errorf("heap in use %d MiB after the run, %d MiB before: more than %d MiB kept",
			ms.HeapInuse>>20, baseHeap>>20, heapSlack>>20)
	}
	t.Logf("goroutines %d → %d; heap in use %d → %d KiB; %s of the bubble's time in all", baseGoroutines, runtime.NumGoroutine(),
		baseHeap>>10, ms.HeapInuse>>10, time.Since(began))
}

// firstWords is the start of s, up to n words.
func firstWords(s string, n int) string {
	words := strings.Fields(s)
	return strings.Join(words[:min(n, len(words))], " ")
}

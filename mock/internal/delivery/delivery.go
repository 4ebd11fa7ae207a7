// Package delivery sends a mock's callbacks: POSTs of rendered bodies to the hooks tasks name, retried when
// they fail.
//
// The model. A Job is one callback of one task. A task's jobs form a line and leave one at a time, in the order
// they were submitted: a failed attempt is retried after the backoff before the next job of the same task may
// leave. Each line belongs to a receiver, the address its hook resolves to (scheme, canonical IP, port) rather
// than the hook's spelling. A receiver has its own bounded queue (a full one gives up only that receiver's
// jobs) and its own bound on attempts in flight. Receivers with work share the engine's workers, of which at
// most Workers run at once, by the time they hold them (start-time fair queuing): the receiver that has used
// the least worker time goes next, so one that answers in 200ms is served as much less often than one that
// answers in 2ms. Workers are goroutines started on demand; with nothing to send, none runs.
//
// Dead and slow receivers cannot starve the others. An attempt that has run longer than Stall stops counting
// against Workers (it keeps its receiver's slot until its Timeout), so hanging receivers cannot hold the
// workers. A receiver whose last attempt failed or stalled (even if it was delivered in the end: a receiver
// that slow holds workers as a dead one does) is failing: it may have one attempt in flight, and failing
// receivers wait until the others have none ready, then run at most three quarters of the workers (a quarter
// while others wait), so they cannot eat the workers' time either. A receiver never delivered to yet may also have only one attempt in flight until its first
// delivery. The attempts in flight number at most Workers * (1 + Timeout/Stall).
//
// Cancel gives up a set of tasks' jobs at once, cancelling their attempts in flight through their context;
// Shutdown stops new jobs, lets the queued ones drain until its context ends, then cancels the rest. Neither
// waits for a receiver.
//
// Reports. Every attempt, and every job given up, is reported once, with its final outcome, in its task's
// order: the goroutine that owns a line (the worker sending its head, or a Cancel of an idle line) makes its
// reports, and the line moves on (next job, retry backoff) only once its head's attempt is reported.
//
// Why it cannot deadlock: e.mu is a leaf lock. While holding it the engine reads and writes its own fields,
// starts goroutines, cancels contexts it created and closes its idle channel, and does nothing else: no
// channel send, no network I/O, no call to the Clock, the Client, or the Report function. Those happen only
// with no lock held, so no goroutine ever waits for another while holding e.mu.
package delivery

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/lumamock/lumamock/mock/internal/clock"
)

// Headers of every callback request. Receivers can correlate deliveries with them: (task id, event) names one
// state change, the same in retries and duplicates.
const (
	HeaderTaskID    = "X-Lumamock-Task-Id"
	HeaderEvent     = "X-Lumamock-Event"
	HeaderState     = "X-Lumamock-State"
	HeaderAttempt   = "X-Lumamock-Attempt"
	HeaderSignature = "X-Lumamock-Signature"
)

// Outcomes of an Attempt.
const (
	Delivered = "delivered" // the receiver answered 2xx
	Retrying  = "retrying"  // the attempt failed; another follows after the backoff
	Failed    = "failed"    // the last attempt failed; no more follow
	Abandoned = "abandoned" // never (fully) tried: the receiver's queue was full, the task was evicted, or shutdown
	Cancelled = "cancelled" // given up by Cancel (a reset), its attempt in flight cut
)

// ReasonShutdown is the error of the jobs Shutdown gives up, and of those submitted after it.
const ReasonShutdown = "server shut down before delivery"

// MaxResponse is how much of a receiver's response body is read; the rest is discarded.
const MaxResponse = 64 << 10

// maxSnippet is how much of the response an Attempt keeps.
const maxSnippet = 512

// Job is one callback to send.
type Job struct {
	TaskID string
	// URL is where the callback goes; Receiver is the address it resolves to, which decides its queue.
	URL      string
	Receiver string
	Event    int
	State    string
	Body     []byte
	// Faults name the faults that shaped the job, for the record.
	Faults []string
	// Secrets are credentials its records must not show (the submitting request's); they are not sent.
	Secrets []string
	// Owner is whoever submitted the job (the mock: its task's session); the engine does not read it.
	Owner any
	// Clock, when set, is the job's time (the mock: its session's clock): its attempts and the giving up are
	// timed on it and its retries wait on it. Nil means the engine's Clock. A task's jobs share one.
	Clock clock.Clock

	attempts int // made so far, guarded by the engine's lock
}

// Attempt describes one try of a Job, or a Job given up without (another) try.
type Attempt struct {
	Job *Job
	// At is when the attempt started (or the job was given up), on the job's clock.
	At time.Time
	// Number is 1 for a job's first try; for a job given up untried, the tries made before.
	Number  int
	Outcome string
	// Status is the receiver's HTTP status, 0 when none came.
	Status int
	// Error says why the attempt failed or the job was given up.
	Error string
	// Latency is the attempt's round trip in real time.
	Latency time.Duration
	// Response is the start of the receiver's response body.
	Response string
}

// Config is what an Engine needs. Zero bounds mean one (Workers, PerReceiver, Queue) or none (Retries).
type Config struct {
	Client *http.Client
	// Clock tells the time of attempts and runs the retries' backoffs, for the jobs that bring no Clock of their
	// own; the engine calls a clock with no lock held.
	Clock       clock.Clock
	Workers     int           // attempts running at once, stalled ones not counted
	PerReceiver int           // attempts in flight to one receiver at once
	Queue       int           // jobs held per receiver, in flight included
	Retries     int           // further tries of a failed job
	Backoff     time.Duration // wait before each retry, on Clock
	Timeout     time.Duration // of each attempt, in real time
	// Stall is how long an attempt runs before it stops counting against Workers and marks its receiver
	// failing; zero means the smaller of 250ms and Timeout/2.
	Stall time.Duration
	// Secret, when set, signs every body (HeaderSignature).
	Secret    string
	UserAgent string
	// Report receives every Attempt, from the goroutine that made it, with no lock held. It must not block
	// for long: the worker that calls it waits.
	Report func(Attempt)
}

// Line states.
const (
	lineReady     = iota // its head may leave now; listed in its receiver's ready list
	lineSending          // its head is in flight
	lineReporting        // its head's attempt is being reported; the line moves on after
	lineBackoff          // its head waits for its retry
)

// line is one task's jobs, sent one at a time in order.
type line struct {
	taskID  string
	rcv     *receiver
	clock   clock.Clock // its jobs' (a task's jobs share one)
	jobs    []*Job
	state   int
	retry   uint64      // counts backoffs, so a stale retry timer is ignored
	timer   clock.Timer // of the backoff
	sending *attempt    // in flight, when state is lineSending
	// headDone, while the line is reporting, says that the attempt reported was its head's last.
	headDone bool
	// ended, when set, gives up the line: the outcome and reason its jobs are recorded with, and when.
	ended      bool
	endOutcome string
	endReason  string
}

// receiver is the lines that go to one address.
type receiver struct {
	key      string
	ready    []*line // lines whose head may leave now, oldest first (ended ones are skipped)
	inflight int
	queued   int  // jobs held by its lines
	inTurn   bool // listed in Engine.turn or Engine.failingTurn
	proven   bool // delivered to at least once
	failing  bool // its last attempt failed or stalled
	// used is the workers' time the receiver has used, on the engine's scale (see Engine.vnow); cost is what
	// one of its attempts usually takes (a moving average), charged when an attempt starts and corrected when
	// it ends.
	used, cost time.Duration
}

// Engine delivers Jobs. Create it with New.
type Engine struct {
	cfg  Config
	base context.Context // cancelled when Shutdown gives up
	stop context.CancelFunc
	wg   sync.WaitGroup

	mu          sync.Mutex
	lines       map[string]*line     // by task id, while they hold jobs
	receivers   map[string]*receiver // while they hold jobs or attempts
	turn        []*receiver          // receivers not failing that may start an attempt
	failingTurn []*receiver          // failing receivers that may start an attempt
	vnow        time.Duration        // the used time of the receiver picked last: where receivers that wait start
	running     int                  // attempts counted against Workers
	failingRuns int                  // of which to failing receivers
	due         int                  // jobs that may leave now or are in flight, or whose attempt is being reported
	dueBy       map[clock.Clock]int  // due, by the jobs' clock, for WaitClock
	held        int                  // jobs held in all lines
	closing     bool
	idle        chan struct{} // closed when due or held changes, for waiters; nil when none waits
}

// New returns an Engine for cfg.
func New(cfg Config) *Engine {
	cfg.Workers = max(cfg.Workers, 1)
	cfg.PerReceiver = max(cfg.PerReceiver, 1)
	cfg.Queue = max(cfg.Queue, 1)
	cfg.Retries = max(cfg.Retries, 0)
	if cfg.Stall <= 0 {
		cfg.Stall = min(250*time.Millisecond, cfg.Timeout/2)
	}
	if cfg.Report == nil {
		cfg.Report = func(Attempt) {}
	}
	e := &Engine{cfg: cfg, lines: make(map[string]*line), receivers: make(map[string]*receiver), dueBy: make(map[clock.Clock]int)}
	e.base, e.stop = context.WithCancel(context.Background())
	return e
}

// Submit queues jobs, in order, behind the jobs of their tasks already queued. It never waits. It returns the
// jobs it gave up at once (their receiver's queue is full, or the engine is shutting down); the caller
// reports them.
func (e *Engine) Submit(jobs ...*Job) []Attempt {
	var now time.Time
	if len(jobs) > 0 {
		now = e.clockOf(jobs[0]).Now() // one task's jobs: one clock
	}
	var given []Attempt
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, j := range jobs {
		if e.closing {
			given = append(given, Attempt{Job: j, At: now, Outcome: Abandoned, Error: ReasonShutdown})
			continue
		}
		l := e.lines[j.TaskID]
		r := e.receivers[j.Receiver]
		if l != nil {
			r = l.rcv
		}
		if r != nil && r.queued >= e.cfg.Queue {
			given = append(given, Attempt{Job: j, At: now, Outcome: Abandoned,
				Error: fmt.Sprintf("queue of receiver %s full (%d callbacks held)", r.key, r.queued)})
			continue
		}
		if r == nil {
			r = &receiver{key: j.Receiver, cost: time.Millisecond, used: e.vnow}
			e.receivers[j.Receiver] = r
		}
		if l == nil {
			l = &line{taskID: j.TaskID, rcv: r, clock: e.clockOf(j)}
			e.lines[j.TaskID] = l
			e.readyLocked(l)
		}
		l.jobs = append(l.jobs, j)
		r.queued++
		e.held++
	}
	e.kickLocked()
	e.changedLocked()
	return given
}

// readyLocked lets l's head leave: l joins its receiver's ready list, and the receiver the turn if it may send.
func (e *Engine) readyLocked(l *line) {
	l.state = lineReady
	l.rcv.ready = append(l.rcv.ready, l)
	e.due++
	e.dueBy[l.clock]++
	e.offerLocked(l.rcv)
}

// limit is how many attempts r may have in flight: one while it is failing or unproven, else PerReceiver.
func (e *Engine) limit(r *receiver) int {
	if r.failing || !r.proven {
		return 1
	}
	return e.cfg.PerReceiver
}

// offerLocked puts r in its turn (failing or not) if it has a ready line and room in flight.
func (e *Engine) offerLocked(r *receiver) {
	if r.inTurn || len(r.ready) == 0 || r.inflight >= e.limit(r) {
		return
	}
	r.inTurn = true
	r.used = max(r.used, e.vnow) // time spent idle earns no credit
	if r.failing {
		e.failingTurn = append(e.failingTurn, r)
	} else {
		e.turn = append(e.turn, r)
	}
}

// takeLocked picks the next line to send from and marks it sending; nil when none may send now. Receivers not
// failing come first. Failing ones may run a quarter of the workers, and more while no other receiver can
// send, as long as a quarter of the workers stay free for callbacks that fall due.
func (e *Engine) takeLocked() *line {
	if l := e.takeTurnLocked(&e.turn, false); l != nil {
		return l
	}
	quarter := max(1, e.cfg.Workers/4)
	if e.failingRuns < quarter || e.running < e.cfg.Workers-quarter {
		return e.takeTurnLocked(&e.failingTurn, true)
	}
	return nil
}

// takeTurnLocked takes the next line from the receiver of turn that has used the least of the workers' time
// (start-time fair queuing): a receiver that answers slowly is picked as much less often as it holds a worker
// longer, so receivers share the workers' time, not their number of attempts.
func (e *Engine) takeTurnLocked(turn *[]*receiver, failing bool) *line {
	for len(*turn) > 0 {
		i := 0
		for j, r := range *turn {
			if r.used < (*turn)[i].used {
				i = j
			}
		}
		r := (*turn)[i]
		last := len(*turn) - 1
		(*turn)[i], (*turn)[last] = (*turn)[last], nil
		*turn = (*turn)[:last]
		r.inTurn = false
		if r.failing != failing { // its health changed while it waited: it waits in the other turn
			e.offerLocked(r)
			continue
		}
		for len(r.ready) > 0 && r.inflight < e.limit(r) {
			l := r.ready[0]
			r.ready[0] = nil
			r.ready = r.ready[1:]
			if l.ended || l.state != lineReady {
				continue
			}
			l.state = lineSending
			r.inflight++
			e.vnow = max(e.vnow, r.used)
			r.used += r.cost
			e.offerLocked(r) // still in the turn, if it has more to send
			return l
		}
	}
	return nil
}

// kickLocked starts workers for the lines that may send, up to Workers running.
func (e *Engine) kickLocked() {
	for e.running < e.cfg.Workers {
		l := e.takeLocked()
		if l == nil {
			return
		}
		e.running++
		e.wg.Add(1)
		go e.work(e.beginLocked(l))
	}
}

// attempt is one try in flight.
type attempt struct {
	line   *line
	job    *Job
	ctx    context.Context
	cancel context.CancelFunc
	stall  *time.Timer
	// failing reports whether its receiver was failing when it began (it counts in failingRuns).
	failing bool
	// stalled reports whether the attempt no longer counts against Workers.
	stalled bool
	at      time.Time
	// began is when the attempt took its worker, in real time; charged is the time its receiver was charged
	// for it then.
	began   time.Time
	charged time.Duration
}

// beginLocked prepares the attempt at l's head.
func (e *Engine) beginLocked(l *line) *attempt {
	j := l.jobs[0]
	j.attempts++
	a := &attempt{line: l, job: j, failing: l.rcv.failing, charged: l.rcv.cost, began: time.Now()}
	if a.failing {
		e.failingRuns++
	}
	a.ctx, a.cancel = context.WithTimeout(e.base, e.cfg.Timeout)
	a.stall = time.AfterFunc(e.cfg.Stall, func() { e.stalled(a) }) // the runtime's timer, not the injected Clock
	l.sending = a
	return a
}

// stalled stops counting a against Workers, so another attempt may start.
func (e *Engine) stalled(a *attempt) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if a.line.sending != a || a.stalled {
		return
	}
	a.stalled = true
	e.releaseLocked(a)
	a.line.rcv.failing = true
	e.kickLocked()
}

// releaseLocked stops counting a against Workers.
func (e *Engine) releaseLocked(a *attempt) {
	e.running--
	if a.failing {
		e.failingRuns--
	}
}

// work makes attempts until no line may send or Workers are all running.
//
// A line's reports are made in its order by the goroutine that owns it: a worker owns the line whose head it
// sends until it has reported the attempt; only then does the line move on (to its next job, or to the
// backoff of a retry). So a slow report cannot let attempt 2 overtake attempt 1, and a Cancel that comes
// meanwhile leaves the giving up of the line's jobs to the worker, which reports it after the attempt.
func (e *Engine) work(a *attempt) {
	defer e.wg.Done()
	for a != nil {
		a.at = e.clockOf(a.job).Now()
		rep := e.send(a)
		l := a.line
		e.cfg.Report(e.finish(a, rep))
		given, retry, next, settled := e.settle(l)
		if retry {
			e.scheduleRetry(l)
		}
		for _, g := range given {
			e.cfg.Report(e.timed(g))
		}
		if !settled {
			next = e.reported(l)
		}
		a = next
	}
}

// finish records the outcome of a's attempt and returns its report; the line waits, reporting, until settle.
func (e *Engine) finish(a *attempt, rep Attempt) Attempt {
	e.mu.Lock()
	defer e.mu.Unlock()
	l, r := a.line, a.line.rcv
	a.cancel()
	a.stall.Stop()
	l.sending = nil
	l.state = lineReporting
	took := min(time.Since(a.began), e.cfg.Stall) // a stalled attempt stopped using its worker at Stall
	r.used += took - a.charged
	r.cost = (3*r.cost + took) / 4
	if !a.stalled {
		e.releaseLocked(a)
	}
	r.inflight-- // e.due stays counted until the line has settled
	switch {
	case l.ended:
		// Cancelled or given up while in flight: this attempt is reported so, then the jobs behind it.
		rep.Outcome, rep.Error = l.endOutcome, joinErr(l.endReason, rep.Error)
		l.headDone = true
	case rep.Outcome == Delivered || a.job.attempts > e.cfg.Retries:
		e.healthLocked(r, rep.Outcome == Delivered && !a.stalled)
		if rep.Outcome != Delivered {
			rep.Outcome = Failed
		}
		l.headDone = true
	default:
		e.healthLocked(r, false)
		rep.Outcome = Retrying
		l.headDone = false
	}
	e.offerLocked(r)
	e.kickLocked()
	return rep
}

// settle moves l on once its head's attempt is reported: to its next job, or to the backoff of a retry, and
// returns the next attempt for this worker (settled). If the caller has more to do first, settle returns with
// settled false, and the caller calls reported once done: when a retry is to be scheduled (retry), so that
// WaitIdle does not return before its timer is set on the Clock, or when a Cancel gave l up meanwhile, with
// the reports of the jobs l still held (given).
func (e *Engine) settle(l *line) (given []Attempt, retry bool, next *attempt, settled bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case l.ended:
		jobs := l.jobs
		if l.headDone {
			jobs = jobs[1:]
		}
		for _, j := range jobs {
			given = append(given, Attempt{Job: j, Number: j.attempts, Outcome: l.endOutcome, Error: l.endReason})
		}
		e.dropLocked(l, len(l.jobs))
		l.jobs = nil
		e.forgetReceiverLocked(l.rcv)
		if len(given) > 0 {
			return given, false, nil, false // e.due stays counted until they are reported
		}
	case l.headDone:
		e.popLocked(l)
	default:
		l.state = lineBackoff
		l.retry++
		return nil, true, nil, false // e.due stays counted until the retry's timer is set
	}
	e.forgetReceiverLocked(l.rcv)
	return nil, false, e.doneLocked(l), true
}

// reported ends the work on a settled line and returns the next attempt for this worker.
func (e *Engine) reported(l *line) *attempt {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.doneLocked(l)
}

// doneLocked uncounts a settled line's reports from e.due, and takes the next attempt for the worker that made
// them.
func (e *Engine) doneLocked(l *line) (next *attempt) {
	e.undueLocked(l)
	e.changedLocked()
	if e.running < e.cfg.Workers {
		if l := e.takeLocked(); l != nil {
			e.running++
			next = e.beginLocked(l)
		}
	}
	e.kickLocked()
	return next
}

// undueLocked uncounts l's head from e.due.
func (e *Engine) undueLocked(l *line) {
	e.due--
	if e.dueBy[l.clock]--; e.dueBy[l.clock] == 0 {
		delete(e.dueBy, l.clock)
	}
}

// healthLocked notes the end of an attempt to r.
func (e *Engine) healthLocked(r *receiver, delivered bool) {
	r.failing = !delivered
	r.proven = r.proven || delivered
}

// popLocked removes l's head, delivered or failed for good; the next job, if any, may leave.
func (e *Engine) popLocked(l *line) {
	l.jobs[0] = nil
	l.jobs = l.jobs[1:]
	l.rcv.queued--
	e.held--
	if len(l.jobs) == 0 {
		delete(e.lines, l.taskID)
		return
	}
	e.readyLocked(l)
}

// dropLocked forgets n jobs of an ended line from the counts.
func (e *Engine) dropLocked(l *line, n int) {
	l.rcv.queued -= n
	e.held -= n
}

// forgetReceiverLocked drops r from the map once it holds nothing.
func (e *Engine) forgetReceiverLocked(r *receiver) {
	if r.queued == 0 && r.inflight == 0 && e.receivers[r.key] == r {
		delete(e.receivers, r.key)
	}
}

// clockOf is the clock job j is timed on.
func (e *Engine) clockOf(j *Job) clock.Clock {
	if j.Clock != nil {
		return j.Clock
	}
	return e.cfg.Clock
}

// timed is a, a job given up, timed now on its job's clock; the engine reads no clock under its lock, so the
// reports it makes there are timed as they are made.
func (e *Engine) timed(a Attempt) Attempt {
	if a.At.IsZero() {
		a.At = e.clockOf(a.Job).Now()
	}
	return a
}

// scheduleRetry sets l's backoff timer on the Clock, with no lock held.
func (e *Engine) scheduleRetry(l *line) {
	e.mu.Lock()
	seq, c := l.retry, e.cfg.Clock
	if len(l.jobs) > 0 {
		c = e.clockOf(l.jobs[0])
	}
	e.mu.Unlock()
	t := c.AfterFunc(e.cfg.Backoff, func() { e.retryDue(l, seq) })
	e.mu.Lock()
	keep := l.state == lineBackoff && l.retry == seq && !l.ended
	if keep {
		l.timer = t
	}
	e.mu.Unlock()
	if !keep {
		t.Stop()
	}
}

// retryDue lets l's head leave again after its backoff.
func (e *Engine) retryDue(l *line, seq uint64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if l.state != lineBackoff || l.retry != seq || l.ended {
		return
	}
	l.timer = nil
	e.readyLocked(l)
	e.kickLocked()
	e.changedLocked()
}

// send makes one attempt and describes it (Outcome Delivered or Failed).
func (e *Engine) send(a *attempt) Attempt {
	j := a.job
	rep := Attempt{Job: j, At: a.at, Number: j.attempts, Outcome: Failed}
	req, err := http.NewRequestWithContext(a.ctx, http.MethodPost, j.URL, bytes.NewReader(j.Body))
	if err != nil {
		rep.Error = err.Error()
		return rep
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", e.cfg.UserAgent)
	h.Set(HeaderTaskID, j.TaskID)
	h.Set(HeaderEvent, strconv.Itoa(j.Event))
	h.Set(HeaderState, j.State)
	h.Set(HeaderAttempt, strconv.Itoa(j.attempts))
	if e.cfg.Secret != "" {
		h.Set(HeaderSignature, Sign(e.cfg.Secret, a.at, j.Body))
	}
	began := time.Now()
	resp, err := e.cfg.Client.Do(req)
	if err != nil {
		rep.Latency = time.Since(began)
		rep.Error = err.Error()
		if errors.Is(err, context.DeadlineExceeded) {
			rep.Error = fmt.Sprintf("no answer within %s: %v", e.cfg.Timeout, err)
		}
		return rep
	}
	snippet, rerr := io.ReadAll(io.LimitReader(resp.Body, MaxResponse))
	resp.Body.Close()
	rep.Latency = time.Since(began)
	rep.Status = resp.StatusCode
	rep.Response = string(snippet[:min(len(snippet), maxSnippet)])
	switch {
	case rerr != nil && errors.Is(rerr, context.DeadlineExceeded):
		// A receiver that answers its status and then dribbles its body holds the attempt as a hanging one does:
		// the attempt did not end in time, whatever the status said.
		rep.Error = fmt.Sprintf("receiver answered %s but had not finished its answer within %s (%d bytes read): %v", resp.Status, e.cfg.Timeout, len(snippet), rerr)
	case rerr != nil:
		rep.Error = fmt.Sprintf("receiver answered %s but its answer was cut after %d bytes: %v", resp.Status, len(snippet), rerr)
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		rep.Error = "receiver answered " + resp.Status
	default:
		rep.Outcome = Delivered
	}
	return rep
}

// Cancel gives up every job of the tasks ids with outcome (Cancelled or Abandoned) and reason, and reports each
// once, in its task's order: a task's jobs are reported now, unless an attempt of the task is in flight or
// being reported; then that attempt is cut through its context, and its worker reports it, then the jobs
// behind it. It returns how many jobs it gave up, and never waits for a receiver.
func (e *Engine) Cancel(ids []string, outcome, reason string) int {
	var reports []Attempt
	var cancels []context.CancelFunc
	var timers []clock.Timer
	n := 0
	e.mu.Lock()
	for _, id := range ids {
		l := e.lines[id]
		if l == nil {
			continue
		}
		delete(e.lines, id)
		l.ended, l.endOutcome, l.endReason = true, outcome, reason
		queued := l.jobs
		switch l.state {
		case lineSending, lineReporting: // its worker reports them all, after its attempt
			if l.state == lineSending {
				cancels = append(cancels, l.sending.cancel)
			}
			n += len(l.jobs)
			if l.state == lineReporting && l.headDone {
				n--
			}
			continue
		case lineReady:
			e.undueLocked(l)
			e.dropLocked(l, len(queued))
		case lineBackoff:
			if l.timer != nil {
				timers = append(timers, l.timer)
				l.timer = nil
			}
			e.dropLocked(l, len(queued))
		}
		for _, j := range queued {
			reports = append(reports, Attempt{Job: j, Number: j.attempts, Outcome: outcome, Error: reason})
		}
		l.jobs = nil
		e.forgetReceiverLocked(l.rcv)
	}
	e.changedLocked()
	e.mu.Unlock()
	for _, cancel := range cancels {
		cancel()
	}
	for _, t := range timers {
		t.Stop()
	}
	for _, r := range reports {
		e.cfg.Report(e.timed(r))
	}
	return n + len(reports)
}

// WaitIdle waits until no job may leave now and none is in flight. Jobs waiting for their retry on the Clock do
// not count.
func (e *Engine) WaitIdle(ctx context.Context) error {
	return e.waitFor(ctx, func() bool { return e.due == 0 })
}

// WaitClock is WaitIdle for the jobs timed on c (see Job.Clock) only.
func (e *Engine) WaitClock(ctx context.Context, c clock.Clock) error {
	return e.waitFor(ctx, func() bool { return e.dueBy[c] == 0 })
}

// Held reports how many jobs the engine holds (queued, waiting for a retry or in flight).
func (e *Engine) Held() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.held
}

func (e *Engine) waitFor(ctx context.Context, done func() bool) error {
	for {
		e.mu.Lock()
		if done() {
			e.mu.Unlock()
			return nil
		}
		if e.idle == nil {
			e.idle = make(chan struct{})
		}
		ch := e.idle
		e.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// changedLocked wakes the waiters of WaitIdle and Shutdown.
func (e *Engine) changedLocked() {
	if e.idle != nil {
		close(e.idle)
		e.idle = nil
	}
}

// Shutdown refuses new jobs and lets those held drain until ctx ends; then it gives up the rest as Abandoned,
// cuts the attempts in flight and waits for the workers, which end at once. It returns how many jobs it gave
// up.
func (e *Engine) Shutdown(ctx context.Context) int {
	e.mu.Lock()
	e.closing = true
	e.mu.Unlock()
	_ = e.waitFor(ctx, func() bool { return e.held == 0 })

	e.mu.Lock()
	ids := make([]string, 0, len(e.lines))
	for id := range e.lines {
		ids = append(ids, id)
	}
	e.mu.Unlock()
	n := e.Cancel(ids, Abandoned, ReasonShutdown)
	e.stop()
	e.wg.Wait()
	return n
}

func joinErr(reason, err string) string {
	if err == "" {
		return reason
	}
	return reason + ": " + err
}

// Sign returns the HeaderSignature value for body sent at t with secret: "t=<unix seconds>,v1=<hex
// HMAC-SHA256 of "<t>.<body>">".
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

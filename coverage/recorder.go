package coverage

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/internal/defaults"
)

// Defaults applied to zero Options fields.
const (
	DefaultPollMinInterval = time.Second
	DefaultPollAfterEnd    = 3
	DefaultResubmitWindow  = 10 * time.Second
	// DefaultMaxClients bounds the clients a Recorder remembers; past it the least recently seen is forgotten.
	DefaultMaxClients = 256
	// DefaultMaxFindings bounds the findings listed per client; past it occurrences are only counted.
	DefaultMaxFindings = 20
	// DefaultMaxEvidence bounds the records a finding lists as its evidence.
	DefaultMaxEvidence = 10
)

// Options configure a Recorder. Zero fields take the defaults.
type Options struct {
	// Plan is the items counted; nil means those NewPlan derives from Document and Faults.
	Plan *Plan
	// Document is the OpenAPI document the items are derived from (Derive) when Plan is nil.
	Document *openapi3.T
	// Faults are the webhook faults the server applies, one fault item each per callback, when Plan is nil.
	Faults []Fault
	// Thresholds decide the client discipline findings.
	Thresholds Thresholds
	// MaxClients, MaxFindings and MaxEvidence bound the memory of the findings; zero means DefaultMaxClients,
	// DefaultMaxFindings and DefaultMaxEvidence.
	MaxClients, MaxFindings, MaxEvidence int
	// Budget, when set, bounds the clients of all the Recorders that share it (a server's sessions): past it, a
	// Recorder forgets its own least recently seen client to make room for a new one, keeping at least one.
	Budget *Budget
	// Alive reports whether task id is still alive (has not ended) at at, for the resubmitted finding. The
	// Recorder calls it with none of its locks held. Nil counts every task alive.
	Alive func(id string, at time.Time) bool
}

// Thresholds are where client behaviour becomes a finding.
type Thresholds struct {
	// PollMinInterval: a poll of a task sooner than this after the same client's last poll of it is
	// poll-too-fast. Zero means DefaultPollMinInterval.
	PollMinInterval time.Duration
	// PollAfterEnd: more polls than this of a task once it has ended are poll-after-end. Zero means
	// DefaultPollAfterEnd.
	PollAfterEnd int
	// ResubmitWindow: a submission of the same request (body and Prefer) by the same client within this of
	// the last, while its task is still alive, is resubmitted. Zero means DefaultResubmitWindow.
	ResubmitWindow time.Duration
}

// withDefaults returns t with its zero fields set to the defaults.
func (t Thresholds) withDefaults() Thresholds {
	defaults.Positive(&t.PollMinInterval, DefaultPollMinInterval)
	defaults.Positive(&t.PollAfterEnd, DefaultPollAfterEnd)
	defaults.Positive(&t.ResubmitWindow, DefaultResubmitWindow)
	return t
}

// Outcomes of a callback record that a Callback event carries: the mock's journal words.
const (
	OutcomeDelivered = "delivered" // the hook answered 2xx
	OutcomeRetrying  = "retrying"  // the attempt failed; another follows
	OutcomeFailed    = "failed"    // the last attempt failed
	OutcomeDropped   = "dropped"   // the drop fault withheld the callback
)

// Request is one API request the server answered, as its journal numbered it.
type Request struct {
	Seq int64
	// At is when it arrived; Answered when it was answered (zero means At). Both on the server's clock.
	At, Answered time.Time
	// Key is the API key (bearer token) it carried, "" when none. It is never kept nor shown: the client is
	// named by its label (redact.Label).
	Key string
	// Operation is the operationId the request was routed to, "" when none.
	Operation string
	// Status is the status answered.
	Status int
	// Shape and State are the shape and state of the task a 2xx answer carried.
	Shape lumamock.Shape
	State lumamock.TaskState
	// Task is the task the request created or read, nil when none.
	Task *Task
	// RetryAfter is the Retry-After the answer carried, 0 when none.
	RetryAfter time.Duration
	// Submission identifies a request that created a task (its Prefer header and body, hashed), for the
	// resubmitted finding; 0 for other requests.
	Submission uint64
}

// Callback is one record of the callback journal: an attempt to deliver a callback, or one withheld.
type Callback struct {
	Seq int64
	At  time.Time
	// Callback is the callback's name in its operation's callbacks object ("notify"); "" means the document's
	// only one.
	Callback string
	// Task is the task the callback is about; its client is the one that submitted it.
	Task *Task
	// Event numbers the state change within its task; State is the state announced, Shape the body's shape.
	Event int
	State lumamock.TaskState
	Shape lumamock.Shape
	// Receiver is the address the hook resolves to.
	Receiver string
	// Attempt is 1 for a first try, 0 for a callback never tried.
	Attempt int
	// Status is the hook's answer, 0 when none came.
	Status int
	// Outcome is the record's outcome (OutcomeDelivered, ...); Error says why an attempt failed.
	Outcome string
	Error   string
	// Faults are the faults that shaped the callback.
	Faults []string
}

// Task is a Recorder's bookkeeping of one task: who submitted it and how it has been polled. The server keeps it
// with its task (so it lives and dies with it, within the server's bounds) and binds it with Recorder.Bind; the
// zero value is unbound. It is small (88 bytes) so that a task embedding it stays small.
type Task struct {
	mu       sync.Mutex
	polled   bool
	endPolls int32 // polls once it had ended
	owner    *identity
	id       string
	poller   uint64 // the client whose polls are followed
	lastSeq  int64  // that client's last poll, and when (Unix nanoseconds)
	lastAt   int64
	endSeq   int64 // the first poll that saw it ended, and when
	endAt    int64
	nacked   uint64 // bit e-1 set: the last answer of event e was not 2xx
}

// Recorder counts what clients were exposed to, item by item, and judges how they behave. Its methods are safe
// for concurrent use; they never block for long (counters are atomic, each client has its own lock), and
// Report never holds a lock while it renders.
type Recorder struct {
	*Plan
	opts    Options
	th      Thresholds
	counts  []counter
	clients *clientTable
	totals  [numKinds]atomic.Int64
}

// Plan is the items of a document and how events find them: derived once, shared by any number of Recorders
// (one per session of a server). It is read-only.
type Plan struct {
	items    []Item // as derived, without counts
	ops      small[string, *opIndex]
	cbs      map[string]*cbIndex // by callback key
	cbOnly   *cbIndex            // the document's only callback, if it has one
	outcomes map[lumamock.TaskState]int
	terminal map[lumamock.TaskState]bool
}

type counter struct {
	n     atomic.Int64
	first atomic.Pointer[Ref]
}

// opIndex finds an operation's items.
type opIndex struct {
	status  map[int]int        // exact status → item
	ranges  map[int]int        // first digit → item of "4XX"
	other   int                // item of "default", -1 when none
	shapes  small[string, int] // shape → item
	states  small[lumamock.TaskState, stateItems]
	polling bool // the operation reads a task (it has state items)
}

// small is a map of a handful of entries, looked up by a linear scan: for the few operations, shapes and
// states of a document, cheaper than hashing their names on every request.
type small[K comparable, V any] []struct {
	k K
	v V
}

func (m small[K, V]) get(k K) (V, bool) {
	for _, e := range m {
		if e.k == k {
			return e.v, true
		}
	}
	var zero V
	return zero, false
}

func (m *small[K, V]) put(k K, v V) {
	for i := range *m {
		if (*m)[i].k == k {
			(*m)[i].v = v
			return
		}
	}
	*m = append(*m, struct {
		k K
		v V
	}{k, v})
}

// stateItems are what a poll answering a task in one state covers, in one map lookup.
type stateItems struct {
	item    int  // the state item
	outcome int  // the outcome item, -1 when the state is no end
	end     bool // the state is an end (for poll-after-end)
}

func (o *opIndex) statusItem(status int) (int, bool) {
	if i, ok := o.status[status]; ok {
		return i, true
	}
	if i, ok := o.ranges[status/100]; ok {
		return i, true
	}
	return o.other, o.other >= 0
}

// cbIndex finds a callback's items.
type cbIndex struct {
	shapes map[string]int
	events map[lumamock.TaskState]int
	faults map[string]int
	retry  int
}

// New returns a Recorder of the items of opts.Plan, or of those it derives from opts.Document when Plan is nil.
func New(opts Options) (*Recorder, error) {
	plan := opts.Plan
	if plan == nil {
		var err error
		if plan, err = NewPlan(opts.Document, opts.Faults); err != nil {
			return nil, err
		}
	}
	defaults.Positive(&opts.MaxClients, DefaultMaxClients)
	defaults.Positive(&opts.MaxFindings, DefaultMaxFindings)
	defaults.Positive(&opts.MaxEvidence, DefaultMaxEvidence)
	return &Recorder{Plan: plan, opts: opts, th: opts.Thresholds.withDefaults(), counts: make([]counter, len(plan.items)),
		clients: newClientTable(opts.MaxClients, opts.Budget)}, nil
}

// NewPlan derives the items of doc (Derive), with a fault item per fault, and indexes them.
func NewPlan(doc *openapi3.T, faults []Fault) (*Plan, error) {
	items, err := Derive(doc, faults)
	if err != nil {
		return nil, err
	}
	r := &Plan{items: items, cbs: map[string]*cbIndex{}, outcomes: map[lumamock.TaskState]int{}, terminal: map[lumamock.TaskState]bool{}}
	life, _, _ := lumamock.ReadLifecycle(doc) // Derive read it already
	for _, s := range life.Ends() {
		r.terminal[s] = true
	}
	byName := map[string]*cbIndex{} // callbacks by operationId (their items' Operation)
	for _, p := range doc.Paths.Map() {
		for _, op := range p.Operations() {
			for _, cb := range callbacks(op) {
				idx := byName[cb.name]
				if idx == nil {
					idx = &cbIndex{shapes: map[string]int{}, events: map[lumamock.TaskState]int{}, faults: map[string]int{}, retry: -1}
					byName[cb.name] = idx
				}
				r.cbs[cb.key] = idx
			}
		}
	}
	if len(byName) == 1 {
		for _, idx := range byName {
			r.cbOnly = idx
		}
	}
	for i, it := range items {
		if it.Kind == KindOutcome {
			r.outcomes[lumamock.TaskState(it.Value)] = i
			continue
		}
		if cb := byName[it.Operation]; cb != nil {
			switch it.Kind {
			case KindShape:
				cb.shapes[it.Value] = i
			case KindEvent:
				cb.events[lumamock.TaskState(it.Value)] = i
			case KindFault:
				cb.faults[it.Value] = i
			case KindRetry:
				cb.retry = i
			}
			continue
		}
		op, _ := r.ops.get(it.Operation)
		if op == nil {
			op = &opIndex{status: map[int]int{}, ranges: map[int]int{}, other: -1}
			r.ops.put(it.Operation, op)
		}
		switch {
		case it.Kind == KindShape:
			op.shapes.put(it.Value, i)
		case it.Kind == KindState:
			op.states.put(lumamock.TaskState(it.Value), stateItems{item: i, outcome: -1})
			op.polling = true
		case it.Value == "default":
			op.other = i
		case len(it.Value) == 3 && it.Value[1:] == "XX":
			op.ranges[int(it.Value[0]-'0')] = i
		default:
			if code, err := strconv.Atoi(it.Value); err == nil {
				op.status[code] = i
			}
		}
	}
	for _, op := range r.ops {
		for i, e := range op.v.states {
			if o, end := r.outcomes[e.k]; end {
				op.v.states[i].v.outcome = o
			}
			op.v.states[i].v.end = r.terminal[e.k]
		}
	}
	return r, nil
}

// Items returns the plan's items, without counts, in report order.
func (p *Plan) Items() []Item { return append([]Item(nil), p.items...) }

// Thresholds returns the thresholds in force, defaults applied.
func (r *Recorder) Thresholds() Thresholds { return r.th }

// count counts item i as covered by ref.
func (r *Recorder) count(i int, ref Ref) {
	c := &r.counts[i]
	c.n.Add(1)
	for {
		cur := c.first.Load()
		if cur != nil && !ref.before(*cur) {
			return
		}
		p := new(Ref) // made only when it is the first: ref itself stays on the stack
		*p = ref
		if c.first.CompareAndSwap(cur, p) {
			return
		}
	}
}

// Bind makes t the bookkeeping of task id, submitted by the client with key (its bearer token). Bind it when the
// task is created, before its callbacks can be reported.
func (r *Recorder) Bind(t *Task, id, key string) {
	c := r.clients.get(key)
	t.mu.Lock()
	t.id, t.owner = id, c.identity
	t.mu.Unlock()
}

// Request counts what an answered API request exposed its client to, and judges the client by it.
func (r *Recorder) Request(ev Request) {
	ref := Ref{Journal: JournalRequests, Seq: ev.Seq, At: ev.At.UTC()}
	op, _ := r.ops.get(ev.Operation)
	ok2xx := ev.Status/100 == 2
	var ended bool
	if op != nil {
		if i, found := op.statusItem(ev.Status); found {
			r.count(i, ref)
		}
		if ok2xx {
			if i, found := op.shapes.get(string(ev.Shape)); found && ev.Shape != "" {
				r.count(i, ref)
			}
			if st, found := op.states.get(ev.State); found && ev.State != "" {
				r.count(st.item, ref)
				ended = st.end
				if st.outcome >= 0 {
					r.count(st.outcome, ref)
				}
			}
		}
	}
	c := r.clients.get(ev.Key)
	r.retryAfter(c, ev, ref)
	if op != nil && op.polling && ok2xx && ev.Task != nil && ev.State != "" {
		r.poll(c, ev, ref, ended)
	}
	if ev.Submission != 0 && ev.Task != nil { // a task was created, whether its answer reached the client or not
		r.submission(c, ev, ref)
	}
}

// Callback counts what a callback record exposed its task's client to, and judges the client's hook.
func (r *Recorder) Callback(ev Callback) {
	ref := Ref{Journal: JournalCallbacks, Seq: ev.Seq, At: ev.At.UTC()}
	cb := r.cbs[ev.Callback]
	if ev.Callback == "" {
		cb = r.cbOnly
	}
	if cb != nil {
		if ev.Outcome == OutcomeDelivered {
			if i, found := cb.events[ev.State]; found {
				r.count(i, ref)
			}
			if i, found := cb.shapes[string(ev.Shape)]; found && ev.Shape != "" {
				r.count(i, ref)
			}
			if o, end := r.outcomes[ev.State]; end {
				r.count(o, ref)
			}
		}
		if ev.Attempt > 0 && ev.Status != 0 || ev.Outcome == OutcomeDropped {
			for _, f := range ev.Faults {
				if i, found := cb.faults[f]; found {
					r.count(i, ref)
				}
			}
		}
		if ev.Task != nil && ev.Attempt > 0 && r.retried(ev) && cb.retry >= 0 {
			r.count(cb.retry, ref)
		}
	}
	if ev.Task != nil && ev.Attempt > 0 && (ev.Outcome == OutcomeRetrying || ev.Outcome == OutcomeFailed) {
		r.unacknowledged(ev, ref)
	}
}

// retried reports whether the attempt ev reached the hook after the hook had answered the same event with a
// status other than 2xx, and remembers how the hook answered it.
func (r *Recorder) retried(ev Callback) bool {
	if ev.Event < 1 || ev.Event > 64 {
		return false
	}
	bit := uint64(1) << (ev.Event - 1)
	t := ev.Task
	t.mu.Lock()
	defer t.mu.Unlock()
	retried := ev.Attempt >= 2 && ev.Status != 0 && t.nacked&bit != 0
	switch {
	case ev.Status/100 == 2:
		t.nacked &^= bit
	case ev.Status != 0:
		t.nacked |= bit
	}
	return retried
}

// Close forgets the clients, giving their room back to the Budget. Use the Recorder no more.
func (r *Recorder) Close() { r.clients.reset() }

// Reset forgets what was counted and found, and the clients.
func (r *Recorder) Reset() {
	for i := range r.counts {
		r.counts[i].n.Store(0)
		r.counts[i].first.Store(nil)
	}
	for i := range r.totals {
		r.totals[i].Store(0)
	}
	r.clients.reset()
}

// Report is what was covered and found so far.
func (r *Recorder) Report() Report {
	rep := Report{Items: make([]Item, len(r.items)), Totals: map[string]int64{}, Thresholds: r.th}
	for i, it := range r.items {
		c := &r.counts[i]
		it.Count = c.n.Load()
		if f := c.first.Load(); f != nil {
			first := *f
			it.First = &first
		}
		it.Covered = it.Count > 0
		rep.Items[i] = it
	}
	for k := range numKinds {
		rep.Totals[kindNames[k]] = r.totals[k].Load()
	}
	clients, forgotten := r.clients.snapshot()
	rep.Clients = Clients{Seen: len(clients), Forgotten: forgotten, Max: r.opts.MaxClients}
	for _, c := range clients {
		rep.Findings = append(rep.Findings, c.findings(r.th)...)
	}
	rep.finish()
	return rep
}

package mock

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/coverage"
	"github.com/lumamock/lumamock/internal/httpjson"
	"github.com/lumamock/lumamock/internal/redact"
	"github.com/lumamock/lumamock/mock/internal/delivery"
	"github.com/lumamock/lumamock/mock/internal/queue"
)

// task is one submitted generation. Its state is a function of the clock: it is pending until created+pending,
// processing until created+pending+processing, then its outcome — unless an end was forced earlier. With a
// capacity (Options.Capacity), processing starts when its queue gives it a slot, which the plans of the tasks
// ahead of it decide.
type task struct {
	seq        int64 // numbered by the store, from 1, in order of creation
	id         string
	shape      lumamock.Shape
	prompt     string
	resolution string
	notifyHook string
	secrets    []string // the submitting request's credentials, kept out of its records and callbacks' records
	created    time.Time
	pending    time.Duration
	processing time.Duration
	outcome    lumamock.TaskState
	seed       uint64 // of this task's results
	requestID  string // of the submit request; callbacks in envelope shape carry it
	faults     Faults // applied to its callbacks

	mu     sync.Mutex
	forced *Transition // an end forced before the planned one

	receiver string   // the address notifyHook resolves to, and the session: its callbacks' queue
	session  *Session // the task's; its clock times the task, its journal records the callbacks
	// slot is its place in its API key's queue (Settings.Capacity), which decides when it starts processing; nil
	// without a capacity.
	slot *queue.Entry[*task]

	// *dispatch is the callback scheduling of a task with a notify_hook, nil for one without: a task without
	// a hook (what a load test makes) is then 96 bytes smaller, which the garbage collector scans in each of
	// up to MaxTasks tasks.
	*dispatch

	cov coverage.Task // the coverage's bookkeeping of it

	// big is set for a prompt of largePrompt bytes or more (see largeText).
	big *largeText

	resultOnce sync.Once
	// res is behind a pointer so that a task stays under 512 bytes, which the garbage collector scans by the
	// span, cheaply: at 528 bytes BenchmarkHandler/mock-envelope took 21.4-22.7 µs/op, at 360 bytes 18.1-20.6
	// (same run, interleaved, -cpu 1).
	res *result
}

// result returns the task's results, made on first use.
func (t *task) result() *result {
	t.resultOnce.Do(func() { r := newResult(t.seed, t.id, t.resolution); t.res = &r })
	return t.res
}

// dispatch is a task's callback scheduling, guarded by dispatchMu (see callbacks.poke).
type dispatch struct {
	dispatchMu sync.Mutex
	emitted    []lumamock.TaskState // states whose callbacks were emitted, in order
	held       [][]*delivery.Job    // reorder fault: intermediate callbacks (with copies) held back until the final one
	timer      Timer                // the next poke
	dropped    bool                 // reset, evicted or shut down: no more callbacks
	// outbox holds the records decided under dispatchMu, journaled in order once it is released; flushing
	// says a goroutine is journaling them (see callbacks.report).
	outbox   []delivery.Attempt
	flushing bool
}

// takeOutboxLocked takes the records to journal, unless another goroutine is journaling the task's: it
// journals these too, in order, when it is done with its own.
func (d *dispatch) takeOutboxLocked() []delivery.Attempt {
	if d.flushing || len(d.outbox) == 0 {
		return nil
	}
	out := d.outbox
	d.outbox, d.flushing = nil, true
	return out
}

// ErrTaskEnded is returned when a task that has already ended is asked to end.
var ErrTaskEnded = errors.New("the task has already ended")

// force ends the task now in state, unless it has ended already.
func (t *task) force(state lumamock.TaskState, now time.Time) error {
	cur := t.at(now)
	if cur.State.Terminal() {
		return fmt.Errorf("%w (%s at %s)", ErrTaskEnded, cur.State, cur.At.UTC().Format(time.RFC3339))
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.forced != nil {
		return ErrTaskEnded
	}
	t.forced = &Transition{State: state, At: now, Forced: true}
	return nil
}

// happened is the part of timeline tl that has happened by now.
func happened(tl []Transition, now time.Time) []Transition {
	n := 1
	for n < len(tl) && !tl[n].At.After(now) {
		n++
	}
	return tl[:n]
}

// timeline is the states a task passes through, in order, with when each begins: at most three (pending,
// processing, an end), held in place so that reading a task's state allocates nothing.
type timeline struct {
	n  int
	tr [3]Transition
}

// list returns the transitions.
func (tl *timeline) list() []Transition { return tl.tr[:tl.n] }

// timeline lists the states the task passes through, in order, with when each begins.
func (t *task) timeline() (tl timeline) {
	t.mu.Lock()
	forced := t.forced
	t.mu.Unlock()
	plan := timeline{n: 1}
	plan.tr[0] = Transition{State: lumamock.StatePending, At: t.created}
	// With a capacity, processing starts when the task's queue gives it a slot; it never does if it ended (or
	// was forgotten) while it waited.
	if start, ok := t.processingAt(); ok {
		plan.tr[1] = Transition{State: lumamock.StateProcessing, At: start}
		plan.tr[2] = Transition{State: t.outcome, At: start.Add(t.processing)}
		plan.n = 3
	}
	if forced == nil {
		return plan
	}
	for _, tr := range plan.list() {
		if !tr.At.After(forced.At) && !tr.State.Terminal() {
			tl.tr[tl.n] = tr
			tl.n++
		}
	}
	tl.tr[tl.n] = *forced
	tl.n++
	return tl
}

// at returns the task's state at now and when it entered it.
func (t *task) at(now time.Time) Transition {
	tl := t.timeline()
	cur := tl.tr[0]
	for _, tr := range tl.list()[1:] {
		if tr.At.After(now) {
			break
		}
		cur = tr
	}
	return cur
}

// generation renders the task in state cur, seen at now, as a raw Luma generation object.
func (t *task) generation(cur Transition, now time.Time) lumamock.Generation {
	g := lumamock.Generation{
		ID:        t.id,
		Prompt:    t.prompt,
		State:     cur.State,
		CreatedAt: lumamock.LumaTime{Time: t.created},
	}
	switch cur.State {
	case lumamock.StatePending:
		start, _ := t.processingAt() // the plan of the tasks ahead decides it, with a capacity
		wait := max(0, int((start.Sub(now)+time.Second-1)/time.Second))
		g.EstimateWaitSeconds = &wait
		g.QueueState = t.queueState(now)
	case lumamock.StateCompleted:
		r := t.result()
		g.Video, g.VideoRaw, g.Thumbnail, g.LastFrame = &r.video, &r.videoRaw, &r.thumbnail, &r.lastFrame
	case lumamock.StateFailed:
		g.FailureReason = &t.result().failureReason
	}
	return g
}

// envelope renders the task in state cur inside the envelope of the request requestID.
func (t *task) envelope(cur Transition, requestID string) lumamock.TaskEnvelope {
	d := lumamock.TaskData{
		TaskID:     t.id,
		TaskStatus: cur.State,
		CreatedAt:  t.created.Unix(),
		UpdatedAt:  cur.At.Unix(),
	}
	switch cur.State {
	case lumamock.StateCompleted:
		r := t.result()
		d.Video, d.VideoRaw, d.Thumbnail, d.LastFrame = &r.video, &r.videoRaw, &r.thumbnail, &r.lastFrame
	case lumamock.StateFailed:
		d.FailureReason = &t.result().failureReason
	}
	return lumamock.TaskEnvelope{Code: 200, Message: "success", RequestID: requestID, Data: d}
}

// render renders the task in state cur, seen at now, in shape.
func (t *task) render(shape lumamock.Shape, cur Transition, now time.Time, requestID string) any {
	if shape == lumamock.ShapeLuma {
		return t.generation(cur, now)
	}
	return plainEnvelope(t.envelope(cur, requestID))
}

// taskStore keeps a session's tasks, oldest first; their number and memory count against the server's
// taskBudget, which the server enforces across sessions (Server.trimTasks).
type taskStore struct {
	mu     sync.RWMutex
	byID   map[string]*task
	order  []*task // oldest first, from head
	head   int
	seq    int64 // number of the last task added; a reset does not restart it
	bytes  int64
	held   atomic.Int64 // len(order)-head, readable without the lock
	closed bool         // its session is gone: it keeps nothing more
	budget *taskBudget
}

// taskBudget is the server's limit on the tasks all sessions keep: their number and their memory.
type taskBudget struct {
	max      int64
	maxBytes int64
	count    atomic.Int64
	bytes    atomic.Int64
}

// over reports whether the tasks kept exceed the budget.
func (b *taskBudget) over() bool { return b.count.Load() > b.max || b.bytes.Load() > b.maxBytes }

func (b *taskBudget) add(n, bytes int64) {
	b.count.Add(n)
	b.bytes.Add(bytes)
}

func newTaskStore(budget *taskBudget) *taskStore {
	return &taskStore{byID: make(map[string]*task), budget: budget}
}

// size estimates the memory a task holds: what the client sent that it keeps, and a fixed overhead.
func (t *task) size() int64 {
	n := int64(len(t.prompt)+len(t.notifyHook)+len(t.resolution)) + 1024
	for _, s := range t.secrets {
		n += int64(len(s)) + 16
	}
	if t.big != nil && unsafe.StringData(t.big.shown) != unsafe.StringData(t.prompt) {
		n += int64(len(t.big.shown))
	}
	return n
}

// largePrompt is the length from which a task's prompt is written into answers from the task's own string, a
// piece at a time (httpjson.Spliced), rather than encoded whole into a buffer for each answer: a client that
// reads slowly, or not at all, then holds no copy of it, and any number of clients share the one string.
const largePrompt = 64 << 10

// largeText is what a task keeps to write its large prompt into answers: the lengths of its JSON literals, for
// the answers' Content-Length, and the prompt as the admin API shows it, computed once.
type largeText struct {
	promptLen int    // httpjson.EncodedLen(prompt)
	shown     string // the prompt with the secrets redacted: the prompt itself when it holds none
	shownLen  int    // httpjson.EncodedLen(shown)
}

// newLargeText prepares a prompt of largePrompt bytes or more, whose records must not show secrets; nil for a
// shorter one.
func newLargeText(prompt string, secrets []string) *largeText {
	if len(prompt) < largePrompt {
		return nil
	}
	l := &largeText{promptLen: httpjson.EncodedLen(prompt), shown: redact.Text(prompt, secrets...)}
	l.shownLen = l.promptLen
	if l.shown != prompt {
		l.shownLen = httpjson.EncodedLen(l.shown)
	} else {
		l.shown = prompt // one string, not two equal ones
	}
	return l
}

// answer is what an API answer shows of the task in shape, in state cur, seen at now: a value to write with
// writeJSON, which writes a large prompt from the task's own string (see largePrompt).
func (t *task) answer(shape lumamock.Shape, cur Transition, now time.Time, requestID string) any {
	v := t.render(shape, cur, now, requestID)
	if t.big == nil { // first: the failed assertion below would zero a Generation, on every answer
		return v
	}
	if g, ok := v.(lumamock.Generation); ok {
		g.Prompt = httpjson.Marker
		return httpjson.Spliced{Value: g, String: t.prompt, Len: t.big.promptLen}
	}
	return v
}

// add keeps t, numbering it; it reports false, keeping nothing, when the store is closed.
func (s *taskStore) add(t *task) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.seq++
	t.seq = s.seq
	s.order = append(s.order, t)
	s.byID[t.id] = t
	size := t.size()
	s.bytes += size
	s.held.Add(1)
	s.budget.add(1, size)
	return true
}

// evictOldest forgets the oldest task and returns it; nil when the store keeps none, or only one and keepNewest
// is set.
func (s *taskStore) evictOldest(keepNewest bool) *task {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.order) - s.head
	if n == 0 || keepNewest && n == 1 {
		return nil
	}
	old := s.order[s.head]
	s.order[s.head] = nil
	s.head++
	size := old.size()
	s.bytes -= size
	delete(s.byID, old.id)
	s.held.Add(-1)
	s.budget.add(-1, -size)
	if s.head > 1024 && s.head > len(s.order)/2 { // keep the slice from growing without end
		s.order = append([]*task(nil), s.order[s.head:]...)
		s.head = 0
	}
	return old
}

// len reports how many tasks the store keeps.
func (s *taskStore) len() int { return int(s.held.Load()) }

// list returns the tasks kept, oldest first.
func (s *taskStore) list() []*task {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]*task(nil), s.order[s.head:]...)
}

// reset forgets every task, and returns them.
func (s *taskStore) reset() []*task {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resetLocked()
}

func (s *taskStore) resetLocked() []*task {
	old := s.order[s.head:]
	s.budget.add(-int64(len(old)), -s.bytes)
	s.byID = make(map[string]*task)
	s.order, s.head, s.bytes = nil, 0, 0
	s.held.Store(0)
	return old
}

// close forgets every task, as reset does, and keeps none added afterwards.
func (s *taskStore) close() []*task {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return s.resetLocked()
}

func (s *taskStore) get(id string) *task {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.byID[id]
}

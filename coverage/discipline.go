package coverage

import (
	"container/list"
	"fmt"
	"hash/maphash"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lumamock/lumamock/internal/redact"
)

// Kinds of Finding: how a client misbehaves towards the asynchronous API.
const (
	// FindingPollTooFast: a client polled one task again sooner than Thresholds.PollMinInterval.
	FindingPollTooFast = "poll-too-fast"
	// FindingRetryAfterIgnored: a client sent a request sooner than the Retry-After of a 429 or 503 answer it
	// had got.
	FindingRetryAfterIgnored = "retry-after-ignored"
	// FindingPollAfterEnd: a client polled a task more than Thresholds.PollAfterEnd times once it had ended.
	FindingPollAfterEnd = "poll-after-end"
	// FindingHookNotAcknowledged: a client's hook answered a callback with a status other than 2xx, or did not
	// answer.
	FindingHookNotAcknowledged = "hook-not-acknowledged"
	// FindingResubmitted: a client submitted the same request again within Thresholds.ResubmitWindow while the
	// first task was still alive.
	FindingResubmitted = "resubmitted"
)

type kind int

const (
	kPollTooFast kind = iota
	kRetryAfterIgnored
	kPollAfterEnd
	kHookNotAcknowledged
	kResubmitted
	numKinds
)

// kindNames are the finding kinds, in report order.
var kindNames = [numKinds]string{FindingPollTooFast, FindingRetryAfterIgnored, FindingPollAfterEnd, FindingHookNotAcknowledged, FindingResubmitted}

// FindingKinds lists every kind of finding, in report order.
func FindingKinds() []string { return kindNames[:] }

// advice says, for each kind, what a well-behaved client does instead.
var advice = [numKinds]string{
	"Wait at least the minimum interval between two polls of one task (start at 1s and back off), or follow notify_hook instead of polling.",
	"After a 429 or 503, wait the seconds its Retry-After says before the next request.",
	"Stop polling a task once a poll shows it completed or failed.",
	"Answer every callback with a 2xx at once and do the work afterwards; a hook that fails or is slow gets the same callback again, then none.",
	"Keep the task id of a submission and follow that task; send a request again only after its task ended or its answer said it was refused.",
}

// anonymous names the requests that carried no API key.
const anonymous = "anonymous"

// identity is a client's number (a hash of its key) and label (redact.Label of its key).
type identity struct {
	id    uint64
	label string
}

// client is what a Recorder keeps of one client: the findings against it and what it needs to judge the next
// request. Its fields are guarded by mu.
type client struct {
	*identity
	elem *list.Element // in the table's recency list, guarded by the table's lock

	mu       sync.Mutex
	list     []*finding // listed, at most Options.MaxFindings
	byKey    map[findingKey]*finding
	last     *finding // the finding noted last
	unlisted int64    // occurrences of findings not listed (the list was full)
	wait     struct {
		ref    Ref // the answer with Retry-After, none when until is zero
		status int
		after  time.Duration
		until  time.Time
	}
	waiting atomic.Bool   // wait is set: a Retry-After was answered (it stays set; wait.until says until when)
	recent  [8]submission // the last submissions, a ring
	next    int
}

type findingKey struct {
	kind    kind
	subject string
}

// submission is a request that created a task, for the resubmitted finding.
type submission struct {
	hash   uint64
	task   string
	at     int64 // Unix nanoseconds
	ref    Ref
	origin submission0 // the first of the chain of resubmissions this one belongs to
}

type submission0 struct {
	task string
	ref  Ref
}

// finding is one finding as kept: its kind and subject (a task id, a receiver or an answer's number), how often it
// occurred, the records that show it, and what its message needs.
type finding struct {
	findingKey
	count    int64
	evidence []Ref
	shortest time.Duration // poll-too-fast: the shortest gap; retry-after-ignored: the shortest wait
	after    time.Duration // retry-after-ignored: the Retry-After
	status   int           // retry-after-ignored: the answer's status; hook-not-acknowledged: the last status
	state    string        // poll-after-end: the state the task ended in
	polls    int           // poll-after-end: the polls after the end, the allowed ones included
	noAnswer int64         // hook-not-acknowledged: attempts with no answer
	lastErr  string        // hook-not-acknowledged: why the last unanswered attempt failed
}

// note records one occurrence of a finding of c: it finds or makes the finding (nil when c's list is full, the
// occurrence then only counted) and adds the evidence, at most max records of it. It runs with c.mu held.
func (c *client) note(r *Recorder, k kind, subject string, evidence ...Ref) *finding {
	r.totals[k].Add(1)
	key := findingKey{k, subject}
	f := c.last // a finding that goes on is found without hashing its subject
	if f == nil || f.findingKey != key {
		f = c.byKey[key]
	}
	if f == nil {
		if len(c.list) >= r.opts.MaxFindings {
			c.unlisted++
			return nil
		}
		f = &finding{findingKey: key}
		if c.byKey == nil {
			c.byKey = map[findingKey]*finding{}
		}
		c.byKey[key] = f
		c.list = append(c.list, f)
	}
	c.last = f
	f.count++
	for _, e := range evidence {
		if len(f.evidence) >= r.opts.MaxEvidence {
			break // the common case of a finding that goes on: nothing more to look at
		}
		if !slices.ContainsFunc(f.evidence, func(o Ref) bool { return o.Journal == e.Journal && o.Seq == e.Seq }) {
			f.evidence = append(f.evidence, e)
		}
	}
	return f
}

// retryAfter judges ev against the last Retry-After c was answered, and remembers the one ev's answer carries.
func (r *Recorder) retryAfter(c *client, ev Request, ref Ref) {
	if ev.RetryAfter == 0 && !c.waiting.Load() {
		return // nothing to judge nor to remember, without taking the lock
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	w := &c.wait
	if !w.until.IsZero() && ev.At.Before(w.until) {
		if f := c.note(r, kRetryAfterIgnored, strconv.FormatInt(w.ref.Seq, 10), w.ref, ref); f != nil {
			gap := max(0, ev.At.Sub(w.ref.At))
			if f.count == 1 || gap < f.shortest {
				f.shortest = gap
			}
			f.after, f.status = w.after, w.status
		}
	}
	if ev.RetryAfter > 0 {
		answered := ev.Answered
		if answered.IsZero() {
			answered = ev.At
		}
		w.ref, w.status, w.after, w.until = ref, ev.Status, ev.RetryAfter, answered.Add(ev.RetryAfter)
		c.waiting.Store(true)
	} else if !ev.At.Before(w.until) {
		c.waiting.Store(false) // the wait is over: the next requests need not take the lock
	}
}

// poll judges a poll of ev.Task by c: too soon after c's last poll of it, or once too often after its end.
func (r *Recorder) poll(c *client, ev Request, ref Ref, ended bool) {
	t := ev.Task
	t.mu.Lock()
	id := t.id
	var prev Ref
	var gap time.Duration
	tooFast := false
	now := ev.At.UnixNano()
	if t.polled && t.poller == c.id {
		gap = time.Duration(max(0, now-t.lastAt))
		tooFast = gap < r.th.PollMinInterval
		prev = Ref{Journal: JournalRequests, Seq: t.lastSeq, At: time.Unix(0, t.lastAt).UTC()}
	}
	t.polled, t.poller, t.lastSeq, t.lastAt = true, c.id, ev.Seq, now
	var endPolls int
	var firstEnd Ref
	if ended {
		t.endPolls++
		if t.endPolls == 1 {
			t.endSeq, t.endAt = ev.Seq, now
		}
		endPolls, firstEnd = int(t.endPolls), Ref{Journal: JournalRequests, Seq: t.endSeq, At: time.Unix(0, t.endAt).UTC()}
	}
	t.mu.Unlock()
	if !tooFast && endPolls <= r.th.PollAfterEnd {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if tooFast {
		if f := c.note(r, kPollTooFast, id, prev, ref); f != nil && (f.count == 1 || gap < f.shortest) {
			f.shortest = gap
		}
	}
	if endPolls > r.th.PollAfterEnd {
		if f := c.note(r, kPollAfterEnd, id, firstEnd, ref); f != nil {
			f.polls, f.state = endPolls, string(ev.State)
		}
	}
}

// submission judges a request of c that created a task: the same request sent again within the window while the
// task of the last one is still alive is resubmitted.
func (r *Recorder) submission(c *client, ev Request, ref Ref) {
	task, _ := ev.Task.ident()
	at := ev.At.UnixNano()
	c.mu.Lock()
	var prev submission
	found := false
	for i := 1; i <= len(c.recent); i++ { // newest first: the first match is the last such submission
		s := &c.recent[(c.next-i+len(c.recent))%len(c.recent)]
		if s.hash == ev.Submission && s.task != task && at-s.at <= int64(r.th.ResubmitWindow) {
			prev, found = *s, true
			break
		}
	}
	this := submission{hash: ev.Submission, task: task, at: at, ref: ref, origin: submission0{task: task, ref: ref}}
	if found {
		this.origin = prev.origin
	}
	c.recent[c.next] = this
	c.next = (c.next + 1) % len(c.recent)
	c.mu.Unlock()
	if !found || r.opts.Alive != nil && !r.opts.Alive(prev.task, ev.At) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.note(r, kResubmitted, prev.origin.task, prev.origin.ref, ref)
}

// unacknowledged records an attempt the hook of ev's task did not acknowledge.
func (r *Recorder) unacknowledged(ev Callback, ref Ref) {
	_, owner := ev.Task.ident()
	c := r.clients.of(owner)
	c.mu.Lock()
	defer c.mu.Unlock()
	receiver := ev.Receiver
	if receiver == "" {
		receiver = "(unknown)"
	}
	if f := c.note(r, kHookNotAcknowledged, receiver, ref); f != nil {
		if ev.Status == 0 {
			f.noAnswer++
			f.lastErr = ev.Error
		} else {
			f.status = ev.Status
		}
	}
}

// ident returns the task's id and the client that submitted it.
func (t *Task) ident() (string, *identity) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.id, t.owner
}

// findings returns c's findings as a report shows them.
func (c *client) findings(th Thresholds) []Finding {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Finding, 0, len(c.list))
	for _, f := range c.list {
		out = append(out, f.render(c.label, th))
	}
	return out
}

func (f *finding) render(label string, th Thresholds) Finding {
	out := Finding{Kind: kindNames[f.kind], Client: label, Count: f.count, Evidence: slices.Clone(f.evidence), Advice: advice[f.kind]}
	times := func(n int64) string {
		if n == 1 {
			return "once"
		}
		return strconv.FormatInt(n, 10) + " times"
	}
	switch f.kind {
	case kPollTooFast:
		out.TaskID = f.subject
		out.Message = fmt.Sprintf("polled task %s %s within %s of the previous poll (shortest gap %s)", f.subject, times(f.count), th.PollMinInterval, round(f.shortest))
	case kRetryAfterIgnored:
		out.Message = fmt.Sprintf("sent %s sooner than the Retry-After (%s) of the %d %s answer at requests#%s (the soonest %s after it)",
			plural(f.count, "request"), f.after, f.status, http.StatusText(f.status), f.subject, round(f.shortest))
		if f.status == 0 {
			out.Message = fmt.Sprintf("sent %s sooner than the Retry-After (%s) of the answer at requests#%s (the soonest %s after it)",
				plural(f.count, "request"), f.after, f.subject, round(f.shortest))
		}
	case kPollAfterEnd:
		out.TaskID = f.subject
		out.Message = fmt.Sprintf("polled task %s %s after it ended (%s), more than %d", f.subject, times(int64(f.polls)), f.state, th.PollAfterEnd)
	case kHookNotAcknowledged:
		out.Receiver = f.subject
		var parts []string
		if n := f.count - f.noAnswer; n > 0 {
			parts = append(parts, fmt.Sprintf("answered %s with a status other than 2xx (the last %d)", plural(n, "callback"), f.status))
		}
		if f.noAnswer > 0 {
			p := fmt.Sprintf("did not answer %s", plural(f.noAnswer, "callback"))
			if f.lastErr != "" {
				p += " (the last: " + f.lastErr + ")"
			}
			parts = append(parts, p)
		}
		out.Message = "the hook at " + f.subject + " " + strings.Join(parts, " and ")
	case kResubmitted:
		out.TaskID = f.subject
		out.Message = fmt.Sprintf("submitted the same request (body and Prefer) again %s within %s while task %s was still alive",
			times(f.count), th.ResubmitWindow, f.subject)
	}
	return out
}

// round shows a gap between requests to a tenth of a millisecond (to a microsecond below a millisecond).
func round(d time.Duration) time.Duration {
	if d < time.Millisecond {
		return d.Round(time.Microsecond)
	}
	return d.Round(100 * time.Microsecond)
}

func plural(n int64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.FormatInt(n, 10) + " " + word + "s"
}

// Budget bounds the clients that several Recorders remember together. Make one with NewBudget.
type Budget struct {
	max  int64
	used atomic.Int64
}

// NewBudget returns a Budget of max clients.
func NewBudget(max int) *Budget { return &Budget{max: int64(max)} }

// Used returns how many clients the Recorders sharing b remember.
func (b *Budget) Used() int { return int(b.used.Load()) }

// clientTable keeps at most max clients, and within its budget, forgetting the least recently seen first.
type clientTable struct {
	seed      maphash.Seed
	budget    *Budget // nil for none
	mu        sync.Mutex
	byID      map[uint64]*client
	recency   list.List // of *client, most recent first
	max       int
	forgotten int64
}

func newClientTable(max int, budget *Budget) *clientTable {
	return &clientTable{seed: maphash.MakeSeed(), budget: budget, byID: map[uint64]*client{}, max: max}
}

// overLocked reports whether the table must forget a client: it holds more than its max, or more than one while
// the budget it shares is exceeded.
func (t *clientTable) overLocked() bool {
	return len(t.byID) > t.max || t.budget != nil && len(t.byID) > 1 && t.budget.used.Load() > t.budget.max
}

// get returns the client whose API key is key, remembering it as the most recently seen.
func (t *clientTable) get(key string) *client {
	id := uint64(0)
	if key != "" {
		id = maphash.String(t.seed, key) | 1 // 0 is the anonymous client
	}
	return t.lookup(id, func() string {
		if key == "" {
			return anonymous
		}
		return redact.Label(key)
	})
}

// of returns the client of who (an unbound task's: the anonymous client), remembering it as the most recently
// seen.
func (t *clientTable) of(who *identity) *client {
	if who == nil {
		return t.get("")
	}
	return t.lookup(who.id, func() string { return who.label })
}

func (t *clientTable) lookup(id uint64, label func() string) *client {
	t.mu.Lock()
	defer t.mu.Unlock()
	if c := t.byID[id]; c != nil {
		t.recency.MoveToFront(c.elem)
		return c
	}
	c := &client{identity: &identity{id: id, label: label()}}
	c.elem = t.recency.PushFront(c)
	t.byID[id] = c
	if t.budget != nil {
		t.budget.used.Add(1)
	}
	for t.overLocked() {
		old := t.recency.Back()
		t.recency.Remove(old)
		delete(t.byID, old.Value.(*client).id)
		t.forgotten++
		if t.budget != nil {
			t.budget.used.Add(-1)
		}
	}
	return c
}

// snapshot returns the clients kept, most recently seen first, and how many were forgotten.
func (t *clientTable) snapshot() ([]*client, int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]*client, 0, len(t.byID))
	for e := t.recency.Front(); e != nil; e = e.Next() {
		out = append(out, e.Value.(*client))
	}
	return out, t.forgotten
}

func (t *clientTable) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.budget != nil {
		t.budget.used.Add(-int64(len(t.byID)))
	}
	t.byID = map[uint64]*client{}
	t.recency.Init()
	t.forgotten = 0
}

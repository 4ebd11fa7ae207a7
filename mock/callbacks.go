package mock

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/lumamock/lumamock"
)

// Headers of every callback request. Receivers can correlate deliveries with them: (task id, event) names one
// state change, the same in retries and duplicates.
const (
	// HeaderTaskID carries the task's id.
	HeaderTaskID = "X-Lumamock-Task-Id"
	// HeaderEvent carries the state change's sequence number within its task: 1 for the first change after
	// submission.
	HeaderEvent = "X-Lumamock-Event"
	// HeaderState carries the state the task entered.
	HeaderState = "X-Lumamock-State"
	// HeaderAttempt carries the attempt number of this delivery, 1 for the first try.
	HeaderAttempt = "X-Lumamock-Attempt"
	// HeaderSignature carries "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">" when a callback
	// secret is set.
	HeaderSignature = "X-Lumamock-Signature"
)

// Outcomes of a callback record.
const (
	OutcomeDelivered = "delivered" // the receiver answered 2xx
	OutcomeRetrying  = "retrying"  // the attempt failed; another follows after the backoff
	OutcomeFailed    = "failed"    // the last attempt failed; no more follow
	OutcomeDropped   = "dropped"   // the drop fault: never sent
	OutcomeAbandoned = "abandoned" // never (fully) tried: the queue was full, or the server shut down or reset
	OutcomeInvalid   = "invalid"   // the body broke the document's callback schema, so it was not sent
)

// Sign returns the HeaderSignature value for body sent at t with secret.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// VerifySignature checks a HeaderSignature value against body and secret, and returns the time it was signed
// at, so that receivers can also refuse old deliveries.
func VerifySignature(secret, header string, body []byte) (time.Time, error) {
	var ts string
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return time.Time{}, fmt.Errorf("signature %q: want t=<unix>,v1=<hex>", header)
	}
	signedAt := time.Unix(sec, 0)
	_, want, _ := strings.Cut(Sign(secret, signedAt, body), ",v1=")
	for _, sig := range sigs {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return signedAt, nil
		}
	}
	return signedAt, errors.New("signature does not match the body")
}

// delivery is one callback to send: a state change of a task, rendered once, tried until it succeeds or the
// retries run out.
type delivery struct {
	taskID   string
	url      string
	event    int
	state    lumamock.TaskState
	body     []byte
	faults   []string
	attempts int
}

func (dl *delivery) record(at time.Time, outcome string) CallbackRecord {
	return CallbackRecord{At: at, TaskID: dl.taskID, Event: dl.event, State: dl.state, URL: redactURL(dl.url),
		Attempt: dl.attempts, Faults: dl.faults, Outcome: outcome, Body: dl.body}
}

// Queue states of a task's callbacks.
const (
	queueIdle    = iota // nothing to send, or nothing until a timer fires
	queueReady          // in the ready channel
	queueBusy           // a worker is delivering its head
	queueWaiting        // the head waits for its retry backoff
	queueParked         // due, but its host has as many deliveries in flight as one host may
)

// hookQueue holds one task's deliveries. At most one worker serves it at a time, so a task's callbacks go
// out in order and never concurrently.
type hookQueue struct {
	taskID string
	host   string // the hook's host, for the per-host limit
	items  []*delivery
	state  int
	timer  Timer // retry backoff
	dead   bool  // forgotten by reset or shutdown
}

// dispatcher delivers callbacks: per-task queues served by a fixed pool of workers, with a bound on the
// deliveries waiting.
type dispatcher struct {
	s        *Server
	clock    TimerClock
	client   *http.Client
	ownsIdle bool // the client is lumamock's, so its idle connections are closed at shutdown
	schema   *openapi3.Schema
	retries  int
	backoff  time.Duration
	timeout  time.Duration
	workers  int
	limit    int
	perHost  int // deliveries in flight to one host at most, so a slow receiver cannot hold every worker

	ctx    context.Context // cancelled when the drain ends, cutting deliveries in flight
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	queues   map[string]*hookQueue
	timers   map[string]Timer // per task: its next state change
	ready    chan *hookQueue
	queued   int                     // deliveries held in live queues
	active   int                     // queues ready, busy or parked
	inflight map[string]int          // deliveries in flight, per host
	parked   map[string][]*hookQueue // per host, queues due that wait for one of its deliveries to end
	started  bool
	closing  bool // no new callbacks
	stopped  bool // workers told to stop
	stop     chan struct{}
	changed  chan struct{} // closed on any change of queued or active, when someone waits
}

func newDispatcher(s *Server, schema *openapi3.Schema, allow *allowList) *dispatcher {
	o := s.opts
	d := &dispatcher{
		s:        s,
		clock:    timerClock(s.clock),
		schema:   schema,
		retries:  o.CallbackRetries,
		backoff:  o.CallbackBackoff,
		timeout:  o.CallbackTimeout,
		workers:  o.CallbackWorkers,
		limit:    o.CallbackQueue,
		perHost:  max(1, o.CallbackWorkers*3/4),
		inflight: make(map[string]int),
		parked:   make(map[string][]*hookQueue),
		queues:   make(map[string]*hookQueue),
		timers:   make(map[string]Timer),
		ready:    make(chan *hookQueue, o.CallbackQueue),
		stop:     make(chan struct{}),
	}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	d.client, d.ownsIdle = newCallbackClient(o.CallbackClient, allow, o.CallbackWorkers)
	return d
}

// poke emits the callbacks of every state change of t that has fallen due, and schedules itself for the next.
// GET and callbacks both read t.timeline, so a callback always shows what GET showed at that moment.
func (d *dispatcher) poke(t *task) {
	if t.notifyHook == "" {
		return
	}
	t.dispatchMu.Lock()
	defer t.dispatchMu.Unlock()
	now := d.clock.Now()
	tl := t.timeline()
	var due []transition
	var next time.Time
	for _, tr := range tl[1:] {
		if slices.Contains(t.emitted, tr.State) {
			continue
		}
		at := tr.At.Add(t.faults.Late)
		if at.After(now) {
			next = at
			break
		}
		due = append(due, tr)
	}
	var batch []*delivery
	var records []CallbackRecord
	for _, tr := range due {
		t.emitted = append(t.emitted, tr.State)
		dl := &delivery{taskID: t.id, url: t.notifyHook, event: len(t.emitted), state: tr.State}
		if t.faults.Late > 0 {
			dl.faults = append(dl.faults, "late")
		}
		body, err := d.render(t, tr)
		dl.body = body
		switch {
		case err != nil:
			d.s.log.Error("callback body breaks the document's callback schema; not sent", "task_id", t.id, "state", tr.State, "error", err)
			rec := dl.record(now, OutcomeInvalid)
			rec.Error = err.Error()
			records = append(records, rec)
		case t.faults.Drop == tr.State:
			dl.faults = append(dl.faults, "drop")
			records = append(records, dl.record(now, OutcomeDropped))
		default:
			if t.faults.Reorder && !tr.State.Terminal() {
				dl.faults = append(dl.faults, "reorder")
			}
			copies := []*delivery{dl}
			for range t.faults.Duplicate {
				dup := *dl
				dup.faults = append(append([]string(nil), dl.faults...), "duplicate")
				copies = append(copies, &dup)
			}
			if t.faults.Reorder && !tr.State.Terminal() {
				t.held = append(t.held, copies)
			} else {
				batch = append(batch, copies...)
			}
		}
		if tr.State.Terminal() {
			for i := len(t.held) - 1; i >= 0; i-- {
				batch = append(batch, t.held[i]...)
			}
			t.held = nil
		}
	}
	for _, rec := range records {
		d.s.journal.addCallback(rec)
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closing {
		return
	}
	if timer := d.timers[t.id]; timer != nil {
		timer.Stop()
		delete(d.timers, t.id)
	}
	for _, dl := range batch {
		d.enqueueLocked(dl, now)
	}
	if !next.IsZero() {
		d.timers[t.id] = d.clock.AfterFunc(next.Sub(now), func() { d.poke(t) })
	}
}

// render is the callback body of t at tr: the submit response's shape, at the new state, checked against the
// document's callback schema.
func (d *dispatcher) render(t *task, tr transition) ([]byte, error) {
	body, ok := appendTask(nil, t.render(t.shape, tr, tr.At, t.requestID))
	if !ok {
		return nil, fmt.Errorf("mock: no encoding for a %s task", t.shape)
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return body, err
	}
	if err := d.schema.VisitJSON(v, openapi3.MultiErrors()); err != nil {
		return body, err
	}
	return body, nil
}

// enqueueLocked adds dl to its task's queue, or gives it up if the queue bound is reached.
func (d *dispatcher) enqueueLocked(dl *delivery, now time.Time) {
	if d.queued >= d.limit {
		rec := dl.record(now, OutcomeAbandoned)
		rec.Error = fmt.Sprintf("callback queue full (%d waiting)", d.queued)
		d.s.log.Warn("callback given up: queue full", "task_id", dl.taskID, "event", dl.event, "state", dl.state, "url", redactURL(dl.url))
		d.s.journal.addCallback(rec)
		return
	}
	if !d.started {
		d.started = true
		for range d.workers {
			d.wg.Add(1)
			go d.work()
		}
	}
	q := d.queues[dl.taskID]
	if q == nil {
		q = &hookQueue{taskID: dl.taskID, host: hostOf(dl.url)}
		d.queues[dl.taskID] = q
	}
	q.items = append(q.items, dl)
	d.queued++
	if q.state == queueIdle {
		d.readyLocked(q)
	}
	d.changedLocked()
}

// readyLocked hands q to the workers. It never blocks: every queue in the channel holds a delivery, and the
// channel's capacity is the bound on deliveries.
func (d *dispatcher) readyLocked(q *hookQueue) {
	q.state = queueReady
	d.active++
	d.ready <- q
}

func (d *dispatcher) changedLocked() {
	if d.changed != nil {
		close(d.changed)
		d.changed = nil
	}
}

func (d *dispatcher) work() {
	defer d.wg.Done()
	for {
		select {
		case <-d.stop:
			return
		case q := <-d.ready:
			if !d.serve(q) {
				return
			}
		}
	}
}

// serve makes one attempt at q's head, reporting false when the worker should stop.
func (d *dispatcher) serve(q *hookQueue) bool {
	d.mu.Lock()
	if d.stopped {
		d.mu.Unlock()
		return false
	}
	if q.dead || len(q.items) == 0 {
		q.state = queueIdle
		d.active--
		d.changedLocked()
		d.mu.Unlock()
		return true
	}
	if d.inflight[q.host] >= d.perHost {
		q.state = queueParked // still counted active: it is due
		d.parked[q.host] = append(d.parked[q.host], q)
		d.mu.Unlock()
		return true
	}
	d.inflight[q.host]++
	q.state = queueBusy
	dl := q.items[0]
	dl.attempts++
	d.mu.Unlock()

	start := d.clock.Now()
	rec := d.send(dl, start)

	d.mu.Lock()
	defer d.mu.Unlock()
	d.active--
	defer d.changedLocked()
	d.unparkLocked(q.host)
	if q.dead {
		q.state = queueIdle
		return true
	}
	final := rec.Outcome == OutcomeDelivered || dl.attempts > d.retries || d.stopped
	if !final {
		rec.Outcome = OutcomeRetrying
		q.state = queueWaiting
		q.timer = d.clock.AfterFunc(d.backoff, func() {
			d.mu.Lock()
			defer d.mu.Unlock()
			if q.state == queueWaiting && !q.dead && !d.stopped {
				q.timer = nil
				d.readyLocked(q)
				d.changedLocked()
			}
		})
	} else {
		if rec.Outcome != OutcomeDelivered {
			rec.Outcome = OutcomeFailed
			d.s.log.Warn("callback failed", "task_id", dl.taskID, "event", dl.event, "state", dl.state,
				"url", redactURL(dl.url), "attempts", dl.attempts, "error", rec.Error)
		}
		q.items[0] = nil
		q.items = q.items[1:]
		d.queued--
		if len(q.items) > 0 {
			d.readyLocked(q)
		} else {
			q.state = queueIdle
			delete(d.queues, q.taskID)
		}
	}
	d.s.journal.addCallback(rec)
	return true
}

// unparkLocked ends a delivery to host: the first queue waiting for that host goes back to the workers.
func (d *dispatcher) unparkLocked(host string) {
	if d.inflight[host]--; d.inflight[host] <= 0 {
		delete(d.inflight, host)
	}
	if ps := d.parked[host]; len(ps) > 0 {
		q := ps[0]
		if d.parked[host] = ps[1:]; len(ps) == 1 {
			delete(d.parked, host)
		}
		q.state = queueReady // already counted active
		d.ready <- q
	}
}

// releaseParkedLocked hands every parked queue back to the workers (which drop the dead ones).
func (d *dispatcher) releaseParkedLocked() {
	for host, ps := range d.parked {
		for _, q := range ps {
			q.state = queueReady
			d.ready <- q
		}
		delete(d.parked, host)
	}
}

// hostOf is the host[:port] a hook URL reaches, "" when it does not parse.
func hostOf(hook string) string {
	u, err := url.Parse(hook)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Host)
}

// send makes one attempt at dl and describes it (Outcome is delivered or failed).
func (d *dispatcher) send(dl *delivery, now time.Time) CallbackRecord {
	rec := dl.record(now, OutcomeFailed)
	ctx, cancel := context.WithTimeout(d.ctx, d.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, dl.url, bytes.NewReader(dl.body))
	if err != nil {
		rec.Error = err.Error()
		return rec
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "lumamock/"+lumamock.Version)
	h.Set(HeaderTaskID, dl.taskID)
	h.Set(HeaderEvent, strconv.Itoa(dl.event))
	h.Set(HeaderState, string(dl.state))
	h.Set(HeaderAttempt, strconv.Itoa(dl.attempts))
	if secret := d.s.opts.CallbackSecret; secret != "" {
		h.Set(HeaderSignature, Sign(secret, now, dl.body))
	}
	began := time.Now()
	resp, err := d.client.Do(req)
	if err != nil {
		rec.LatencyMS = ms(time.Since(began))
		rec.Error = err.Error()
		if errors.Is(err, context.DeadlineExceeded) {
			rec.Error = fmt.Sprintf("no answer within %s: %v", d.timeout, err)
		}
		return rec
	}
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, MaxCallbackResponse))
	resp.Body.Close()
	rec.LatencyMS = ms(time.Since(began))
	rec.Status = resp.StatusCode
	if len(snippet) > 512 {
		snippet = snippet[:512]
	}
	rec.Response = string(snippet)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		rec.Error = "receiver answered " + resp.Status
		return rec
	}
	rec.Outcome = OutcomeDelivered
	return rec
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// forget stops t's scheduled callbacks (the task was evicted); deliveries already queued still go out.
func (d *dispatcher) forget(t *task) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if timer := d.timers[t.id]; timer != nil {
		timer.Stop()
		delete(d.timers, t.id)
	}
}

// reset forgets every scheduled and queued callback. Deliveries in flight finish unrecorded.
func (d *dispatcher) reset() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for id, timer := range d.timers {
		timer.Stop()
		delete(d.timers, id)
	}
	for id, q := range d.queues {
		d.killLocked(q)
		delete(d.queues, id)
	}
	d.releaseParkedLocked()
	d.queued = 0
	d.changedLocked()
}

func (d *dispatcher) killLocked(q *hookQueue) []*delivery {
	if q.timer != nil {
		q.timer.Stop()
		q.timer = nil
	}
	if q.state == queueWaiting {
		q.state = queueIdle
	}
	items := q.items
	q.items, q.dead = nil, true
	return items
}

// waitIdle waits until no callback is queued for delivery now or being delivered. Callbacks waiting for a
// later time on the clock (a state change to come, a retry backoff, a late delivery) do not count.
func (d *dispatcher) waitIdle(ctx context.Context) error {
	return d.waitFor(ctx, func() bool { return d.active == 0 || d.stopped })
}

func (d *dispatcher) waitFor(ctx context.Context, done func() bool) error {
	for {
		d.mu.Lock()
		if done() {
			d.mu.Unlock()
			return nil
		}
		if d.changed == nil {
			d.changed = make(chan struct{})
		}
		ch := d.changed
		d.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// shutdown stops new callbacks and delivers those already queued until ctx ends; then it cuts deliveries in
// flight, logs and journals each callback given up, and stops the workers.
func (d *dispatcher) shutdown(ctx context.Context) error {
	d.mu.Lock()
	d.closing = true
	for id, timer := range d.timers {
		timer.Stop()
		delete(d.timers, id)
	}
	d.mu.Unlock()

	err := d.waitFor(ctx, func() bool { return d.queued == 0 })

	d.mu.Lock()
	if !d.stopped {
		d.stopped = true
		close(d.stop)
	}
	d.cancel()
	now := d.clock.Now()
	var abandoned []*delivery
	for id, q := range d.queues {
		abandoned = append(abandoned, d.killLocked(q)...)
		delete(d.queues, id)
	}
	d.queued = 0
	d.changedLocked()
	d.mu.Unlock()

	for _, dl := range abandoned {
		rec := dl.record(now, OutcomeAbandoned)
		rec.Error = "server shut down before delivery"
		d.s.journal.addCallback(rec)
		d.s.log.Warn("callback given up at shutdown", "task_id", dl.taskID, "event", dl.event, "state", dl.state,
			"url", redactURL(dl.url), "attempts", dl.attempts)
	}
	d.wg.Wait()
	if d.ownsIdle {
		d.client.CloseIdleConnections()
	}
	if err != nil && len(abandoned) > 0 {
		return fmt.Errorf("mock: %d callbacks given up at shutdown: %w", len(abandoned), err)
	}
	return nil
}

// callbackSchema finds the body schema of the create operation's notify callback in doc.
func callbackSchema(doc *openapi3.T) (*openapi3.Schema, error) {
	item := doc.Paths.Find(lumamock.PathGenerations)
	if item == nil || item.Post == nil {
		return nil, fmt.Errorf("mock: the document has no POST %s", lumamock.PathGenerations)
	}
	cb := item.Post.Callbacks[lumamock.CallbackNotify]
	if cb == nil || cb.Value == nil {
		return nil, fmt.Errorf("mock: %s has no %q callback", lumamock.OpCreate, lumamock.CallbackNotify)
	}
	for _, path := range cb.Value.Map() {
		if path.Post == nil || path.Post.RequestBody == nil || path.Post.RequestBody.Value == nil {
			continue
		}
		mt := path.Post.RequestBody.Value.Content.Get("application/json")
		if mt != nil && mt.Schema != nil && mt.Schema.Value != nil {
			return mt.Schema.Value, nil
		}
	}
	return nil, fmt.Errorf("mock: the %q callback of %s has no application/json request body schema", lumamock.CallbackNotify, lumamock.OpCreate)
}

// redactURL hides the password of a hook URL's user info ("http://user:xxxxx@host/"), for journals and logs.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}

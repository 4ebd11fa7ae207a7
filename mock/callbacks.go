package mock

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/internal/httpjson"
	"github.com/lumamock/lumamock/internal/snip"
	"github.com/lumamock/lumamock/mock/internal/delivery"
)

// Headers of every callback request. Receivers can correlate deliveries with them: (task id, event) names one
// state change, the same in retries and duplicates.
const (
	// HeaderTaskID carries the task's id.
	HeaderTaskID = delivery.HeaderTaskID
	// HeaderEvent carries the state change's sequence number within its task: 1 for the first change after
	// submission.
	HeaderEvent = delivery.HeaderEvent
	// HeaderState carries the state the task entered.
	HeaderState = delivery.HeaderState
	// HeaderAttempt carries the attempt number of this delivery, 1 for the first try.
	HeaderAttempt = delivery.HeaderAttempt
	// HeaderSignature carries "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">" when a callback
	// secret is set.
	HeaderSignature = delivery.HeaderSignature
)

// Outcomes of a callback record.
const (
	OutcomeDelivered = delivery.Delivered // the receiver answered 2xx
	OutcomeRetrying  = delivery.Retrying  // the attempt failed; another follows after the backoff
	OutcomeFailed    = delivery.Failed    // the last attempt failed; no more follow
	OutcomeDropped   = "dropped"          // the drop fault: never sent
	// OutcomeAbandoned: never (fully) tried, because its receiver's queue was full, its task was evicted to
	// make room for newer ones, or the server shut down.
	OutcomeAbandoned = delivery.Abandoned
	// OutcomeCancelled: given up by a reset, which cuts an attempt in flight.
	OutcomeCancelled = delivery.Cancelled
	OutcomeInvalid   = "invalid" // the body broke the document's callback schema, so it was not sent
)

// Sign returns the HeaderSignature value for body sent at t with secret.
func Sign(secret string, t time.Time, body []byte) string { return delivery.Sign(secret, t, body) }

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

// Reasons a callback is given up, as journaled.
const (
	reasonShutdown = delivery.ReasonShutdown
	reasonReset    = "cancelled by reset"
	reasonEvicted  = "task evicted to make room for newer ones (--max-tasks)"
)

// callbacks turns tasks' state changes into deliveries: it decides which callbacks fall due, applies the
// webhook faults, renders and checks each body, and hands them to the delivery engine in order.
//
// A task's dispatchMu is held only to decide and submit that task's callbacks; under it the code calls the
// engine's Submit and the Clock's AfterFunc and Stop, none of which blocks or calls back, and nothing takes
// dispatchMu while holding another lock. What it decides to journal (callbacks not sent, given up) waits in
// the task's outbox and is journaled, and logged, in order, after it is released (see report).
type callbacks struct {
	engine *delivery.Engine
	schema *openapi3.SchemaRef
	log    *slog.Logger
	keys   []string // the accepted API keys, which no record shows
	// journaled is told of the session whose journal grew, so that the server keeps the journals within
	// their shared budget.
	journaled func(*Session)
	closing   atomic.Bool // no new callbacks: the server is shutting down
	// client sends the callbacks; ownClient is true when it is lumamock's own, whose idle connections reset
	// and shutdown close.
	client    *http.Client
	ownClient bool
	signed    bool // callbacks carry HeaderSignature (Options.CallbackSecret)
}

func newCallbacks(o Options, clock Clock, schema *openapi3.SchemaRef, allow *allowList, log *slog.Logger) *callbacks {
	client, owned := newCallbackClient(o.CallbackClient, allow, o.CallbackWorkers)
	c := &callbacks{schema: schema, log: log, keys: slices.Clip(o.APIKeys), signed: o.CallbackSecret != "", journaled: func(*Session) {},
		client: client, ownClient: owned}
	c.engine = delivery.New(delivery.Config{
		Client:      client,
		Clock:       clock,
		Workers:     o.CallbackWorkers,
		PerReceiver: max(1, o.CallbackWorkers*3/4),
		Queue:       o.CallbackQueue,
		Retries:     o.CallbackRetries,
		Backoff:     o.CallbackBackoff,
		Timeout:     o.CallbackTimeout,
		Secret:      o.CallbackSecret,
		UserAgent:   "lumamock/" + lumamock.Version,
		Report:      c.journalAttempt,
	})
	return c
}

// poke emits the callbacks of every state change of t that has fallen due, and schedules itself for the next.
// GET and callbacks both read t.timeline, so a callback always shows what GET showed at that moment.
func (c *callbacks) poke(t *task) {
	if t.notifyHook == "" {
		return
	}
	if t.slot != nil {
		c.pokeBlockers(t)
	}
	c.pokeOne(t)
}

// maxBlockers bounds how far back pokeBlockers goes: a chain of tasks ending at one instant (processing=0s).
const maxBlockers = 16

// pokeBlockers pokes, oldest first, the tasks whose end at or before now gave t its slot (with a capacity), so
// that their final callbacks are submitted before t's processing one, which their end made due at the same
// instant: callbacks follow the queue's timeline, whichever of the tasks' timers fires first.
func (c *callbacks) pokeBlockers(t *task) {
	now := t.session.clock.Now()
	var chain []*task
	for e := t.slot; len(chain) < maxBlockers; {
		b, at := e.Blocker()
		if b == nil || at.After(now) {
			break
		}
		chain = append(chain, b.Value)
		e = b
	}
	for i := len(chain) - 1; i >= 0; i-- {
		if chain[i].notifyHook != "" {
			c.pokeOne(chain[i])
		}
	}
}

// pokeOne is poke without the blockers.
func (c *callbacks) pokeOne(t *task) {
	t.dispatchMu.Lock()
	if !t.dropped && !c.closing.Load() {
		c.emitLocked(t, t.session.clock.Now(), nil)
	}
	out := t.takeOutboxLocked()
	t.dispatchMu.Unlock()
	c.report(t, out)
}

// giveUp is why emitLocked gives up a task's callbacks instead of submitting them.
type giveUp struct{ outcome, reason string }

// emitLocked is poke's work, under t.dispatchMu: it submits the callbacks of t's state changes due by now,
// schedules the next poke, and puts what to journal in t's outbox. With g, it gives up instead every callback
// of a state change that has happened, late ones included, and those held back, and schedules nothing.
func (c *callbacks) emitLocked(t *task, now time.Time, g *giveUp) {
	var due []Transition
	var next time.Time
	tl := t.timeline()
	for _, tr := range tl.list()[1:] {
		if slices.Contains(t.emitted, tr.State) {
			continue
		}
		at := tr.At
		if g == nil {
			at = at.Add(t.faults.Late)
		}
		if at.After(now) {
			next = at
			break
		}
		due = append(due, tr)
	}
	var batch []*delivery.Job
	for _, tr := range due {
		t.emitted = append(t.emitted, tr.State)
		job := &delivery.Job{TaskID: t.id, URL: t.notifyHook, Receiver: t.receiver, Event: len(t.emitted), State: string(tr.State),
			Secrets: t.secrets, Owner: t.session, Clock: t.session.clock}
		if t.faults.Late > 0 {
			job.Faults = append(job.Faults, "late")
		}
		body, err := c.render(t, tr)
		job.Body = body
		switch {
		case err != nil:
			t.outbox = append(t.outbox, delivery.Attempt{Job: job, At: now, Outcome: OutcomeInvalid, Error: err.Error()})
		case t.faults.Drop == tr.State:
			job.Faults = append(job.Faults, "drop")
			t.outbox = append(t.outbox, delivery.Attempt{Job: job, At: now, Outcome: OutcomeDropped})
		default:
			if t.faults.Reorder && !tr.State.Terminal() {
				job.Faults = append(job.Faults, "reorder")
			}
			copies := []*delivery.Job{job}
			for range t.faults.Duplicate {
				dup := *job
				dup.Faults = append(slices.Clip(job.Faults), "duplicate")
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
	if t.timer != nil {
		t.timer.Stop()
		t.timer = nil
	}
	if g != nil {
		for _, copies := range t.held {
			batch = append(batch, copies...)
		}
		t.held = nil
		for _, job := range batch {
			t.outbox = append(t.outbox, delivery.Attempt{Job: job, At: now, Outcome: g.outcome, Error: g.reason})
		}
		return
	}
	t.outbox = append(t.outbox, c.engine.Submit(batch...)...)
	if !next.IsZero() {
		t.timer = t.session.clock.AfterFunc(next.Sub(now), func() { c.poke(t) })
	}
}

// render is the callback body of t at tr: the submit response's shape, at the new state, checked against the
// document's callback schema.
func (c *callbacks) render(t *task, tr Transition) ([]byte, error) {
	body, err := httpjson.Marshal(t.render(t.shape, tr, tr.At, t.requestID))
	if err != nil {
		return nil, fmt.Errorf("mock: encode a %s task: %w", t.shape, err)
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return body, err
	}
	if err := c.schema.Value.VisitJSON(v, openapi3.MultiErrors()); err != nil {
		// Say which field broke which rule in the branch the body comes closest to: kin-openapi's own error for
		// a oneOf says only that no branch matched.
		vs := lumamock.Violations(err)
		if _, closest := lumamock.Branch(c.schema, v); len(closest) > 0 {
			vs = closest
		}
		return body, fmt.Errorf("the %s body breaks the document's callback schema: %s", t.shape, violationsText(vs))
	}
	return body, nil
}

// maxViolationsText bounds what a journal record or a log line says of a body's violations.
const maxViolationsText = 1 << 10

// violationsText says which field broke which rule, briefly: kin-openapi's own error prints the whole schema
// and value, tens of kilobytes for a task.
func violationsText(vs []lumamock.Violation) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = v.Field + " (" + v.Rule + "): " + v.Message
	}
	text, _ := snip.Cut(strings.Join(parts, "; "), maxViolationsText)
	return text
}

// recordOf is the journal record of job at at with outcome. It keeps what was sent, with the task's secrets:
// the journal redacts records when they are read.
func recordOf(job *delivery.Job, at time.Time, outcome string) CallbackRecord {
	return CallbackRecord{At: at, TaskID: job.TaskID, Event: job.Event, State: lumamock.TaskState(job.State),
		URL: job.URL, Faults: job.Faults, Outcome: outcome, Body: job.Body}
}

// report journals records of t's callbacks, in order, and logs those given up or not sent; it makes them
// after those another goroutine is making, if any, and then any that were added meanwhile.
func (c *callbacks) report(t *task, out []delivery.Attempt) {
	for len(out) > 0 {
		for _, a := range out {
			c.journalAttempt(a)
		}
		t.dispatchMu.Lock()
		t.flushing = false
		out = t.takeOutboxLocked()
		t.dispatchMu.Unlock()
	}
}

// journalAttempt journals an attempt, or a callback given up or not sent, and logs those given up or not sent.
// The engine reports its attempts here, in each task's order.
func (c *callbacks) journalAttempt(a delivery.Attempt) {
	rec := recordOf(a.Job, a.At, a.Outcome)
	rec.Attempt, rec.Status = a.Number, a.Status
	rec.Error, rec.Response = a.Error, a.Response
	rec.LatencyMS = float64(a.Latency.Microseconds()) / 1000
	rec.Signed = c.signed && a.Number > 0
	ss, _ := a.Job.Owner.(*Session)
	shown := func() CallbackRecord { return callbackEntry{rec: rec, secrets: a.Job.Secrets, keys: c.keys}.redacted() }
	if ss == nil || ss.gone.Load() {
		// Its session was deleted or evicted: the log is the only record left.
		r, name := shown(), ""
		if ss != nil {
			name = ss.name
		}
		c.log.Info("callback of a session gone", "session", name, "task_id", r.TaskID, "event", r.Event,
			"state", r.State, "url", r.URL, "outcome", r.Outcome, "error", r.Error)
		return
	}
	ss.journal.addCallback(rec, a.Job.Secrets)
	c.journaled(ss)
	if a.Outcome != OutcomeFailed && a.Outcome != OutcomeAbandoned && a.Outcome != OutcomeInvalid {
		return
	}
	r := shown()
	args := []any{"task_id", r.TaskID, "event", r.Event, "state", r.State, "url", r.URL, "attempts", r.Attempt, "error", r.Error}
	switch {
	case a.Outcome == OutcomeInvalid:
		c.log.Error("callback body breaks the document's callback schema; not sent", args...)
	case a.Outcome == OutcomeFailed:
		c.log.Warn("callback failed", args...)
	case strings.HasPrefix(a.Error, reasonShutdown):
		c.log.Warn("callback given up at shutdown", args...)
	default:
		c.log.Warn("callback given up", args...)
	}
}

// stop ends t's callbacks: no more are scheduled or submitted, and those of state changes that have happened
// but were not submitted (held back by reorder, delayed by late) are given up with outcome and reason, to be
// journaled by report. It returns whether t has a hook, and the records to journal.
func (c *callbacks) stop(t *task, outcome, reason string) (hooked bool, out []delivery.Attempt) {
	if t.notifyHook == "" {
		return false, nil
	}
	t.dispatchMu.Lock()
	defer t.dispatchMu.Unlock()
	if !t.dropped {
		t.dropped = true
		c.emitLocked(t, t.session.clock.Now(), &giveUp{outcome, reason})
	}
	return true, t.takeOutboxLocked()
}

// drop ends the callbacks of tasks and gives up those not yet delivered, cutting attempts in flight, with
// outcome and reason; each is journaled once. It returns how many it gave up.
func (c *callbacks) drop(tasks []*task, outcome, reason string) int {
	var ids []string
	var stopped []*task
	var outs [][]delivery.Attempt
	for _, t := range tasks {
		if hooked, out := c.stop(t, outcome, reason); hooked {
			ids, stopped, outs = append(ids, t.id), append(stopped, t), append(outs, out)
		}
	}
	if len(ids) == 0 {
		return 0
	}
	n := c.engine.Cancel(ids, outcome, reason)
	for i, t := range stopped {
		n += givenUp(outs[i])
		c.report(t, outs[i])
	}
	if reason == reasonReset {
		c.closeIdle()
	}
	return n
}

// givenUp counts the callbacks given up among records.
func givenUp(out []delivery.Attempt) (n int) {
	for _, a := range out {
		if a.Outcome == OutcomeCancelled || a.Outcome == OutcomeAbandoned {
			n++
		}
	}
	return n
}

// closeIdle closes the idle connections of lumamock's own callback client. A connection dialled for an attempt
// that was cut meanwhile is kept idle by net/http; without this, reset or shutdown would leave it open at the
// receiver, which sees a delivery still held. A client given in Options is the caller's to manage.
func (c *callbacks) closeIdle() {
	if c.ownClient {
		c.client.CloseIdleConnections()
	}
}

// shutdown stops new callbacks and delivers those due until ctx ends; then it gives up the rest, logging and
// journaling each. Callbacks not yet due (held back by reorder, delayed by late) are given up at once.
func (c *callbacks) shutdown(ctx context.Context, tasks []*task) error {
	c.closing.Store(true)
	n := 0
	for _, t := range tasks {
		_, out := c.stop(t, OutcomeAbandoned, reasonShutdown)
		n += givenUp(out)
		c.report(t, out)
	}
	n += c.engine.Shutdown(ctx)
	c.closeIdle() // after the workers stopped: a dial that ends later finds the pool closed and hangs up
	if n > 0 && ctx.Err() != nil {
		return fmt.Errorf("mock: %d callbacks given up at shutdown: %w", n, ctx.Err())
	}
	return nil
}

// callbackSchema finds the body schema of the create operation's notify callback in doc.
func callbackSchema(doc *openapi3.T) (*openapi3.SchemaRef, error) {
	content, err := lumamock.CallbackContent(doc)
	if err != nil {
		return nil, fmt.Errorf("mock: %w", err)
	}
	mt := content.Get("application/json")
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
		return nil, fmt.Errorf("mock: the %q callback of %s has no application/json schema", lumamock.CallbackNotify, lumamock.OpCreate)
	}
	return mt.Schema, nil
}

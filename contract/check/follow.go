package check

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/contract"
)

// MaxUnreadablePolls is how many polls in a row may leave a task's state unread — no answer, an answer other
// than 200 (429 and 503 aside: those ask for patience), or a 200 without a state to read — before the task is
// given up with a finding. A task that is merely slow shows its state on every poll and is followed until the
// poll deadline.
const MaxUnreadablePolls = 3

// stopReason says why following a task ended.
type stopReason int

const (
	stopTerminal   stopReason = iota // the task reached a terminal state (or was created in one)
	stopDeadline                     // the poll deadline passed first
	stopUnreadable                   // the state went unread on MaxUnreadablePolls polls in a row
	stopIllegal                      // polls showed a move the document forbids
	stopCallbacks                    // callbacks showed a move the document forbids
	stopCancelled                    // the run ended: its time limit, or the caller
	stopAborted                      // a poll could not be sent or routed: nothing more is checked
)

// early reports whether following ended before the task could be seen to its end: the callbacks are then judged
// as they are, without waiting for more.
func (s stopReason) early() bool { return s != stopTerminal && s != stopDeadline }

// follow polls the task a billable case created until it reaches a terminal state or the deadline: every answer
// is checked, every transition must be legal, ids must correlate, and a finished task must carry its assets.
// It stops as soon as the lifecycle is proven broken or cannot be followed: a move the document forbids, seen by
// a poll or by the callbacks as they arrive, or a state unread on MaxUnreadablePolls polls in a row. With a hook
// listener it then checks the callbacks.
func (r *runner) follow(ctx context.Context, c Case, created contract.Result, res *CaseResult) []contract.Finding {
	f := r.newFollower(c, created, res)
	if f.task.ID == "" {
		return append(f.out, contract.NewFinding(contract.CheckIDs, contract.KindMissingRequired, f.idPtr, "a task id", "none",
			"the created task has no id, so it cannot be followed"))
	}
	why := f.watch(ctx)
	if why == stopAborted {
		return f.out
	}
	if why == stopUnreadable {
		_, unreadPtr := contract.TaskPointers(f.unreadSchema)
		f.out = append(f.out, unreadable(f.answered, unreadPtr, r.life))
	}
	if f.final.Task != nil && why == stopTerminal && r.life.isTerminal(f.last) {
		r.fixture(c.Name+".terminal", contract.Response{Status: http.StatusOK}, f.final, &f.out)
		f.out = append(f.out, r.checker.CheckFinished(f.final)...)
	}
	if r.hooks != nil {
		f.out = append(f.out, r.callbacks(ctx, c, f.task.ID, f.last, why, res)...)
	}
	return f.out
}

// follower is the state of following one task: what was last seen of it, and what was found.
type follower struct {
	r               *runner
	c, poll         Case // the case that created the task, and the GET that polls it
	res             *CaseResult
	task            *contract.Task     // as created
	idPtr, statePtr string             // where the created task keeps its id and state
	last            lumamock.TaskState // the last state followed
	final           contract.Result    // the last answer that showed the task's state
	unread          int                // polls in a row that left the state unread
	answered        int                // of those, the ones the API answered 200 (the state absent, not the poll failed)
	unreadSchema    string             // the schema of the last such 200 answer
	out             []contract.Finding
}

// newFollower starts following the task created answered with, checking the state it was created in.
func (r *runner) newFollower(c Case, created contract.Result, res *CaseResult) *follower {
	f := &follower{r: r, c: c, res: res, task: created.Task, last: created.Task.State, final: created,
		unreadSchema: created.Schema}
	f.idPtr, f.statePtr = contract.TaskPointers(created.Schema)
	if f.task.State != lumamock.StatePending {
		f.out = append(f.out, contract.NewFinding(CheckLifecycle, contract.KindInitialState, f.statePtr, string(lumamock.StatePending),
			quoteState(f.task.State, "none"), "a new task is documented to start pending"))
	}
	res.States = []lumamock.TaskState{f.task.State}
	f.poll = Case{Name: c.Name, Description: "GET of the task just created", Operation: lumamock.OpGet, Method: http.MethodGet,
		Path:   strings.Replace(lumamock.PathGeneration, "{task_id}", url.PathEscape(f.task.ID), 1),
		Header: http.Header{"Accept": {"application/json"}}, Auth: AuthKey, Expect: []int{http.StatusOK}}
	return f
}

// watch polls the task, backing off, and reads its callbacks as they arrive, until one of them ends following.
// A task created in a terminal state is not polled.
func (f *follower) watch(ctx context.Context) stopReason {
	r := f.r
	deadline := time.Now().Add(r.cfg.PollDeadline)
	interval, maxInterval := r.cfg.PollInterval, 10*r.cfg.PollInterval
	var (
		hookCh <-chan struct{} // closed at the case's next callback; nil (never ready) without a listener
		trail  callbackTrail
	)
	if r.hooks != nil {
		hookCh = r.hooks.arrived(f.c.Name, 0)
	}
	timer := time.NewTimer(interval)
	defer timer.Stop()
	for !r.life.isTerminal(f.last) {
		select {
		case <-ctx.Done():
			return stopCancelled
		case <-hookCh:
			var broken bool
			if hookCh, broken = r.watchCallbacks(f.c.Name, &trail); broken {
				return stopCallbacks // callbacks() reports the move
			}
			continue
		case <-timer.C:
		}
		if time.Now().After(deadline) {
			f.out = append(f.out, contract.NewFinding(CheckLifecycle, contract.KindPollDeadline, f.statePtr,
				"a terminal state within "+r.cfg.PollDeadline.String(), string(f.last), "the task did not finish before the poll deadline"))
			return stopDeadline
		}
		interval = min(interval*3/2, maxInterval)
		timer.Reset(interval)
		if why, stop := f.pollOnce(ctx); stop {
			return why
		}
	}
	return stopTerminal
}

// pollOnce GETs the task once and checks the answer; stop is true when following must end, for reason why.
func (f *follower) pollOnce(ctx context.Context) (why stopReason, stop bool) {
	r := f.r
	req, err := f.poll.NewRequest(ctx, r.cfg.BaseURL, r.cfg.APIKey)
	if err != nil {
		f.out = append(f.out, contract.NewFinding("poll."+CheckTransport, contract.KindUnreachable, "", "", "", r.redact(err.Error())))
		return stopAborted, true
	}
	ex, tf := r.send(req)
	if tf != nil {
		tf.Check = "poll." + tf.Check
		f.out = append(f.out, *tf)
		if ctx.Err() != nil {
			return stopCancelled, true
		}
		return f.unreadPoll(false)
	}
	checked, err := r.checker.CheckResponse(ctx, documentRequest(req, f.poll.Path), ex.resp)
	if err != nil {
		f.out = append(f.out, contract.NewFinding("poll."+contract.CheckStatus, contract.KindUndocumentedStatus, "", "", "", err.Error()))
		return stopAborted, true
	}
	step := append(checked.Findings, r.expectation(f.poll, ex.resp, checked)...)
	for i := range step {
		step[i].Check = "poll." + step[i].Check
	}
	f.out = append(f.out, step...)
	r.observe(ex.resp.Status, checked.Shape)
	if ex.resp.Status == http.StatusTooManyRequests || ex.resp.Status == http.StatusServiceUnavailable {
		return 0, false // told to slow down: the backoff does
	}
	if ex.resp.Status != http.StatusOK || checked.Task == nil || checked.Task.State == "" {
		if ex.resp.Status == http.StatusOK && checked.Schema != "" {
			f.unreadSchema = checked.Schema
		}
		return f.unreadPoll(ex.resp.Status == http.StatusOK)
	}
	f.unread, f.answered = 0, 0
	f.final = checked
	return f.moved(checked)
}

// unreadPoll counts a poll that left the state unread (answered: with a 200) and stops following at
// MaxUnreadablePolls in a row.
func (f *follower) unreadPoll(answered bool) (stopReason, bool) {
	if answered {
		f.answered++
	}
	if f.unread++; f.unread >= MaxUnreadablePolls {
		return stopUnreadable, true
	}
	return 0, false
}

// moved judges the task a poll read: its id, and the move from the last state, if any.
func (f *follower) moved(checked contract.Result) (stopReason, bool) {
	life, got := f.r.life, checked.Task
	idPtr, statePtr := contract.TaskPointers(checked.Schema)
	if got.ID != f.task.ID {
		f.out = append(f.out, contract.NewFinding(contract.CheckIDs, contract.KindIDMismatch, idPtr, f.task.ID, got.ID,
			"GET answered with another task than the one created"))
	}
	if got.State == f.last {
		return 0, false
	}
	f.res.States = append(f.res.States, got.State)
	if life.illegal(f.last, got.State) {
		f.out = append(f.out, contract.NewFinding(CheckLifecycle, contract.KindIllegalTransition, statePtr,
			life.moves(f.last), string(f.last)+" → "+string(got.State),
			"the document does not allow this transition; the task is no longer followed"))
		f.last = got.State
		return stopIllegal, true
	}
	if life.known(got.State) || !life.known(f.last) {
		f.last = got.State
	}
	return 0, false
}

// unreadable is the finding of a task given up after MaxUnreadablePolls polls in a row without its state:
// breaking when the API answered some of them 200 without a state to read, transport when they all failed.
func unreadable(answered int, pointer string, life lifecycle) contract.Finding {
	if answered > 0 {
		return contract.NewFinding(CheckLifecycle, contract.KindStateUnreadable, pointer, "one of "+joinStates(life.states),
			fmt.Sprintf("no state on %d polls in a row", MaxUnreadablePolls),
			fmt.Sprintf("the task's state could not be read on %d polls in a row; the task is no longer followed", MaxUnreadablePolls))
	}
	return contract.NewFinding("poll."+CheckTransport, contract.KindPollFailed, "", "a 200 answer to GET of the task",
		fmt.Sprintf("%d polls in a row failed", MaxUnreadablePolls),
		fmt.Sprintf("the task could not be polled %d times in a row; it is no longer followed", MaxUnreadablePolls))
}

// callbackTrail is what the follow loop has read of a case's callbacks so far.
type callbackTrail struct {
	seen int                // callbacks read
	last lumamock.TaskState // the last documented state they reported
}

// watchCallbacks reads the callbacks of case name that arrived since the trail was last updated, and reports
// whether they show a move the document forbids (a state after a terminal one included). It returns the channel
// that signals the next arrival.
func (r *runner) watchCallbacks(name string, t *callbackTrail) (next <-chan struct{}, broken bool) {
	got := r.hooks.received(name)
	for _, cb := range got[t.seen:] {
		task := r.checker.CheckCallback(cb.header, cb.body).Task
		if task == nil || !r.life.known(task.State) {
			continue
		}
		broken = broken || r.life.illegal(t.last, task.State)
		t.last = task.State
	}
	t.seen = len(got)
	return r.hooks.arrived(name, t.seen), broken
}

func joinStates(states []lumamock.TaskState) string {
	parts := make([]string, len(states))
	for i, s := range states {
		parts[i] = string(s)
	}
	return strings.Join(parts, ", ")
}

// callbacks checks the deliveries to the case's notify_hook: each body valid, legal order, and agreement with
// what GET showed. When following ended early (why), the callbacks already received are judged without
// waiting for more, and none is reported missing.
func (r *runner) callbacks(ctx context.Context, c Case, taskID string, final lumamock.TaskState, why stopReason, res *CaseResult) []contract.Finding {
	var out []contract.Finding
	life := r.life
	got := r.hooks.wait(ctx, c.Name, r.cfg.HookWait, func(cbs []callback) bool {
		if why.early() {
			return true
		}
		var last lumamock.TaskState
		for _, cb := range cbs {
			t := r.checker.CheckCallback(cb.header, cb.body).Task
			if t == nil || !life.known(t.State) {
				continue
			}
			if life.isTerminal(t.State) || life.illegal(last, t.State) {
				return true // the end, or proof the lifecycle is broken
			}
			last = t.State
		}
		return false
	})
	res.Callbacks = len(got)
	early := why.early() || ctx.Err() != nil
	if len(got) == 0 {
		if early {
			return nil
		}
		return []contract.Finding{contract.NewFinding(CheckCallbacks, contract.KindCallbackMissing, "", "a POST to notify_hook", "none within "+r.cfg.HookWait.String(),
			"no callback arrived")}
	}
	var (
		lastCB, prev lumamock.TaskState // the last state reported, and the last documented one
		broken       bool
	)
	for _, cb := range got {
		checked := r.checker.CheckCallback(cb.header, cb.body)
		for _, f := range checked.Findings {
			f.Check = CheckCallbacks + "." + f.Check
			out = append(out, f)
		}
		r.observe(http.StatusOK, checked.Shape)
		if checked.Task == nil {
			continue
		}
		idPtr, statePtr := contract.TaskPointers(checked.Schema)
		if checked.Task.ID != taskID {
			out = append(out, contract.NewFinding(CheckCallbacks, contract.KindIDMismatch, idPtr, taskID, checked.Task.ID,
				"a callback names another task than the one created"))
		}
		state := checked.Task.State
		lastCB = state
		if !life.known(state) {
			continue
		}
		if life.illegal(prev, state) {
			broken = true
			msg := "callbacks arrived in an order the lifecycle does not allow"
			if life.isTerminal(prev) {
				msg = "a callback reported another state after the terminal state " + string(prev)
			}
			out = append(out, contract.NewFinding(CheckCallbacks, contract.KindCallbackOrder, statePtr,
				"callbacks in lifecycle order", string(prev)+" → "+string(state), msg))
		}
		prev = state
	}
	switch {
	case early || broken:
		// Following ended before the task's end, or the callbacks broke the lifecycle: what the last one
		// says proves nothing more.
	case !life.isTerminal(lastCB):
		out = append(out, contract.NewFinding(CheckCallbacks, contract.KindCallbackMissing, "", "a callback for the terminal state "+string(final),
			fmt.Sprintf("%d callbacks, last %s", len(got), quoteState(lastCB, "unreadable")), "no callback reported the task's end"))
	case life.isTerminal(final) && lastCB != final:
		out = append(out, contract.NewFinding(CheckCallbacks, contract.KindCallbackDisagrees, "", string(final)+" (as GET says)", string(lastCB),
			"the last callback and GET disagree on how the task ended"))
	}
	return out
}

// quoteState quotes a state read from a body, or says empty when none was read.
func quoteState(s lumamock.TaskState, empty string) string {
	if s == "" {
		return empty
	}
	return strconv.Quote(string(s))
}

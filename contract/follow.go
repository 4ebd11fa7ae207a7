package contract

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/lumamock/lumamock"
)

// maxPollFailures is how many polls in a row may fail before a task is given up.
const maxPollFailures = 3

// follow polls the task a billable case created until it reaches a terminal state or the deadline: every answer
// is checked, every transition must be legal, ids must correlate, and a finished task must carry its assets.
// With a hook listener it then checks the callbacks.
func (r *runner) follow(ctx context.Context, c Case, created Result, res *CaseResult) []Finding {
	var out []Finding
	task := created.Task
	statePtr := statePointer(created.Schema)
	if task.State != lumamock.StatePending {
		out = append(out, newFinding(CheckLifecycle, KindInitialState, statePtr, string(lumamock.StatePending),
			quoteOr(string(task.State), "none"), "a new task is documented to start pending"))
	}
	res.States = []lumamock.TaskState{task.State}
	if task.ID == "" {
		return append(out, newFinding(CheckIDs, KindMissingRequired, idPointer(created.Schema), "a task id", "none",
			"the created task has no id, so it cannot be followed"))
	}
	poll := Case{Name: c.Name, Description: "GET of the task just created", Operation: lumamock.OpGet, Method: http.MethodGet,
		Path:   strings.Replace(lumamock.PathGeneration, "{task_id}", url.PathEscape(task.ID), 1),
		Header: http.Header{"Accept": {"application/json"}}, Auth: AuthKey, Expect: []int{http.StatusOK}}
	deadline := time.Now().Add(r.cfg.PollDeadline)
	interval, maxInterval := r.cfg.PollInterval, 10*r.cfg.PollInterval
	last, final := task.State, created // a task created in a terminal state is checked as it is
	failures := 0
	timer := time.NewTimer(interval)
	defer timer.Stop()
	for !last.Terminal() {
		select {
		case <-ctx.Done():
			return out
		case <-timer.C:
		}
		if time.Now().After(deadline) {
			out = append(out, newFinding(CheckLifecycle, KindPollDeadline, statePtr, "a terminal state within "+r.cfg.PollDeadline.String(),
				string(last), "the task did not finish before the poll deadline"))
			break
		}
		interval = min(interval*3/2, maxInterval)
		timer.Reset(interval)
		req, err := poll.NewRequest(ctx, r.cfg.BaseURL, r.cfg.APIKey)
		if err != nil {
			return append(out, newFinding("poll."+CheckTransport, KindUnreachable, "", "", "", r.redact(err.Error())))
		}
		ex, tf := r.send(req)
		if tf != nil {
			tf.Check = "poll." + tf.Check
			out = append(out, *tf)
			if failures++; failures >= maxPollFailures {
				break
			}
			continue
		}
		checked, err := r.checker.CheckResponse(ctx, documentRequest(req, poll.Path), ex.resp)
		if err != nil {
			return append(out, newFinding("poll."+CheckStatus, KindUndocumentedStatus, "", "", "", err.Error()))
		}
		step := append(checked.Findings, r.expectation(poll, ex.resp, checked)...)
		for i := range step {
			step[i].Check = "poll." + step[i].Check
		}
		out = append(out, step...)
		r.observe(ex.resp.Status, checked.Shape)
		if ex.resp.Status == http.StatusTooManyRequests || ex.resp.Status == http.StatusServiceUnavailable {
			continue // told to slow down: the backoff does
		}
		if ex.resp.Status != http.StatusOK || checked.Task == nil {
			if failures++; failures >= maxPollFailures {
				break
			}
			continue
		}
		failures = 0
		got := checked.Task
		if got.ID != task.ID {
			out = append(out, newFinding(CheckIDs, KindIDMismatch, idPointer(checked.Schema), task.ID, got.ID,
				"GET answered with another task than the one created"))
		}
		if got.State != last {
			res.States = append(res.States, got.State)
			if known(last) && known(got.State) && !last.CanBecome(got.State) {
				out = append(out, newFinding(CheckLifecycle, KindIllegalTransition, statePointer(checked.Schema),
					"a state "+string(last)+" can become", string(last)+" → "+string(got.State),
					"the document does not allow this transition"))
			}
			if known(got.State) || !known(last) {
				last = got.State
			}
		}
		final = checked
	}
	if final.Task != nil && last.Terminal() {
		r.fixture(c.Name+".terminal", Response{Status: http.StatusOK}, final, &out)
		out = append(out, r.assets(final)...)
	}
	if r.hooks != nil {
		out = append(out, r.callbacks(ctx, c, task.ID, last, res)...)
	}
	return out
}

// assets checks that a finished task carries what the document says it does.
func (r *runner) assets(final Result) []Finding {
	var out []Finding
	task := final.Task
	prefix := containerPointer(final.Schema)
	switch task.State {
	case lumamock.StateCompleted:
		for _, name := range r.checker.assets[final.Schema] {
			if !task.Assets[name] {
				out = append(out, newFinding(CheckAssets, KindMissingAsset, prefix+"/"+escape(name), "an object (url, width, height)",
					"null or absent", "a completed task lacks its "+name))
			}
		}
	case lumamock.StateFailed:
		if !task.FailureReason {
			out = append(out, newFinding(CheckAssets, KindMissingAsset, prefix+"/"+failureReasonField, "a reason",
				"null or absent", "a failed task does not say why"))
		}
	}
	return out
}

// callbacks checks the deliveries to the case's notify_hook: each body valid, legal order, and agreement with
// what GET showed.
func (r *runner) callbacks(ctx context.Context, c Case, taskID string, final lumamock.TaskState, res *CaseResult) []Finding {
	var out []Finding
	got := r.hooks.wait(ctx, c.Name, r.cfg.HookWait, func(cbs []callback) bool {
		for _, cb := range cbs {
			if t := r.checker.CheckCallback(cb.header, cb.body).Task; t != nil && t.State.Terminal() {
				return true
			}
		}
		return false
	})
	res.Callbacks = len(got)
	if len(got) == 0 {
		return []Finding{newFinding(CheckCallbacks, KindCallbackMissing, "", "a POST to notify_hook", "none within "+r.cfg.HookWait.String(),
			"no callback arrived")}
	}
	var states []lumamock.TaskState
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
		if checked.Task.ID != taskID {
			out = append(out, newFinding(CheckCallbacks, KindIDMismatch, idPointer(checked.Schema), taskID, checked.Task.ID,
				"a callback names another task than the one created"))
		}
		if n := len(states); n > 0 && states[n-1] != checked.Task.State && known(states[n-1]) && known(checked.Task.State) &&
			!states[n-1].CanBecome(checked.Task.State) {
			out = append(out, newFinding(CheckCallbacks, KindCallbackOrder, statePointer(checked.Schema),
				"callbacks in lifecycle order", string(states[n-1])+" → "+string(checked.Task.State),
				"callbacks arrived in an order the lifecycle does not allow"))
		}
		states = append(states, checked.Task.State)
	}
	lastCB := lumamock.TaskState("")
	if len(states) > 0 {
		lastCB = states[len(states)-1]
	}
	switch {
	case !lastCB.Terminal():
		out = append(out, newFinding(CheckCallbacks, KindCallbackMissing, "", "a callback for the terminal state "+string(final),
			fmt.Sprintf("%d callbacks, last %s", len(got), quoteOr(string(lastCB), "unreadable")), "no callback reported the task's end"))
	case final.Terminal() && lastCB != final:
		out = append(out, newFinding(CheckCallbacks, KindCallbackDisagrees, "", string(final)+" (as GET says)", string(lastCB),
			"the last callback and GET disagree on how the task ended"))
	}
	return out
}

func known(s lumamock.TaskState) bool {
	switch s {
	case lumamock.StatePending, lumamock.StateProcessing, lumamock.StateCompleted, lumamock.StateFailed:
		return true
	}
	return false
}

func containerPointer(schema string) string {
	if l, ok := taskLayouts[schema]; ok && l.container != "" {
		return "/" + escape(l.container)
	}
	return ""
}

func statePointer(schema string) string {
	if l, ok := taskLayouts[schema]; ok {
		return containerPointer(schema) + "/" + escape(l.state)
	}
	return ""
}

func idPointer(schema string) string {
	if l, ok := taskLayouts[schema]; ok {
		return containerPointer(schema) + "/" + escape(l.id)
	}
	return ""
}

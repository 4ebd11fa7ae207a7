package mock

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/internal/redact"
)

// createGeneration answers POST /luma/generations: a new task, pending, in the apiRequest's shape.
func (s *Server) createGeneration(w http.ResponseWriter, r *http.Request, ex *apiRequest) {
	str := func(name string) string { v, _ := ex.body[name].(string); return v }
	hook := str(lumamock.FieldNotifyHook)
	if hook != "" {
		if err := s.allow.checkHook(hook); err != nil {
			msg := "notify_hook " + err.Error()
			s.writeError(w, ex, newAPIError(http.StatusBadRequest, "/notify_hook: "+msg,
				lumamock.Violation{In: lumamock.InBody, Field: "/notify_hook", Rule: hookRule(err), Message: msg}))
			return
		}
	}
	id, seed := s.fake.task()
	t := &task{
		id:         id,
		seed:       seed,
		shape:      ex.shape,
		prompt:     str(lumamock.FieldUserPrompt),
		resolution: str(lumamock.FieldResolution),
		notifyHook: hook,
		secrets:    secretsIn(append(s.secretsOf(r), redact.URLSecrets(hook)...), str(lumamock.FieldUserPrompt), hook),
		requestID:  ex.requestID,
		faults:     s.opts.Faults.override(ex.prefs),
		created:    s.clock.Now().UTC(),
		pending:    s.opts.Pending,
		processing: s.opts.Processing,
		outcome:    s.opts.Outcome,
	}
	if p := ex.prefs.Pending; p != nil {
		t.pending = *p
	}
	if p := ex.prefs.Processing; p != nil {
		t.processing = *p
	}
	if ex.prefs.Outcome != "" {
		t.outcome = ex.prefs.Outcome
	}
	if hook != "" {
		t.receiver = s.allow.receiverOf(r.Context(), hook)
	}
	evicted := s.tasks.add(t)
	ex.note.taskID = t.id
	// Callbacks due at once are queued before the answer leaves, so a test that moves a virtual clock right
	// after the answer finds them; they may reach the hook before the client reads the answer, as with a
	// fast real API.
	s.callbacks.poke(t)
	s.callbacks.drop(evicted, OutcomeAbandoned, reasonEvicted)
	writeJSON(w, http.StatusOK, t.render(ex.shape, t.timeline()[0], t.created, ex.requestID))
}

// getGeneration answers GET /luma/generations/{task_id}: the task now, in the shape it was created with unless
// the request prefers another.
func (s *Server) getGeneration(w http.ResponseWriter, r *http.Request, ex *apiRequest) {
	id := ex.params["task_id"]
	if unescaped, err := url.PathUnescape(id); err == nil {
		id = unescaped // the router matches the path as sent, percent-encoding included
	}
	ex.note.taskID = id
	t := s.tasks.get(id)
	if t == nil {
		s.writeError(w, ex, newAPIError(http.StatusNotFound, "task "+id+" not found",
			lumamock.Violation{In: lumamock.InPath, Field: "task_id", Rule: "exists", Message: "no task has this id"}))
		return
	}
	shape := t.shape
	if ex.prefs.Schema != "" {
		shape = ex.prefs.Schema
	}
	now := s.clock.Now()
	writeJSON(w, http.StatusOK, t.render(shape, t.at(now), now, ex.requestID))
}

// secretsIn keeps of secrets those that appear in one of texts: what a task must keep out of its records is
// only what its prompt or hook carries, and a task keeps nothing when they carry none (most tasks), so the
// tasks kept hold no extra memory for the garbage collector to scan.
func secretsIn(secrets []string, texts ...string) []string {
	var out []string
	for _, s := range secrets {
		for _, text := range texts {
			if s != "" && strings.Contains(text, s) {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

package mock

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/internal/redact"
)

// createGeneration answers POST /luma/generations: a new task, pending, in the apiRequest's shape.
func (s *Server) createGeneration(w http.ResponseWriter, r *http.Request, ex *apiRequest) {
	str := func(name string) string { v, _ := ex.body[name].(string); return v }
	hook := str(lumamock.FieldNotifyHook)
	var addr hookAddr
	if hook != "" {
		var err error
		if addr, err = s.allow.checkHook(hook); err != nil {
			msg := "notify_hook " + err.Error()
			s.writeError(w, ex, newAPIError(http.StatusBadRequest, "/notify_hook: "+msg,
				lumamock.Violation{In: lumamock.InBody, Field: "/notify_hook", Rule: hookRule(err), Message: msg}))
			return
		}
	}
	id, seed := s.fake.task()
	var secretsBuf [8]string // the candidates: taskSecrets keeps a list of its own
	t := &task{
		id:         id,
		seed:       seed,
		shape:      ex.shape,
		prompt:     str(lumamock.FieldUserPrompt),
		resolution: str(lumamock.FieldResolution),
		notifyHook: hook,
		secrets:    s.taskSecrets(append(redact.AppendRequestSecrets(secretsBuf[:0], r), redact.URLSecrets(hook)...)),
		requestID:  ex.requestID,
		faults:     ex.settings.Faults.override(ex.prefs),
		created:    ex.session.clock.Now().UTC(),
		pending:    ex.settings.Pending,
		processing: ex.settings.Processing,
		outcome:    ex.settings.Outcome,
		session:    ex.session,
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
		// Callbacks queue per receiver and session: one suite flooding a receiver cannot push out another
		// suite's callbacks to it.
		t.receiver = s.allow.receiverOf(r.Context(), addr) + " (session " + ex.session.name + ")"
		t.dispatch = &dispatch{}
	}
	t.big = newLargeText(t.prompt, append(slices.Clip(s.opts.APIKeys), t.secrets...))
	ex.session.coverage.Bind(&t.cov, t.id, bearerToken(r))
	key := bearerToken(r)
	s.joinQueue(t, key)
	for !t.session.tasks.add(t) {
		// The session was deleted or evicted since the request came: its name stands for a new one now.
		if t.slot != nil {
			t.slot.Remove(t.created) // the newest of its line, and seen by nobody: nothing else moves
		}
		t.session = s.session(t.session.name, true)
		ex.session = t.session
		s.joinQueue(t, key)
	}
	ex.note.taskID = t.id
	ex.note.cov, ex.note.shape, ex.note.state = &t.cov, ex.shape, lumamock.StatePending
	ex.note.submission = submission(r, ex.note.body)
	s.trimTasks(t.session)
	// Callbacks due at once are queued before the answer leaves, so a test that moves a virtual clock right
	// after the answer finds them; they may reach the hook before the client reads the answer, as with a
	// fast real API.
	s.callbacks.poke(t)
	s.letBodyGo(r, ex)
	writeJSON(w, http.StatusOK, t.answer(ex.shape, t.timeline().tr[0], t.created, ex.requestID))
}

// letBodyGo lets go of r's body before its answer is written, keeping only what the journal keeps of it: a
// client that reads its answer slowly, or not at all, then holds nothing of what it sent but the task it made.
func (s *Server) letBodyGo(r *http.Request, ex *apiRequest) {
	if body := ex.note.body; len(body) > s.opts.JournalBodyLimit {
		// Cut before any secret that crosses the limit: the record is redacted when read, and a piece of a
		// secret would no longer be recognised.
		ex.note.body, ex.note.cut = bytes.Clone(body[:cutBefore(body, s.opts.JournalBodyLimit, s.secretsOf(r))]), true
	}
	ex.body = nil        // the decoded body; what the task keeps of it (the prompt) stays with the task
	r.Body = http.NoBody // admission left the body it read there
}

// getGeneration answers GET /luma/generations/{task_id}: the task now, in the shape it was created with unless
// the request prefers another.
func (s *Server) getGeneration(w http.ResponseWriter, r *http.Request, ex *apiRequest) {
	id := ex.params["task_id"]
	if unescaped, err := url.PathUnescape(id); err == nil {
		id = unescaped // the router matches the path as sent, percent-encoding included
	}
	ex.note.taskID = id
	t := ex.session.tasks.get(id)
	if t == nil {
		s.writeError(w, ex, newAPIError(http.StatusNotFound, "task "+id+" not found",
			lumamock.Violation{In: lumamock.InPath, Field: "task_id", Rule: "exists", Message: "no task has this id"}))
		return
	}
	shape := t.shape
	if ex.prefs.Schema != "" {
		shape = ex.prefs.Schema
	}
	now := ex.session.clock.Now()
	cur := t.at(now)
	ex.note.cov, ex.note.shape, ex.note.state = &t.cov, shape, cur.State
	writeJSON(w, http.StatusOK, t.answer(shape, cur, now, ex.requestID))
}

// taskSecrets is what a task's records must not show besides the accepted API keys (which the journal adds
// itself): the credentials of its hook and those its submit request carried (its bearer token, credential
// headers and query parameters), whoever repeats them: the prompt, the hook, or a receiver answering a
// callback. A credential that is one of keys, or "<scheme> <token>" whose token is kept, needs no entry. With
// --api-key every request's token is a key, so most tasks keep nothing; without, a client sends the same token
// again and again, and its tasks share one list (s.lastSecrets) rather than each holding its own.
func (s *Server) taskSecrets(candidates []string) []string {
	keys := s.opts.APIKeys
	var buf [8]string
	out := buf[:0]
	for _, c := range candidates {
		if c != "" && !slices.Contains(keys, c) && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	n := 0
	for _, c := range out {
		if scheme, token, ok := strings.Cut(c, " "); ok && redact.IsAuthScheme(scheme) &&
			(slices.Contains(keys, token) || slices.Contains(out, token)) {
			continue
		}
		out[n] = c
		n++
	}
	out = out[:n]
	if n == 0 {
		return nil
	}
	if last := s.lastSecrets.Load(); last != nil && slices.Equal(*last, out) {
		return *last
	}
	kept := slices.Clone(out) // only a list not seen last leaves the stack
	s.lastSecrets.Store(&kept)
	return kept
}

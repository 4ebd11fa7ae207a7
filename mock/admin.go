package mock

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/internal/adminpage"
)

// AdminPrefix is where the admin API lives. It is not part of openapi.yaml and needs no API key.
const AdminPrefix = "/__mock"

// ErrUnknownTask is returned for a task id the mock does not know (never created, evicted or reset).
var ErrUnknownTask = errors.New("mock: unknown task")

// MaxJournalPage is the most records one read of GET /__mock/requests or GET /__mock/callbacks answers, and
// how many it answers when not given a limit. A client reads more by paging: since=<the last seq it read>.
const MaxJournalPage = 1000

// Requests returns the journal of API requests, oldest first.
func (s *Server) Requests() []RequestRecord { return s.journal.listRequests() }

// RequestsSince returns the API requests journaled with a Seq above since, oldest first: at most limit of
// them (the oldest), or all when limit is negative.
func (s *Server) RequestsSince(since int64, limit int) []RequestRecord {
	return s.journal.requestsSince(since, limit)
}

// Callbacks returns the journal of callback attempts, oldest first.
func (s *Server) Callbacks() []CallbackRecord { return redactedAll(s.journal.callbacks.List()) }

// CallbacksSince returns the callback attempts journaled with a Seq above since, for task taskID only unless
// it is empty, oldest first: at most limit of them (the oldest), or all when limit is negative.
func (s *Server) CallbacksSince(since int64, limit int, taskID string) []CallbackRecord {
	return s.journal.callbacksSince(since, limit, taskID)
}

// Tasks returns the tasks kept, oldest first.
func (s *Server) Tasks() []TaskRecord {
	now := s.clock.Now()
	tasks := s.tasks.list()
	out := make([]TaskRecord, len(tasks))
	for i, t := range tasks {
		out[i] = t.record(now, s.opts.APIKeys)
	}
	return out
}

// Task returns one task, or ErrUnknownTask.
func (s *Server) Task(id string) (TaskRecord, error) {
	t := s.tasks.get(id)
	if t == nil {
		return TaskRecord{}, fmt.Errorf("%w %q", ErrUnknownTask, id)
	}
	return t.record(s.clock.Now(), s.opts.APIKeys), nil
}

// Complete ends task id now as completed; its callbacks follow. It fails with ErrUnknownTask or ErrTaskEnded.
func (s *Server) Complete(id string) error { return s.end(id, lumamock.StateCompleted) }

// Fail ends task id now as failed; its callbacks follow. It fails with ErrUnknownTask or ErrTaskEnded.
func (s *Server) Fail(id string) error { return s.end(id, lumamock.StateFailed) }

func (s *Server) end(id string, state lumamock.TaskState) error {
	t := s.tasks.get(id)
	if t == nil {
		return fmt.Errorf("%w %q", ErrUnknownTask, id)
	}
	if err := t.force(state, s.clock.Now()); err != nil {
		return fmt.Errorf("mock: task %s: %w", id, err)
	}
	s.callbacks.poke(t)
	return nil
}

// Reset forgets every task and both journals, and gives up every callback not yet delivered, cutting those in
// flight; it never waits for a receiver. The callbacks it gives up are journaled (outcome cancelled) in the
// emptied journal.
func (s *Server) Reset() {
	tasks := s.tasks.reset()
	s.journal.reset()
	if n := s.callbacks.drop(tasks, OutcomeCancelled, reasonReset); n > 0 {
		s.log.Info("reset cancelled callbacks not yet delivered", "count", n)
	}
}

// WaitCallbacks waits until no callback is queued for delivery now or being delivered. Callbacks due later on
// the clock (a state change to come, a retry backoff, a late delivery) do not count: with a ManualClock, move
// the clock, then call WaitCallbacks to see their effect.
func (s *Server) WaitCallbacks(ctx context.Context) error { return s.callbacks.engine.WaitIdle(ctx) }

// Shutdown stops scheduling callbacks and delivers those already due until ctx ends; then it cuts deliveries
// in flight, logs each callback it gives up on, and stops its workers. It returns an error only when ctx
// ended with callbacks given up. Serve no more requests after it.
func (s *Server) Shutdown(ctx context.Context) error {
	return s.callbacks.shutdown(ctx, s.tasks.list())
}

// Close stops the server's background work at once, giving up (and logging) callbacks not yet delivered. The
// Server must not be used afterwards.
func (s *Server) Close() {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = s.Shutdown(ctx)
}

// adminRoutes mounts the admin API on m.
func (s *Server) adminRoutes(m *mux.Router) {
	// gorilla/mux would clean a path ("//", ".", "..", and %2F once decoded) and answer a 301 to the cleaned
	// one, with an empty body: POST /__mock/tasks/a%2F..%2F..%2Freset went on to /__mock/reset. A path is
	// matched as it came; one that names no endpoint gets the JSON 404 below.
	m.SkipClean(true)
	a := m.PathPrefix(AdminPrefix).Subrouter()
	gate := adminpage.NewGate() // the turns of this server's list reads
	a.Path("/requests").Methods(http.MethodGet).HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serveJournal(w, r, gate, s.journal.requestPage, func(e *requestEntry) any { return e.redacted() })
	})
	a.Path("/callbacks").Methods(http.MethodGet).HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serveJournal(w, r, gate, s.journal.callbackPage, func(e *callbackEntry) any { return e.redacted() })
	})
	a.Path("/tasks").Methods(http.MethodGet).HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serveTasks(w, r, gate)
	})
	a.Path("/tasks/{id}").Methods(http.MethodGet).HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec, err := s.Task(mux.Vars(r)["id"])
		if err != nil {
			adminError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, rec)
	})
	for action, end := range map[string]func(string) error{"complete": s.Complete, "fail": s.Fail} {
		a.Path("/tasks/{id}/" + action).Methods(http.MethodPost).HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id := mux.Vars(r)["id"]
			if err := end(id); err != nil {
				adminError(w, err)
				return
			}
			rec, err := s.Task(id)
			if err != nil {
				adminError(w, err)
				return
			}
			writeJSON(w, http.StatusOK, rec)
		})
	}
	a.Path("/openapi.yaml").Methods(http.MethodGet).HandlerFunc(s.document.serveYAML)
	a.Path("/openapi.json").Methods(http.MethodGet).HandlerFunc(s.document.serveJSON)
	a.Path("/reset").Methods(http.MethodPost).HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
	// gorilla/mux reports some method mismatches under a subrouter as not found; one handler decides both.
	miss := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		for _, method := range []string{http.MethodGet, http.MethodHead, http.MethodPost} {
			probe := r.Clone(r.Context())
			probe.Method = method
			if match := (mux.RouteMatch{}); m.Match(probe, &match) && match.MatchErr == nil {
				allow = append(allow, method)
			}
		}
		if len(allow) == 0 {
			writeJSON(w, http.StatusNotFound, adminErrorBody{Error: fmt.Sprintf("no admin endpoint at %s %s", r.Method, r.URL.Path)})
			return
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeJSON(w, http.StatusMethodNotAllowed, adminErrorBody{Error: fmt.Sprintf("%s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, strings.Join(allow, ", "))})
	})
	m.NotFoundHandler, m.MethodNotAllowedHandler = miss, miss
}

type adminErrorBody struct {
	Error string `json:"error"`
}

func adminError(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, ErrUnknownTask):
		status = http.StatusNotFound
	case errors.Is(err, ErrTaskEnded):
		status = http.StatusConflict
	}
	writeJSON(w, status, adminErrorBody{Error: err.Error()})
}

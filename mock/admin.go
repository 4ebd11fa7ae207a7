package mock

import (
	"context"
	"errors"
	"fmt"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/internal/adminapi"
)

// AdminPrefix is where the admin API lives. It is not part of openapi.yaml and needs no API key.
const AdminPrefix = "/__mock"

// ErrUnknownTask is returned for a task id the mock does not know (never created, evicted or reset).
var ErrUnknownTask = errors.New("mock: unknown task")

// MaxJournalPage is the most records one read of GET /__mock/requests or GET /__mock/callbacks answers, and
// how many it answers when not given a limit. A client reads more by paging: since=<the last seq it read>.
const MaxJournalPage = adminapi.MaxJournalPage

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
// flight; it never waits for a receiver. Each callback it gives up, those held back by the reorder fault or
// delayed by late included, is journaled once (outcome cancelled) in the emptied journal.
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

// scope is what the admin API acts on in the mock (adminapi.TaskScope).
type scope struct{ s *Server }

// Scope answers the mock's one scope for the session default.
func (s *Server) Scope(session string, create bool) adminapi.Scope {
	if session != adminapi.DefaultSession {
		return nil
	}
	return scope{s}
}

func (sc scope) Requests() adminapi.List {
	return adminapi.Journal(sc.s.journal.requests, func(e *requestEntry, f adminapi.Filter) bool {
		return f.Keeps(e.rec.TaskID, e.rec.Valid)
	}, func(e *requestEntry) any { return e.redacted() })
}

func (sc scope) Callbacks() adminapi.List {
	return adminapi.Journal(sc.s.journal.callbacks, func(e *callbackEntry, f adminapi.Filter) bool {
		return f.Keeps(e.rec.TaskID, e.rec.Outcome != OutcomeInvalid)
	}, func(e *callbackEntry) any { return e.redacted() })
}

func (sc scope) Reset() { sc.s.Reset() }

func (sc scope) Tasks() adminapi.List { return sc.s.taskList }

func (sc scope) Task(id string) (any, error) {
	rec, err := sc.s.Task(id)
	return rec, adminError(err)
}

func (sc scope) End(id string, state lumamock.TaskState) (any, error) {
	if err := sc.s.end(id, state); err != nil {
		return nil, adminError(err)
	}
	return sc.Task(id)
}

// adminError is err as the admin API answers it: 404 for an unknown task, 409 for one that has ended.
func adminError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrUnknownTask):
		return adminapi.NotFound(err.Error())
	case errors.Is(err, ErrTaskEnded):
		return adminapi.Conflict(err.Error())
	}
	return err
}

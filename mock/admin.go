package mock

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/internal/adminapi"
)

// AdminPrefix is where the admin API lives. It is not part of openapi.yaml and needs no API key.
const AdminPrefix = "/__mock"

// ErrUnknownTask is returned for a task id the mock does not know (never created, evicted or reset, or of
// another session).
var ErrUnknownTask = errors.New("mock: unknown task")

// MaxJournalPage is the most records one read of GET /__mock/requests or GET /__mock/callbacks answers, and
// how many it answers when not given a limit. A client reads more by paging: since=<the last seq it read>.
const MaxJournalPage = adminapi.MaxJournalPage

// The methods of Server below act on the session DefaultSession, which the requests that name no session are in,
// as the admin API's paths without /sessions/NAME do; Server.Session gives the others.

// Requests returns the journal of API requests of DefaultSession, oldest first.
func (s *Server) Requests() []RequestRecord { return s.Default().Requests() }

// RequestsSince returns the API requests of DefaultSession journaled with a Seq above since, oldest first: at
// most limit of them (the oldest), or all when limit is negative.
func (s *Server) RequestsSince(since int64, limit int) []RequestRecord {
	return s.Default().RequestsSince(since, limit)
}

// Callbacks returns the journal of callback attempts of DefaultSession, oldest first.
func (s *Server) Callbacks() []CallbackRecord { return s.Default().Callbacks() }

// CallbacksSince returns the callback attempts of DefaultSession journaled with a Seq above since, for task
// taskID only unless it is empty, oldest first: at most limit of them (the oldest), or all when limit is
// negative.
func (s *Server) CallbacksSince(since int64, limit int, taskID string) []CallbackRecord {
	return s.Default().CallbacksSince(since, limit, taskID)
}

// Tasks returns the tasks of DefaultSession, oldest first.
func (s *Server) Tasks() []TaskRecord { return s.Default().Tasks() }

// Task returns one task of DefaultSession, or ErrUnknownTask.
func (s *Server) Task(id string) (TaskRecord, error) { return s.Default().Task(id) }

// Complete ends task id of DefaultSession now as completed; its callbacks follow. It fails with ErrUnknownTask
// or ErrTaskEnded.
func (s *Server) Complete(id string) error { return s.Default().Complete(id) }

// Fail ends task id of DefaultSession now as failed; its callbacks follow. It fails with ErrUnknownTask or
// ErrTaskEnded.
func (s *Server) Fail(id string) error { return s.Default().Fail(id) }

// Reset forgets the tasks and journals of DefaultSession, and gives up its callbacks not yet delivered, cutting
// those in flight; it never waits for a receiver, and other sessions are not touched. The callbacks it gives up
// are journaled (outcome cancelled) in the emptied journal.
func (s *Server) Reset() { s.Default().Reset() }

// WaitCallbacks waits until no callback is queued for delivery now or being delivered. Callbacks due later on
// the clock (a state change to come, a retry backoff, a late delivery) do not count: with a ManualClock, move
// the clock, then call WaitCallbacks to see their effect.
func (s *Server) WaitCallbacks(ctx context.Context) error { return s.callbacks.engine.WaitIdle(ctx) }

// Shutdown stops scheduling callbacks and delivers those already due until ctx ends; then it cuts deliveries
// in flight, logs each callback it gives up on, and stops its workers. It returns an error only when ctx
// ended with callbacks given up. Serve no more requests after it.
func (s *Server) Shutdown(ctx context.Context) error {
	s.connFaults.Close() // stalled connections end now
	var tasks []*task
	for _, ss := range s.sessions.list() {
		tasks = append(tasks, ss.tasks.list()...)
	}
	err := s.callbacks.shutdown(ctx, tasks)
	s.unsettle() // the ManualClock may outlive the server
	return err
}

// Close stops the server's background work at once, giving up (and logging) callbacks not yet delivered. The
// Server must not be used afterwards.
func (s *Server) Close() {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = s.Shutdown(ctx)
}

// Scope returns what an admin request naming session acts on (adminapi.Scopes): the session; nil when there is
// no such session and create is not set. DefaultSession always exists. With create (PUT settings, POST clock), a
// session that does not exist yet is created only once the request's body is found valid: a refused request
// creates none, so it neither counts towards MaxSessions nor evicts another session.
func (s *Server) Scope(session string, create bool) adminapi.Scope {
	if ss := s.session(session, false); ss != nil {
		return scope{ss: ss}
	}
	if !create {
		return nil
	}
	return scope{srv: s, name: session}
}

// scope is a session as the admin API acts on it (adminapi.SessionScope): ss, or, while ss is nil, session name
// of srv, to be created by the first change that is valid.
type scope struct {
	ss   *Session
	srv  *Server
	name string
}

// session returns the scope's session, creating it if need be: call it only once the request is found valid.
func (sc *scope) session() *Session {
	if sc.ss == nil {
		sc.ss = sc.srv.session(sc.name, true)
	}
	return sc.ss
}

// server returns the scope's server, whether or not its session exists yet.
func (sc *scope) server() *Server {
	if sc.ss != nil {
		return sc.ss.srv
	}
	return sc.srv
}

func (sc scope) Requests() adminapi.List {
	return adminapi.Journal(sc.session().journal.requests, func(e *requestEntry, f adminapi.Filter) bool {
		return f.Keeps(e.rec.TaskID, e.rec.Valid)
	}, func(e *requestEntry) any { return e.redacted() })
}

func (sc scope) Callbacks() adminapi.List {
	return adminapi.Journal(sc.session().journal.callbacks, func(e *callbackEntry, f adminapi.Filter) bool {
		return f.Keeps(e.rec.TaskID, e.rec.Outcome != OutcomeInvalid)
	}, func(e *callbackEntry) any { return e.redacted() })
}

func (sc scope) Reset() { sc.session().Reset() }

func (sc scope) Tasks() adminapi.List { return sc.session().taskList }

func (sc scope) Task(id string) (any, error) {
	t := sc.session().tasks.get(id)
	if t == nil {
		return nil, adminError(fmt.Errorf("%w %q", ErrUnknownTask, id))
	}
	return t.shown(sc.session().clock.Now(), sc.session().srv.opts.APIKeys), nil
}

func (sc scope) End(id string, state lumamock.TaskState) (any, error) {
	if err := sc.session().end(id, state); err != nil {
		return nil, adminError(err)
	}
	return sc.Task(id)
}

func (sc scope) Settings() any { return sc.session().Settings() }

func (sc scope) PutSettings(body []byte) (any, error) {
	srv := sc.server()
	st, err := parseSettings(body, srv.defaults)
	if err == nil {
		err = srv.checkDocumented(st)
	}
	if err != nil {
		return nil, adminSettingError(err)
	}
	sc.session().storeSettings(&st)
	return st, nil
}

func (sc scope) Clock() any {
	return clockState{Now: sc.session().clock.Now().UTC(), Frozen: sc.session().clock.Frozen()}
}

func (sc scope) MoveClock(body []byte) (any, error) {
	m, err := parseClockMove(body)
	if err != nil {
		return nil, adminSettingError(err)
	}
	ss := sc.session()
	if m.Freeze != nil {
		if *m.Freeze {
			ss.Freeze()
		} else {
			ss.Resume()
		}
	}
	if m.advance != nil {
		ss.clock.Advance(*m.advance)
	}
	return clockState{Now: ss.clock.Now().UTC(), Frozen: ss.clock.Frozen()}, nil
}

// clockState is a session's clock as the admin API shows it.
type clockState struct {
	Now    time.Time `json:"now"`
	Frozen bool      `json:"frozen"`
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

// adminSessions is the mock's sessions as the admin API lists and removes them (adminapi.Sessions).
type adminSessions struct{ s *Server }

func (a adminSessions) List() any { return a.s.Sessions() }

func (a adminSessions) Get(name string) (any, bool) {
	ss := a.s.session(name, false)
	if ss == nil {
		return nil, false
	}
	return ss.Info(), true
}

func (a adminSessions) Delete(name string) bool { return a.s.DeleteSession(name) }

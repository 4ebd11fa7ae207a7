package mock

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/coverage"
	"github.com/lumamock/lumamock/internal/adminapi"
	"github.com/lumamock/lumamock/mock/internal/clock"
	"github.com/lumamock/lumamock/mock/internal/ratelimit"
)

// Naming a session.
const (
	// HeaderSession names the session a request joins: X-Lumamock-Session: NAME.
	HeaderSession = adminapi.HeaderSession
	// SessionPrefix, before an API path, names the session of the request too, for apps that can only be given
	// a base URL: POST /__session/NAME/luma/generations.
	SessionPrefix = adminapi.SessionPrefix
	// DefaultSession is the session of the requests that name none.
	DefaultSession = adminapi.DefaultSession
	// DefaultMaxSessions bounds the sessions kept when Options.MaxSessions is zero.
	DefaultMaxSessions = 1000
)

// CheckSessionName returns an error saying why name is not a session name: 1 to 64 characters of A-Z, a-z, 0-9,
// ".", "_" and "-", but not "." nor "..".
func CheckSessionName(name string) error { return adminapi.CheckName(name) }

// Session is an isolated mock inside a Server: its own tasks, request and callback journals, settings and
// clock. A request joins session NAME with the header X-Lumamock-Session: NAME or the path prefix
// /__session/NAME; one that names none is in DefaultSession. Sessions are created on first use, and the least
// recently used gives way to a new one past Options.MaxSessions; the tasks and journals of all sessions share the
// server's limits (MaxTasks, MaxTaskMemory, JournalMaxBytes), the least recently used session giving way first.
// Get one with Server.Session.
type Session struct {
	name     string
	srv      *Server
	tasks    *taskStore
	journal  *journal
	coverage *coverage.Recorder // what its clients were exposed to, and how they behaved
	settings atomic.Pointer[Settings]
	limiter  atomic.Pointer[ratelimit.Limiter] // Settings.RateLimit's, nil without one
	queues   atomic.Pointer[queues]            // Settings.Capacity's, nil without one
	clock    *clock.Virtual                    // the server's clock, moved or stopped by the session's own moves
	created  time.Time                         // real time
	lastUsed atomic.Int64
	gone     atomic.Bool // deleted or evicted: it keeps nothing more

	prev, next *Session // in the server's list, most recently used first (guarded by sessions.mu)
}

// Name returns the session's name.
func (ss *Session) Name() string { return ss.name }

// Settings returns what the session's new tasks get.
func (ss *Session) Settings() Settings { return *ss.settings.Load() }

// SetSettings replaces what the session's new tasks get. Invalid settings are a *SettingError, and change
// nothing.
func (ss *Session) SetSettings(st Settings) error {
	if err := st.validate(); err != nil {
		return err
	}
	if err := ss.srv.checkDocumented(st); err != nil {
		return err
	}
	st.APIFaults = slices.Clone(st.APIFaults)
	ss.storeSettings(&st)
	return nil
}

// checkDocumented checks what of st the document decides: the statuses of APIFaults.
func (s *Server) checkDocumented(st Settings) error {
	if f, bad := undocumentedFault(st.APIFaults, s.doc); bad {
		return &SettingError{"fault_api", "fault", fmt.Sprintf("%s: no operation of the document answers %d", f, f.status())}
	}
	return nil
}

// storeSettings makes st the session's settings, with the rate limiter and the queues they ask for: a new
// limiter (with full buckets) when the rate changes, new queues when the capacity does (the tasks queued before
// keep their places; the new capacity applies to the tasks submitted after it).
func (ss *Session) storeSettings(st *Settings) {
	old := ss.settings.Swap(st)
	if old == nil || old.RateLimit != st.RateLimit {
		l, _ := newLimiter(st.RateLimit) // validated with the settings
		ss.limiter.Store(l)
	}
	if old == nil || old.Capacity != st.Capacity {
		ss.queues.Store(newQueues(st.Capacity))
	}
}

// Now returns the session's time.
func (ss *Session) Now() time.Time { return ss.clock.Now() }

// MaxAdvance bounds one move of a session's clock.
const MaxAdvance = 24 * time.Hour

// Advance moves the session's time forward by d (0 to MaxAdvance): its tasks change state, and what falls due on
// the way (state changes, callbacks, retries, late deliveries) runs in order, each with the clock reading its due
// time, before Advance returns. Each callback is attempted, and its retry scheduled, at its due time, before the
// clock moves past it: Advance waits for the session's callbacks due on the way (each attempt is bounded by
// Options.CallbackTimeout), not for other sessions'.
// Other sessions keep their time. It is a *SettingError for a d out of range, and moves nothing then.
func (ss *Session) Advance(d time.Duration) error {
	if err := checkAdvance(d); err != nil {
		return err
	}
	ss.clock.Advance(d)
	return nil
}

// checkAdvance says why d cannot move a session's clock.
func checkAdvance(d time.Duration) error {
	switch {
	case d < 0:
		return &SettingError{"advance", "forward", fmt.Sprintf("%s moves the clock backwards; a session's time only moves forward", d)}
	case d > MaxAdvance:
		return &SettingError{"advance", "range", fmt.Sprintf("%s is more than %s in one move", d, MaxAdvance)}
	}
	return nil
}

// Freeze stops the session's time: its tasks stand still, and nothing falls due, until Resume or Advance.
func (ss *Session) Freeze() { ss.clock.Freeze() }

// Resume lets a frozen session's time run again, from where it stood.
func (ss *Session) Resume() { ss.clock.Resume() }

// Frozen reports whether the session's time stands still.
func (ss *Session) Frozen() bool { return ss.clock.Frozen() }

// SessionInfo describes a session, as GET /__mock/sessions lists it.
type SessionInfo struct {
	Name string `json:"name"`
	// Tasks is how many tasks it keeps.
	Tasks int `json:"tasks"`
	// CreatedAt and LastUsed are when it was created and last used (an API or admin request), in real time.
	CreatedAt time.Time `json:"created_at"`
	LastUsed  time.Time `json:"last_used"`
	// Now is its time; Frozen reports that its time is stopped.
	Now    time.Time `json:"now"`
	Frozen bool      `json:"frozen"`
}

// Info describes the session.
func (ss *Session) Info() SessionInfo {
	return SessionInfo{Name: ss.name, Tasks: ss.tasks.len(), CreatedAt: ss.created.UTC(), LastUsed: time.Unix(0, ss.lastUsed.Load()).UTC(),
		Now: ss.clock.Now().UTC(), Frozen: ss.clock.Frozen()}
}

// sessions holds a server's sessions, most recently used first.
type sessions struct {
	mu     sync.Mutex
	byName map[string]*Session
	head   *Session // most recently used
	tail   *Session // least recently used
	max    int
	create func(name string) *Session
}

// get returns session name, marking it used at the time given; when there is none and create is set it makes
// it, and returns too the session it evicted to make room (to close outside the lock).
func (g *sessions) get(name string, create bool, at time.Time) (s, evicted *Session) {
	now := at.UnixNano()
	g.mu.Lock()
	defer g.mu.Unlock()
	if s = g.byName[name]; s != nil {
		s.lastUsed.Store(now)
		if g.head != s {
			g.unlinkLocked(s)
			g.pushLocked(s)
		}
		return s, nil
	}
	if !create {
		return nil, nil
	}
	s = g.create(name)
	s.lastUsed.Store(now)
	g.byName[name] = s
	g.pushLocked(s)
	if len(g.byName) > g.max {
		evicted = g.tail
		g.removeLocked(evicted)
	}
	return s, evicted
}

func (g *sessions) pushLocked(s *Session) {
	s.prev, s.next = nil, g.head
	if g.head != nil {
		g.head.prev = s
	}
	g.head = s
	if g.tail == nil {
		g.tail = s
	}
}

func (g *sessions) unlinkLocked(s *Session) {
	if s.prev != nil {
		s.prev.next = s.next
	} else {
		g.head = s.next
	}
	if s.next != nil {
		s.next.prev = s.prev
	} else {
		g.tail = s.prev
	}
	s.prev, s.next = nil, nil
}

func (g *sessions) removeLocked(s *Session) {
	g.unlinkLocked(s)
	delete(g.byName, s.name)
}

// remove takes session name out, returning it (nil when there is none).
func (g *sessions) remove(name string) *Session {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.byName[name]
	if s != nil {
		g.removeLocked(s)
	}
	return s
}

// list returns the sessions, most recently used first.
func (g *sessions) list() []*Session {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]*Session, 0, len(g.byName))
	for s := g.head; s != nil; s = s.next {
		out = append(out, s)
	}
	return out
}

// leastUsed returns the least recently used session for which has reports true, or nil.
func (g *sessions) leastUsed(has func(*Session) bool) *Session {
	g.mu.Lock()
	defer g.mu.Unlock()
	for s := g.tail; s != nil; s = s.prev {
		if has(s) {
			return s
		}
	}
	return nil
}

// newSession makes session name, with the server's settings and clock.
func (s *Server) newSession(name string) *Session {
	ss := &Session{
		name:    name,
		srv:     s,
		tasks:   newTaskStore(s.taskBudget),
		journal: newJournal(s.opts.JournalSize, s.opts.JournalBodyLimit, s.requestBytes, s.callbackBytes, s.opts.APIKeys),
		clock:   clock.NewVirtual(s.clock),
		created: time.Now(),
	}
	ss.coverage = s.newCoverage(ss)
	// A move of the session's clock waits for the session's callbacks, as settleMoves says.
	ss.clock.OnSettle(func() { _ = s.callbacks.engine.WaitClock(context.Background(), ss.clock) })
	ss.journal.observe = func(rec *CallbackRecord) { s.coverCallback(ss, rec) }
	st := s.defaults
	ss.storeSettings(&st)
	return ss
}

// Session returns session name, creating it if need be (and evicting the least recently used one past
// Options.MaxSessions). It fails for a name CheckSessionName refuses.
func (s *Server) Session(name string) (*Session, error) {
	if err := CheckSessionName(name); err != nil {
		return nil, fmt.Errorf("mock: %w", err)
	}
	return s.session(name, true), nil
}

// session returns session name, creating it when create is set (default always is), or nil.
func (s *Server) session(name string, create bool) *Session {
	return s.sessionAt(name, create, time.Now())
}

// sessionAt is session for a request that came at: the time it was last used.
func (s *Server) sessionAt(name string, create bool, at time.Time) *Session {
	ss, evicted := s.sessions.get(name, create || name == DefaultSession, at)
	if evicted != nil {
		n := evicted.close(OutcomeCancelled, reasonSessionEvicted)
		s.log.Warn("session evicted to make room for a new one (--max-sessions)", "session", evicted.name, "new", name,
			"tasks", evicted.tasks.len(), "callbacks_cancelled", n)
	}
	return ss
}

// Default returns the session DefaultSession, which the requests that name none are in.
func (s *Server) Default() *Session { return s.session(DefaultSession, true) }

// Sessions describes the sessions, DefaultSession first, then the others most recently used first.
func (s *Server) Sessions() []SessionInfo {
	list := s.sessions.list()
	sort.SliceStable(list, func(i, j int) bool { return list[i].name == DefaultSession && list[j].name != DefaultSession })
	out := make([]SessionInfo, len(list))
	for i, ss := range list {
		out[i] = ss.Info()
	}
	return out
}

// DeleteSession removes session name: its tasks, journals, settings and clock; its callbacks not yet delivered
// are given up (journaled, outcome cancelled, in the journal that goes with it), cutting those in flight. It never
// waits for a receiver. Its coverage, when a client used it, stays in Coverages. It reports whether there was
// such a session.
func (s *Server) DeleteSession(name string) bool {
	ss := s.sessions.remove(name)
	if ss == nil {
		return false
	}
	if n := ss.close(OutcomeCancelled, reasonSessionDeleted); n > 0 {
		s.log.Info("session deleted, its callbacks not yet delivered cancelled", "session", name, "count", n)
	}
	return true
}

// Reasons a session's callbacks are given up, as journaled.
const (
	reasonSessionDeleted = "cancelled: session deleted"
	reasonSessionEvicted = "cancelled: session evicted to make room for a new one (--max-sessions)"
)

// close ends the session: its tasks are forgotten, their callbacks given up with outcome and reason, and its
// journals let go of their room. It returns how many callbacks it gave up.
func (ss *Session) close(outcome, reason string) int {
	ss.gone.Store(true)
	tasks := ss.tasks.close()
	n := ss.srv.callbacks.drop(tasks, outcome, reason)
	ss.journal.close()
	ss.srv.retireCoverage(ss)
	ss.coverage.Close()
	return n
}

// sessionOf reads the session r names: its X-Lumamock-Session header, or a /__session/NAME prefix, which it
// takes off r's path (and sets as the header, so that what follows reads one place). It returns DefaultSession
// when r names none, and an *adminapi.Error (400) for a bad name, a header sent twice with two names, or a header
// and a path that disagree. The prefix is read as sent: a name with any percent-encoding in it (%2F, %41) is
// a bad name, as on the admin paths /__mock/sessions/NAME/.
func sessionOf(r *http.Request) (string, error) {
	header, err := adminapi.SessionHeader(r.Header)
	if err != nil {
		return DefaultSession, err
	}
	if strings.HasPrefix(r.URL.Path, SessionPrefix) {
		name, rest, prefixed := adminapi.SplitPrefix(r.URL.EscapedPath())
		if !prefixed { // sent as /__session%2F...: no prefix, as /__mock%2F... is no admin path
			return headerSession(header)
		}
		if err := CheckSessionName(name); err != nil {
			return DefaultSession, adminapi.Invalid(lumamock.InPath, "/__session/{name}", "session", err.Error())
		}
		if header != "" && header != name {
			return DefaultSession, adminapi.Invalid(lumamock.InHeader, HeaderSession, "session",
				fmt.Sprintf("%q names another session than the path (%s%s)", header, SessionPrefix, name))
		}
		// The name is plain, so the rest of the path is what follows it, as sent and decoded.
		r.URL.Path = r.URL.Path[len(SessionPrefix)+len(name):]
		if r.URL.Path == "" {
			r.URL.Path = "/"
		}
		if r.URL.RawPath != "" {
			r.URL.RawPath = rest
		}
		r.Header.Set(HeaderSession, name)
		return name, nil
	}
	return headerSession(header)
}

// headerSession returns the session of a request whose X-Lumamock-Session header, if any, says name: name,
// DefaultSession for none, or a 400 naming the header for a bad name.
func headerSession(name string) (string, error) {
	if name == "" {
		return DefaultSession, nil
	}
	if err := CheckSessionName(name); err != nil {
		return DefaultSession, adminapi.Invalid(lumamock.InHeader, HeaderSession, "session", err.Error())
	}
	return name, nil
}

// Tasks returns the session's tasks, oldest first.
func (ss *Session) Tasks() []TaskRecord {
	now := ss.clock.Now()
	tasks := ss.tasks.list()
	out := make([]TaskRecord, len(tasks))
	for i, t := range tasks {
		out[i] = t.record(now, ss.srv.opts.APIKeys)
	}
	return out
}

// Task returns one task of the session, or ErrUnknownTask (a task is visible only in its own session).
func (ss *Session) Task(id string) (TaskRecord, error) {
	t := ss.tasks.get(id)
	if t == nil {
		return TaskRecord{}, fmt.Errorf("%w %q", ErrUnknownTask, id)
	}
	return t.record(ss.clock.Now(), ss.srv.opts.APIKeys), nil
}

// Requests returns the session's journal of API requests, oldest first.
func (ss *Session) Requests() []RequestRecord { return ss.journal.listRequests() }

// RequestsSince returns the session's API requests journaled with a Seq above since, oldest first: at most limit
// of them (the oldest), or all when limit is negative.
func (ss *Session) RequestsSince(since int64, limit int) []RequestRecord {
	return ss.journal.requestsSince(since, limit)
}

// Callbacks returns the journal of the session's callback attempts, oldest first.
func (ss *Session) Callbacks() []CallbackRecord { return redactedAll(ss.journal.callbacks.List()) }

// CallbacksSince returns the session's callback attempts journaled with a Seq above since, for task taskID only
// unless it is empty, oldest first: at most limit of them (the oldest), or all when limit is negative.
func (ss *Session) CallbacksSince(since int64, limit int, taskID string) []CallbackRecord {
	return ss.journal.callbacksSince(since, limit, taskID)
}

// Complete ends task id now as completed; its callbacks follow. It fails with ErrUnknownTask or ErrTaskEnded.
func (ss *Session) Complete(id string) error { return ss.end(id, lumamock.StateCompleted) }

// Fail ends task id now as failed; its callbacks follow. It fails with ErrUnknownTask or ErrTaskEnded.
func (ss *Session) Fail(id string) error { return ss.end(id, lumamock.StateFailed) }

func (ss *Session) end(id string, state lumamock.TaskState) error {
	t := ss.tasks.get(id)
	if t == nil {
		return fmt.Errorf("%w %q", ErrUnknownTask, id)
	}
	now := ss.clock.Now()
	if err := t.force(state, now); err != nil {
		return fmt.Errorf("mock: task %s: %w", id, err)
	}
	var moved []*task // with a capacity: the tasks whose start the freed slot brought forward
	if t.slot != nil {
		moved = t.slot.End(now)
	}
	ss.srv.callbacks.poke(t)
	for _, m := range moved {
		ss.srv.callbacks.poke(m)
	}
	return nil
}

// Reset forgets the session's tasks and journals, empties its queues, refills its rate limit's buckets, and gives up its callbacks not yet delivered, cutting those in
// flight; other sessions are not touched, and it never waits for a receiver. Each callback it gives up, those
// held back by the reorder fault or delayed by late included, is journaled once (outcome cancelled) in the
// emptied journal.
func (ss *Session) Reset() {
	tasks := ss.tasks.reset()
	ss.journal.reset()
	if l := ss.limiter.Load(); l != nil {
		l.Reset()
	}
	if q := ss.queues.Load(); q != nil {
		q.reset()
	}
	if n := ss.srv.callbacks.drop(tasks, OutcomeCancelled, reasonReset); n > 0 {
		ss.srv.log.Info("reset cancelled callbacks not yet delivered", "session", ss.name, "count", n)
	}
}

// WaitCallbacks waits until no callback of the session is queued for delivery now or being delivered (see
// Server.WaitCallbacks, which waits for every session's): another session's callbacks, however slow their
// receivers, never hold it.
func (ss *Session) WaitCallbacks(ctx context.Context) error {
	return ss.srv.callbacks.engine.WaitClock(ctx, ss.clock)
}

// Package adminapi is the admin API of lumamock's servers, one implementation for the mock, the proxy and
// serve --replay: admin.yaml describes it, admission judges every request against it, and each server provides
// what it exposes through a few small interfaces (Scope and its extensions, Sessions), so the three differ only
// in what they have.
//
// A request goes: /healthz and the dashboard's files first (no token); then the admin guard (Host, Origin,
// token); then admission against the operations of admin.yaml this server has (x-lumamock-servers), which
// answers 404, 405, 406, 415, 413 and 400 (a bad limit, a bad session name, a settings body with an unknown
// field) one way everywhere; then the session the request acts on (its X-Lumamock-Session header or
// /__mock/sessions/{name}/, which must agree); then the operation.
package adminapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/admission"
	"github.com/lumamock/lumamock/internal/adminguard"
	"github.com/lumamock/lumamock/internal/adminpage"
	"github.com/lumamock/lumamock/internal/httpjson"
	"github.com/lumamock/lumamock/internal/ring"
)

// Prefix is where the admin API lives.
const Prefix = "/__mock"

// Kinds of server: the values of admin.yaml's x-lumamock-servers.
const (
	Mock   = "mock"
	Proxy  = "proxy"
	Replay = "replay" // what lumamock serve --replay adds to the mock
)

// Config is what a server exposes through the admin API.
type Config struct {
	// Kind is Mock, Proxy or Replay: the operations of admin.yaml the server has.
	Kind string
	// Token, when set, is the bearer token every operation but /healthz and the dashboard's files asks for.
	Token string
	// Scopes finds what a request acts on. Required for Mock and Proxy.
	Scopes Scopes
	// Sessions lists and removes sessions; nil when the server has none.
	Sessions Sessions
	// Dashboard serves the dashboard's page and files (internal/ui); nil when the server has none.
	Dashboard http.Handler
	// APIYAML and APIJSON answer the API document in force; nil when the server does not serve it.
	APIYAML, APIJSON http.HandlerFunc
	// Decisions is the replay journal (Replay).
	Decisions List
	// Stall is how long a list read waits for its client to take more of its answer; nil means
	// adminpage.ReadStall.
	Stall func() time.Duration
}

// Scopes finds the Scope admin requests act on.
type Scopes interface {
	// Scope returns what a request naming session acts on (DefaultSession when it names none), or nil when
	// there is no such session. create is true for the operations that create a session (PUT settings, POST
	// clock): the session comes to exist only once the operation finds the request valid, a refused one creating
	// none. A server without sessions answers its one scope whatever the name.
	Scope(session string, create bool) Scope
}

// Scope is what every server's admin API acts on: two journals and a reset.
type Scope interface {
	Requests() List
	Callbacks() List
	// Reset forgets the scope's records (and, for a mock session, its tasks and callbacks); it never waits
	// for a receiver.
	Reset()
}

// TaskScope is a Scope that keeps tasks (a mock session).
type TaskScope interface {
	Scope
	Tasks() List
	// Task returns the record of task id, or an *Error (404).
	Task(id string) (any, error)
	// End ends task id now in state, and returns its record; or an *Error (404, 409).
	End(id string, state lumamock.TaskState) (any, error)
}

// SessionScope is a TaskScope with settings and a clock (a mock session).
type SessionScope interface {
	TaskScope
	Settings() any
	// PutSettings replaces the settings with those body holds and returns them; invalid settings are an *Error
	// (400) naming the field, and change nothing.
	PutSettings(body []byte) (any, error)
	Clock() any
	// MoveClock applies the move body holds and returns the clock; an invalid one is an *Error (400) naming the
	// field, and changes nothing.
	MoveClock(body []byte) (any, error)
}

// CoverageScope is a Scope that tells what its clients were exposed to and how they behaved (a mock session).
type CoverageScope interface {
	Scope
	// Coverage returns the coverage report without the items and finding kinds ignore names; a name that
	// matches nothing is an *Error (400) naming it.
	Coverage(ignore []string) (any, error)
	// ResetCoverage forgets what was covered and found.
	ResetCoverage()
}

// Sessions lists and removes a server's sessions.
type Sessions interface {
	// List returns the sessions, DefaultSession first.
	List() any
	// Get returns one session's description, or false when there is none.
	Get(name string) (any, bool)
	// Delete removes a session, reporting whether there was one; it never waits for a receiver.
	Delete(name string) bool
}

// List is a list read: from a request's query it makes the read that answers it, or a 400 *Error (a filter
// given twice, a bad value).
type List func(q url.Values) (Read, error)

// Read reads the records a list read answers, setting the headers that describe them on h. It runs in the
// read's turn (at most adminpage.ReadSlots at once).
type Read func(h http.Header) adminpage.Items

// Filter is what a journal read keeps: the records of one task (TaskID, "" for all) and, when Valid is set,
// those whose verdict it names.
type Filter struct {
	TaskID string
	Valid  *bool
}

// Keeps reports whether a record of task taskID, whose verdict is valid, passes f.
func (f Filter) Keeps(taskID string, valid bool) bool {
	return (f.TaskID == "" || taskID == f.TaskID) && (f.Valid == nil || valid == *f.Valid)
}

// MaxJournalPage is the most records one journal read answers, and how many when it gives no limit.
const MaxJournalPage = 1000

// Journal is the list read of journal r: the page the query's since, before and limit select, of the records
// keep accepts under the query's filter (task_id, valid), each written as render makes it, with the journal's
// bounds in the adminpage headers.
func Journal[T any](r *ring.Ring[T], keep func(*T, Filter) bool, render func(*T) any) List {
	return func(q url.Values) (Read, error) {
		p, err := adminpage.Parse(q, MaxJournalPage, MaxJournalPage)
		if err != nil {
			return nil, BadRequest(err.Error())
		}
		var f Filter
		if f.TaskID, err = adminpage.One(q, "task_id"); err == nil {
			f.Valid, err = adminpage.Bool(q, "valid")
		}
		if err != nil {
			return nil, BadRequest(err.Error())
		}
		var filter func(*T) bool
		if f.TaskID != "" || f.Valid != nil {
			filter = func(v *T) bool { return keep(v, f) }
		}
		return func(h http.Header) adminpage.Items {
			return adminpage.Slice[T]{Items: adminpage.Read(r, p, filter, h), RenderItem: render}
		}, nil
	}
}

// Error is an admin error answer: {"error": Message, "violations": Violations}, with Status and Header.
type Error struct {
	Status     int
	Message    string
	Violations []lumamock.Violation
	Header     http.Header
}

func (e *Error) Error() string { return e.Message }

// BadRequest is a 400 saying msg.
func BadRequest(msg string, violations ...lumamock.Violation) *Error {
	return &Error{Status: http.StatusBadRequest, Message: msg, Violations: violations}
}

// NotFound is a 404 saying msg.
func NotFound(msg string) *Error { return &Error{Status: http.StatusNotFound, Message: msg} }

// Conflict is a 409 saying msg.
func Conflict(msg string) *Error { return &Error{Status: http.StatusConflict, Message: msg} }

// Invalid is a 400 for one value, naming where it is (in: body, header, path or query) and the field: the
// message reads "<where> <field>: <reason>".
func Invalid(in, field, rule, reason string) *Error {
	return BadRequest(Where(in, field)+": "+reason, lumamock.Violation{In: in, Field: field, Rule: rule, Message: reason})
}

// Where names a value in a message: "query parameter limit", "header X-Lumamock-Session", "body field /pending".
func Where(in, field string) string {
	switch in {
	case lumamock.InQuery:
		return "query parameter " + field
	case lumamock.InPath:
		return "path parameter " + field
	case lumamock.InHeader:
		return "header " + field
	}
	if field == "" {
		return "body"
	}
	return "body field " + field
}

type errorBody struct {
	Error      string               `json:"error"`
	Violations []lumamock.Violation `json:"violations,omitempty"`
}

// WriteError answers err: an *Error as it says, anything else as a 500.
func WriteError(w http.ResponseWriter, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Status: http.StatusInternalServerError, Message: err.Error()}
	}
	h := w.Header()
	for k, v := range e.Header {
		h[k] = v
	}
	httpjson.Write(w, e.Status, errorBody{Error: e.Message, Violations: e.Violations})
}

// Handler serves a server's admin API. Create it with New.
type Handler struct {
	cfg    Config
	judge  *admission.Validator
	guard  http.Handler // the guarded operations, behind adminguard
	page   http.Handler // the dashboard, behind adminguard's Host and Origin checks only
	gate   adminpage.Gate
	routes map[string]operation // by method and path template with any /sessions/{name} taken out
	doc    *served
}

// operation answers one operation for a request in scope.
type operation func(c *call)

// call is one admin request on its way to its operation.
type call struct {
	w       http.ResponseWriter
	r       *http.Request
	params  map[string]string
	body    []byte
	session string // DefaultSession when the request names none
	named   bool   // the path names the session (/__mock/sessions/{name}/...)
	create  bool
}

// New returns the admin API cfg describes.
func New(cfg Config) (*Handler, error) {
	judge, err := validator(cfg.Kind)
	if err != nil {
		return nil, err
	}
	doc, err := servedDocument()
	if err != nil {
		return nil, err
	}
	if cfg.Stall == nil {
		cfg.Stall = func() time.Duration { return adminpage.ReadStall }
	}
	h := &Handler{cfg: cfg, judge: judge, gate: adminpage.NewGate(), doc: doc}
	h.routes = h.operations()
	for path, item := range judge.Document().Paths.Map() {
		for method := range item.Operations() {
			if method == http.MethodGet && (path == "/healthz" || strings.HasPrefix(path, Prefix+"/ui")) {
				continue // answered before the guard
			}
			if h.routes[route(method, path)] == nil {
				return nil, fmt.Errorf("adminapi: %s %s (admin.yaml, %s) is not implemented", method, path, cfg.Kind)
			}
		}
	}
	h.guard = adminguard.Guard{Token: cfg.Token}.Wrap(http.HandlerFunc(h.serveGuarded))
	if cfg.Dashboard != nil {
		h.page = adminguard.Guard{}.Wrap(cfg.Dashboard)
	}
	return h, nil
}

// route is the key of an operation in Handler.routes: the method and the path template, with a session's
// /sessions/{name} taken out, so that /__mock/sessions/{name}/tasks and /__mock/tasks are one operation.
func route(method, path string) string {
	if rest, ok := strings.CutPrefix(path, Prefix+"/sessions/{name}/"); ok {
		path = Prefix + "/" + rest
	}
	return method + " " + path
}

// ServeHTTP answers /healthz, the dashboard, and the admin API under /__mock/.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/healthz" && (r.Method == http.MethodGet || r.Method == http.MethodHead) && h.has("/healthz"):
		// Liveness probes carry no token and may name any host.
		httpjson.Write(w, http.StatusOK, map[string]string{"status": "ok", "version": lumamock.Version})
	case h.page != nil && (r.URL.Path == Prefix+"/ui" || strings.HasPrefix(r.URL.Path, Prefix+"/ui/")):
		h.page.ServeHTTP(w, r)
	default:
		h.guard.ServeHTTP(w, r)
	}
}

// has reports whether the server has path in admin.yaml.
func (h *Handler) has(path string) bool { return h.judge.Document().Paths.Find(path) != nil }

// serveGuarded answers a request the guard let through.
func (h *Handler) serveGuarded(w http.ResponseWriter, r *http.Request) {
	d := h.judge.Admit(r)
	if !d.Admitted() {
		msg := d.Reason
		switch d.Status {
		case http.StatusNotFound:
			msg = fmt.Sprintf("no admin endpoint at %s %s; see GET %s/admin.yaml", r.Method, r.URL.Path, Prefix)
		case http.StatusBadRequest:
			if len(d.Violations) > 0 {
				v := d.Violations[0]
				msg = Where(v.In, v.Field) + ": " + v.Message
				if len(d.Violations) > 1 {
					msg += fmt.Sprintf(" (and %d more)", len(d.Violations)-1)
				}
			}
		}
		WriteError(w, &Error{Status: d.Status, Message: msg, Violations: d.Violations, Header: d.Header})
		return
	}
	c := &call{w: w, r: r, params: d.Params, body: d.Body, session: DefaultSession}
	header, err := SessionHeader(r.Header)
	if err != nil {
		WriteError(w, err)
		return
	}
	if header != "" {
		c.session = header
	}
	if name, ok := d.Params["name"]; ok {
		if header != "" && header != name {
			WriteError(w, Invalid(lumamock.InHeader, HeaderSession, "session",
				fmt.Sprintf("%q names another session than the path (%q)", header, name)))
			return
		}
		c.session, c.named = name, true
	}
	op := h.routes[route(r.Method, d.Route.Path)]
	if r.Method == http.MethodHead {
		op = h.routes[route(http.MethodGet, d.Route.Path)]
	}
	op(c)
}

// scope returns what c acts on, or answers 404 and returns nil.
func (h *Handler) scope(c *call) Scope {
	s := h.cfg.Scopes.Scope(c.session, c.create)
	if s == nil {
		WriteError(c.w, NotFound(fmt.Sprintf("no session %q: a session is created by its first API request (header %s or path %s%s/...), or by PUT %s/sessions/%s/settings or POST %s/sessions/%s/clock",
			c.session, HeaderSession, SessionPrefix, c.session, Prefix, c.session, Prefix, c.session)))
	}
	return s
}

// operations binds the operations of admin.yaml to what the server provides.
func (h *Handler) operations() map[string]operation {
	ops := map[string]operation{
		route(http.MethodGet, Prefix+"/admin.yaml"): func(c *call) { h.doc.serveYAML(c.w) },
		route(http.MethodGet, Prefix+"/admin.json"): func(c *call) { h.doc.serveJSON(c.w) },
		route(http.MethodGet, Prefix+"/requests"):   h.list(func(s Scope) List { return s.Requests() }),
		route(http.MethodGet, Prefix+"/callbacks"):  h.list(func(s Scope) List { return s.Callbacks() }),
		route(http.MethodPost, Prefix+"/reset"): h.scoped(func(c *call, s Scope) {
			s.Reset()
			c.w.WriteHeader(http.StatusNoContent)
		}),
		route(http.MethodGet, Prefix+"/tasks"): h.list(func(s Scope) List {
			if ts, ok := s.(TaskScope); ok {
				return ts.Tasks()
			}
			return nil
		}),
		route(http.MethodGet, Prefix+"/tasks/{id}"): h.tasks(func(c *call, s TaskScope) (any, error) { return s.Task(c.taskID()) }),
		route(http.MethodPost, Prefix+"/tasks/{id}/complete"): h.tasks(func(c *call, s TaskScope) (any, error) {
			return s.End(c.taskID(), lumamock.StateCompleted)
		}),
		route(http.MethodPost, Prefix+"/tasks/{id}/fail"): h.tasks(func(c *call, s TaskScope) (any, error) {
			return s.End(c.taskID(), lumamock.StateFailed)
		}),
		route(http.MethodGet, Prefix+"/settings"): h.sessionOp(false, func(c *call, s SessionScope) (any, error) { return s.Settings(), nil }),
		route(http.MethodPut, Prefix+"/settings"): h.sessionOp(true, func(c *call, s SessionScope) (any, error) { return s.PutSettings(c.body) }),
		route(http.MethodGet, Prefix+"/clock"):    h.sessionOp(false, func(c *call, s SessionScope) (any, error) { return s.Clock(), nil }),
		route(http.MethodPost, Prefix+"/clock"):   h.sessionOp(true, func(c *call, s SessionScope) (any, error) { return s.MoveClock(c.body) }),
		route(http.MethodGet, Prefix+"/coverage"): h.coverage(func(c *call, s CoverageScope) {
			v, err := s.Coverage(ignored(c.r.URL.Query()))
			answer(c.w, v, err)
		}),
		route(http.MethodPost, Prefix+"/coverage/reset"): h.coverage(func(c *call, s CoverageScope) {
			s.ResetCoverage()
			c.w.WriteHeader(http.StatusNoContent)
		}),
		route(http.MethodGet, Prefix+"/sessions"): func(c *call) {
			httpjson.Write(c.w, http.StatusOK, h.cfg.Sessions.List())
		},
		route(http.MethodGet, Prefix+"/sessions/{name}"): func(c *call) {
			if s, ok := h.cfg.Sessions.Get(c.session); ok {
				httpjson.Write(c.w, http.StatusOK, s)
				return
			}
			WriteError(c.w, NotFound(fmt.Sprintf("no session %q", c.session)))
		},
		route(http.MethodDelete, Prefix+"/sessions/{name}"): func(c *call) {
			if !h.cfg.Sessions.Delete(c.session) {
				WriteError(c.w, NotFound(fmt.Sprintf("no session %q", c.session)))
				return
			}
			c.w.WriteHeader(http.StatusNoContent)
		},
		route(http.MethodGet, Prefix+"/replay"): func(c *call) { h.serveList(c, h.cfg.Decisions) },
	}
	if h.cfg.APIYAML != nil {
		ops[route(http.MethodGet, Prefix+"/openapi.yaml")] = func(c *call) { h.cfg.APIYAML(c.w, c.r) }
		ops[route(http.MethodGet, Prefix+"/openapi.json")] = func(c *call) { h.cfg.APIJSON(c.w, c.r) }
	}
	return ops
}

// taskID is the call's task id, unescaped: the router matches the path as sent.
func (c *call) taskID() string {
	id := c.params["id"]
	if unescaped, err := url.PathUnescape(id); err == nil {
		id = unescaped
	}
	return id
}

// scoped runs op in the call's scope.
func (h *Handler) scoped(op func(*call, Scope)) operation {
	return func(c *call) {
		if s := h.scope(c); s != nil {
			op(c, s)
		}
	}
}

// tasks runs op in the call's scope, which keeps tasks, and answers its record.
func (h *Handler) tasks(op func(*call, TaskScope) (any, error)) operation {
	return h.scoped(func(c *call, s Scope) {
		ts, ok := s.(TaskScope)
		if !ok {
			WriteError(c.w, NotFound("this server keeps no tasks"))
			return
		}
		v, err := op(c, ts)
		answer(c.w, v, err)
	})
}

// coverage runs op in the call's scope, which measures coverage.
func (h *Handler) coverage(op func(*call, CoverageScope)) operation {
	return h.scoped(func(c *call, s Scope) {
		cs, ok := s.(CoverageScope)
		if !ok {
			WriteError(c.w, NotFound("this server measures no coverage"))
			return
		}
		op(c, cs)
	})
}

// ignored lists the names the ignore query parameters give, repeated or separated by commas.
func ignored(q url.Values) []string {
	var out []string
	for _, v := range q["ignore"] {
		for _, name := range strings.Split(v, ",") {
			if name = strings.TrimSpace(name); name != "" {
				out = append(out, name)
			}
		}
	}
	return out
}

// sessionOp runs op in the call's session, creating it first when create is set, and answers what it returns.
func (h *Handler) sessionOp(create bool, op func(*call, SessionScope) (any, error)) operation {
	return func(c *call) {
		c.create = create
		h.scoped(func(c *call, s Scope) {
			ss, ok := s.(SessionScope)
			if !ok {
				WriteError(c.w, NotFound("this server has no sessions"))
				return
			}
			v, err := op(c, ss)
			answer(c.w, v, err)
		})(c)
	}
}

func answer(w http.ResponseWriter, v any, err error) {
	if err != nil {
		WriteError(w, err)
		return
	}
	httpjson.Write(w, http.StatusOK, v)
}

// list answers a list read of the call's scope.
func (h *Handler) list(of func(Scope) List) operation {
	return h.scoped(func(c *call, s Scope) { h.serveList(c, of(s)) })
}

// serveList answers the list read l: a bad query at once, else the records when the read's turn comes.
func (h *Handler) serveList(c *call, l List) {
	if l == nil {
		WriteError(c.w, NotFound("no such list here"))
		return
	}
	read, err := l(c.r.URL.Query())
	if err != nil {
		WriteError(c.w, err)
		return
	}
	if !h.gate.Turn(c.w, c.r) {
		return
	}
	defer h.gate.Leave()
	adminpage.Stream(c.w, read(c.w.Header()), h.cfg.Stall(), adminpage.ReadLimit)
}

// Operations lists the operations of admin.yaml that kind has, as "METHOD path" sorted.
func Operations(kind string) ([]string, error) {
	v, err := validator(kind)
	if err != nil {
		return nil, err
	}
	var out []string
	for path, item := range v.Document().Paths.Map() {
		for method := range item.Operations() {
			out = append(out, method+" "+path)
		}
	}
	slices.Sort(out)
	return out, nil
}

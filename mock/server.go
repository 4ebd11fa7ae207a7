package mock

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/admission"
	"github.com/lumamock/lumamock/coverage"
	"github.com/lumamock/lumamock/internal/adminapi"
	"github.com/lumamock/lumamock/internal/deadline"
	"github.com/lumamock/lumamock/internal/defaults"
	"github.com/lumamock/lumamock/internal/httpstatus"
	"github.com/lumamock/lumamock/internal/redact"
	"github.com/lumamock/lumamock/internal/replay"
	"github.com/lumamock/lumamock/internal/ring"
	"github.com/lumamock/lumamock/internal/ui"
	"github.com/lumamock/lumamock/mock/internal/clock"
	"github.com/lumamock/lumamock/mock/internal/connfault"
	"github.com/lumamock/lumamock/mock/internal/latency"
)

// Server is the mock: an http.Handler serving the API of its OpenAPI document. Create it with New.
type Server struct {
	opts      Options
	doc       *openapi3.T
	judge     *admission.Validator
	admin     http.Handler // /healthz, the dashboard and the admin API (adminapi)
	clock     Clock
	log       *slog.Logger
	fake      *faker
	operation map[string]operationHandler // by operationId
	logSample logSampler
	allow     *allowList
	callbacks *callbacks
	// unsettle removes the server's wait from its ManualClock's moves (see settleMoves).
	unsettle func()
	sessions *sessions
	defaults Settings // a new session's
	// The limits every session's tasks and journals share.
	taskBudget                  *taskBudget
	requestBytes, callbackBytes *ring.Shared
	coveragePlan                *coverage.Plan   // the items every session's coverage counts
	coverageBudget              *coverage.Budget // the clients all sessions' coverage remembers
	retired                     *retiredCoverage // the coverage of the sessions gone, for Coverages
	document                    *servedDocument
	latency                     *latency.Source // draws the response latencies, seeded by Options.Seed
	// lastSecrets is the secrets of the task created last, which the next task shares when they are equal (see
	// taskSecrets). Never changed once stored.
	lastSecrets atomic.Pointer[[]string]
	// faultDraws draws the faults of the sessions' APIFaults; connFaults breaks connections.
	faultDraws *faultDraws
	connFaults *connfault.Injector
}

// New builds a mock of opts.Document (the embedded openapi.yaml when nil). It fails if the document cannot be
// routed or lacks an operation the mock implements.
func New(opts Options) (*Server, error) {
	doc := opts.Document
	switch {
	case doc == nil && opts.DocumentSource != nil:
		var err error
		if doc, err = lumamock.LoadDocument(context.Background(), opts.DocumentSource); err != nil {
			return nil, fmt.Errorf("mock: %w", err)
		}
		opts.Document = doc
	case doc == nil:
		var err error
		if doc, err = lumamock.Load(); err != nil {
			return nil, err
		}
	}
	if opts.Schema == "" {
		opts.Schema = lumamock.ShapeEnvelope
	}
	if _, ok := lumamock.ParseShape(string(opts.Schema)); !ok {
		return nil, fmt.Errorf("mock: unknown schema %q (want %s or %s)", opts.Schema, lumamock.ShapeEnvelope, lumamock.ShapeLuma)
	}
	if opts.Outcome == "" {
		opts.Outcome = lumamock.StateCompleted
	}
	if !opts.Outcome.Terminal() {
		return nil, fmt.Errorf("mock: outcome %q is not %s or %s", opts.Outcome, lumamock.StateCompleted, lumamock.StateFailed)
	}
	defaults.Positive(&opts.MaxBody, DefaultMaxBody)
	defaults.Positive(&opts.MaxTasks, DefaultMaxTasks)
	defaults.Positive(&opts.MaxTaskMemory, DefaultMaxTaskMemory)
	defaults.Positive(&opts.MaxSessions, DefaultMaxSessions)
	defaults.Positive(&opts.CoverageClients, DefaultCoverageClients)
	opts.Pending = orDefault(opts.Pending, DefaultPending)
	opts.Processing = orDefault(opts.Processing, DefaultProcessing)
	for _, d := range []struct {
		option string
		d      time.Duration
	}{{"Pending", opts.Pending}, {"Processing", opts.Processing}, {"Faults.Late", opts.Faults.Late}} {
		// They are the settings of every new session, which could not be PUT back past it.
		if d.d > MaxSettingDuration {
			return nil, &OptionError{Option: d.option, Value: d.d.String(), Err: fmt.Errorf("is over %s, the most a session's settings take", MaxSettingDuration)}
		}
	}
	if opts.Seed == 0 {
		opts.Seed = rand.Int64()
	}
	if err := opts.callbackDefaults(); err != nil {
		return nil, err
	}
	allow, err := parseAllowList(opts.CallbackAllow)
	if err != nil {
		return nil, err
	}
	allow.lookup = opts.Resolver
	schema, err := callbackSchema(doc)
	if err != nil {
		return nil, err
	}
	s := &Server{
		opts:          opts,
		doc:           doc,
		clock:         opts.Clock,
		log:           opts.Logger,
		fake:          newFaker(opts.Seed),
		allow:         allow,
		latency:       latency.NewSource(uint64(opts.Seed)),
		taskBudget:    &taskBudget{max: int64(opts.MaxTasks), maxBytes: opts.MaxTaskMemory},
		requestBytes:  ring.NewSharedBudget(opts.JournalMaxBytes),
		callbackBytes: ring.NewSharedBudget(opts.JournalMaxBytes),
		defaults: Settings{Pending: opts.Pending, Processing: opts.Processing, Outcome: opts.Outcome, Schema: opts.Schema,
			Faults: opts.Faults, Delay: opts.Delay, RateLimit: opts.RateLimit, Capacity: opts.Capacity,
			APIFaults: slices.Clone(opts.APIFaults)},
		connFaults: connfault.New(connfault.Options{StallLimit: opts.StallLimit, MaxStalled: opts.MaxStalled,
			Seed: uint64(opts.Seed)}),
		faultDraws: newFaultDraws(opts.Seed),
	}
	if err := checkAPIFaultsOption(opts.APIFaults, doc); err != nil { // each session has its own (Settings.APIFaults)
		return nil, err
	}
	if s.coveragePlan, err = coverage.NewPlan(doc, webhookFaults); err != nil {
		return nil, fmt.Errorf("mock: %w", err)
	}
	s.coverageBudget = coverage.NewBudget(opts.CoverageClients)
	s.retired = &retiredCoverage{max: opts.MaxSessions, maxClients: opts.CoverageClients, plan: s.coveragePlan}
	s.sessions = &sessions{byName: make(map[string]*Session), max: opts.MaxSessions, create: s.newSession}
	if _, err := newLimiter(opts.RateLimit); err != nil { // each session has its own (Settings.RateLimit)
		return nil, err
	}
	if opts.Capacity < 0 || opts.Capacity > MaxCapacity { // each session has its own queues (Settings.Capacity)
		return nil, &OptionError{Option: "Capacity", Value: strconv.Itoa(opts.Capacity), Err: fmt.Errorf("is outside 0..%d", MaxCapacity)}
	}
	if s.clock == nil {
		s.clock = clock.System
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.document = newServedDocument(s, opts)
	s.callbacks = newCallbacks(opts, s.clock, schema, allow, s.log)
	s.callbacks.journaled = s.trimJournals
	s.settleMoves()
	if s.judge, err = admission.New(admission.Options{Document: doc, MaxBody: opts.MaxBody, Keys: opts.APIKeys}); err != nil {
		return nil, fmt.Errorf("mock: %w", err)
	}
	if err := s.buildRoutes(); err != nil {
		return nil, err
	}
	return s, nil
}

// buildRoutes binds each operation of the document to its handler, and builds the admin API.
func (s *Server) buildRoutes() error {
	s.operation = map[string]operationHandler{
		lumamock.OpCreate: s.createGeneration,
		lumamock.OpGet:    s.getGeneration,
	}
	for path, item := range s.doc.Paths.Map() {
		for method, op := range item.Operations() {
			if s.operation[op.OperationID] == nil {
				return fmt.Errorf("mock: operation %s %s (%s) is not implemented", method, path, op.OperationID)
			}
		}
	}
	admin, err := adminapi.New(adminapi.Config{
		Kind:      adminapi.Mock,
		Token:     s.opts.AdminToken,
		Scopes:    s,
		Sessions:  adminSessions{s},
		Dashboard: ui.Handler(ui.Config{Server: "mock", Tasks: true, Coverage: true, Sessions: true, Token: s.opts.AdminToken != "", Version: lumamock.Version}),
		APIYAML:   s.document.serveYAML,
		APIJSON:   s.document.serveJSON,
		Stall:     readStall,
	})
	if err != nil {
		return fmt.Errorf("mock: %w", err)
	}
	s.admin = admin
	return nil
}

// ServeHTTP serves the API, /healthz and, never with a 5xx unless one is asked for, every malformed request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	// Every answer, API or admin, must reach its client in time (see internal/deadline): a client that does
	// not read cannot hold the handler, its connection and its buffers for ever. A Prefer delay comes before
	// the answer's first write, so it is not cut.
	dw := deadline.Wrap(w, readStall(), deadline.Limit)
	rec := &httpstatus.Recorder{ResponseWriter: dw}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			secrets := s.secretsOf(r)
			s.log.Error("handler panicked", "method", redact.Text(r.Method, secrets...), "path", redact.Text(r.URL.Path, secrets...),
				"panic", redact.Text(fmt.Sprint(v), secrets...))
			if rec.Status == 0 {
				writeJSON(rec, http.StatusInternalServerError, newAPIError(http.StatusInternalServerError, "").body(s.opts.Schema, rec.Header().Get("X-Request-Id")))
			}
		}
		dw.Done()
		if !s.log.Enabled(r.Context(), slog.LevelInfo) {
			return // no log: nor the work of one (a request's credentials, redacted texts)
		}
		if logged, standsFor := s.logSample.sample(start, rec.Status); logged {
			secrets := s.secretsOf(r) // a client can send a key as a task id, even as a method
			s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("method", redact.Text(r.Method, secrets...)),
				slog.String("path", redact.Text(r.URL.Path, secrets...)),
				slog.Int("status", rec.Status),
				slog.Duration("duration", time.Since(start)),
				slog.String("request_id", rec.Header().Get("X-Request-Id")),
				slog.Int("sampled", standsFor))
		}
	}()
	path := r.URL.Path // as it came, for the journal: sessionOf takes a /__session/NAME prefix off
	name, err := sessionOf(r)
	if isAdminPath(r.URL.Path) {
		if err != nil {
			adminapi.WriteError(rec, err)
			return
		}
		s.admin.ServeHTTP(rec, r)
		return
	}
	var refused *apiError
	if err != nil {
		e := err.(*adminapi.Error)
		refused = newAPIError(http.StatusBadRequest, e.Message, e.Violations...)
	}
	s.serveAPI(rec, r, s.sessionAt(name, true, start), path, refused) // kin-openapi routes the API's paths
}

// isAdminPath reports whether path belongs to the mock's own endpoints rather than the document's.
func isAdminPath(path string) bool {
	return path == "/healthz" || strings.HasPrefix(path, "/__mock/")
}

// apiRequest is one API request on its way through validation to a handler.
type apiRequest struct {
	requestID string
	shape     lumamock.Shape
	prefs     Preferences
	note      *requestNote
	route     *routers.Route
	params    map[string]string
	body      map[string]any // the validated body, defaults applied
	delay     time.Duration  // the latency drawn for its answer
	session   *Session
	settings  *Settings // the session's, when the request came
	path      string    // as it came, with a /__session/NAME prefix
	// fault is the connection fault that breaks its answer; statusFault the status an Options.APIFaults share
	// forces (when its operation documents it).
	fault       connfault.Fault
	statusFault int
	rateLimited bool // refused by Options.RateLimit
}

// faultName is the fault applied to ex's answer, as the journal names it, or "".
func (ex *apiRequest) faultName(status int) string {
	switch {
	case ex.fault != "":
		return string(ex.fault)
	case ex.statusFault != 0 && ex.statusFault == status:
		return strconv.Itoa(status)
	}
	return ""
}

// operationHandler answers one operation of the document for a request admitted as ex.
type operationHandler func(w http.ResponseWriter, r *http.Request, ex *apiRequest)

// serveAPI routes r with kin-openapi, enforces what the document says of headers, auth and body, then hands
// it to the operation's handler. A connection fault breaks the answer after the request is journaled.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, ss *Session, path string, refused *apiError) {
	settings := ss.settings.Load()
	x := &struct { // one allocation for the request and its note
		ex   apiRequest
		note requestNote
	}{}
	ex := &x.ex
	*ex = apiRequest{requestID: s.fake.id(), shape: settings.Schema, note: &x.note, session: ss, settings: settings, path: path}
	w.Header()["X-Request-Id"] = []string{ex.requestID} // as Header().Set, the key being canonical
	at := ss.clock.Now()
	var held *faultWriter // the answer a connection fault breaks
	journaled := false
	defer func() {
		if !journaled {
			s.journalRequest(w, r, ex, at, held)
		}
	}()
	apiErr := refused
	if apiErr == nil {
		apiErr = s.admit(r, ex)
	}
	if apiErr == nil {
		if apiErr = s.rateLimited(r, ex); apiErr != nil {
			ex.rateLimited = true
		}
	}
	if len(ex.prefs.Applied) > 0 { // on a refusal too: its answer is shaped and delayed as asked
		w.Header().Set("Preference-Applied", strings.Join(ex.prefs.Applied, ", "))
	}
	s.chooseFault(ex)
	out := w
	if ex.fault != "" {
		held = newFaultWriter(w.Header())
		out = held
	}
	if !s.answer(out, r, ex, apiErr) || held == nil {
		return
	}
	journaled = true
	s.journalRequest(w, r, ex, at, held)
	s.breakAnswer(w, r, ex, held)
}

// answer writes the answer of the API request ex, refused with apiErr unless it is nil, after its delay. It
// reports false when the client left during the delay.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, ex *apiRequest, apiErr *apiError) bool {
	delay := ex.settings.Delay
	if ex.prefs.Delay != nil {
		delay = *ex.prefs.Delay
	}
	if !delay.IsZero() {
		ex.delay = s.latency.Draw(delay.d)
	}
	if ex.delay > 0 && !sleep(r.Context(), ex.delay) {
		return false
	}
	switch {
	case apiErr != nil:
		s.writeError(w, ex, apiErr)
	case ex.prefs.Code != 0 && ex.prefs.Code != http.StatusOK:
		s.writeError(w, ex, newAPIError(ex.prefs.Code, ""))
	case ex.statusFault != 0 && ex.route.Operation.Responses.Status(ex.statusFault) != nil:
		s.writeError(w, ex, newAPIError(ex.statusFault, ""))
	default:
		s.operation[ex.route.Operation.OperationID](w, r, ex)
	}
	return true
}

// admit checks r: the mock's own Prefer header first, then the document's judgement (admission: route, method,
// Accept, Content-Encoding, Content-Type, size, JSON, auth, parameters and body), then a forced status.
func (s *Server) admit(r *http.Request, ex *apiRequest) *apiError {
	prefs, err := ParsePrefer(r.Header)
	if err != nil {
		return newAPIError(http.StatusBadRequest, err.Error(), lumamock.Violation{In: lumamock.InHeader, Field: "Prefer", Rule: "prefer", Message: err.Error()})
	}
	ex.prefs = prefs
	if prefs.Schema != "" {
		ex.shape = prefs.Schema
	}
	d := s.judge.Admit(r)
	ex.route, ex.params = d.Route, d.Params
	ex.prefs.Applied = prefs.appliedTo(&d)
	if ex.note != nil && d.Body != nil {
		ex.note.body = d.Body
	}
	if !d.Admitted() {
		return &apiError{status: d.Status, reason: d.Reason, violations: d.Violations, header: d.Header}
	}
	ex.body = d.Value
	if code := prefs.Code; code != 0 && code != http.StatusOK && d.Route.Operation.Responses.Status(code) == nil {
		return newAPIError(http.StatusBadRequest, fmt.Sprintf("Prefer code=%d: %s does not document that status; documented: %s",
			code, d.Operation(), strings.Join(lumamock.DocumentedStatuses(d.Route.Operation), ", ")),
			lumamock.Violation{In: lumamock.InHeader, Field: "Prefer", Rule: "prefer", Message: "code is not a documented status"})
	}
	return nil
}

// writeError writes e in the apiRequest's error shape, with its headers and Retry-After where the status has one.
func (s *Server) writeError(w http.ResponseWriter, ex *apiRequest, e *apiError) {
	if ex.note != nil {
		ex.note.rejected = true
		ex.note.violations = e.violations
	}
	h := w.Header()
	for k, v := range e.header {
		h[k] = v
	}
	if e.status == http.StatusTooManyRequests || e.status == http.StatusServiceUnavailable {
		if h.Get("Retry-After") == "" {
			h.Set("Retry-After", "1")
		}
	}
	if e.status == http.StatusUnauthorized && h.Get("WWW-Authenticate") == "" {
		h.Set("WWW-Authenticate", "Bearer")
	}
	writeJSON(w, e.status, e.body(ex.shape, ex.requestID))
}

// sleep waits d or until ctx is done, reporting whether it waited the whole time.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// journalRequest records the API request r, answered with the status w saw, or held for a fault to break.
func (s *Server) journalRequest(w http.ResponseWriter, r *http.Request, ex *apiRequest, at time.Time, held *faultWriter) {
	status := http.StatusOK
	if sr, ok := w.(*httpstatus.Recorder); ok && sr.Status != 0 {
		status = sr.Status
	}
	if held != nil && held.status != 0 {
		status = held.status
	}
	seq := ex.session.journal.addRequest(s.requestEntry(r, ex, status, at))
	s.trimJournals(ex.session)
	if ex.fault != "" {
		status = 0 // the client never saw the answer: it was exposed to no status
	}
	s.coverRequest(w, r, ex, seq, status, at)
}

// requestEntry is the journal entry of r, admitted as ex and answered with status.
func (s *Server) requestEntry(r *http.Request, ex *apiRequest, status int, at time.Time) requestEntry {
	note := ex.note
	rec := RequestRecord{
		At: at, Method: r.Method, Path: cmp.Or(ex.path, r.URL.Path), Status: status, RequestID: ex.requestID, TaskID: note.taskID,
		Valid: !note.rejected, Violations: note.violations, Source: SourceMock, PreferApplied: ex.prefs.Applied,
		DelayMS: float64(ex.delay.Microseconds()) / 1000, Fault: ex.faultName(status),
		RateLimited: ex.rateLimited,
	}
	// A status forced with Prefer code=... or a status fault, or a rate limit, is not a verdict on the request.
	if note.rejected && len(note.violations) == 0 && (ex.prefs.Code == status || ex.statusFault == status || ex.rateLimited) {
		rec.Valid = true
	}
	body := note.body
	rec.BodyTruncated = note.cut
	if len(body) > s.opts.JournalBodyLimit {
		// Cut before any secret that crosses the limit: the record is redacted when read, and a piece of a
		// secret would no longer be recognised.
		body, rec.BodyTruncated = body[:cutBefore(body, s.opts.JournalBodyLimit, s.secretsOf(r))], true
	}
	return requestEntry{rec: rec, header: r.Header, query: r.URL.RawQuery, body: body, keys: s.opts.APIKeys}
}

// secretsOf lists the credentials a record of r must not show anywhere: the accepted API keys and those r
// carries (its bearer token, credential headers and query parameters).
func (s *Server) secretsOf(r *http.Request) []string {
	return append(slices.Clip(s.opts.APIKeys), redact.RequestSecrets(r)...)
}

func init() {
	replay.Register(func(h http.Handler) (replay.Judge, bool) {
		s, ok := h.(*Server)
		return replayJudge{s}, ok
	})
}

// replayJudge is the mock's replay.Judge: lumamock serve --replay asks it whether the mock admits a request
// before answering it from a recording, and journals the requests it answered.
type replayJudge struct{ s *Server }

// Admits reports whether the mock would accept r, with body, as valid: routed, authenticated and matching the
// document. It creates nothing.
func (j replayJudge) Admits(r *http.Request, body []byte) bool {
	req, ex := j.s.replayed(r, body, nil)
	return j.s.admit(req, ex) == nil
}

// Journal records in the request journal an API request that the replayer answered from a recording: the
// request is checked against the document as the mock would check it, but creates no task; the record names
// the status it was answered with and the cassette file, with Source SourceReplay.
func (j replayJudge) Journal(r *http.Request, body []byte, status int, answered http.Header, file string) {
	s := j.s
	req, ex := s.replayed(r, body, answered)
	if apiErr := s.admit(req, ex); apiErr != nil {
		ex.note.rejected, ex.note.violations = true, apiErr.violations
	}
	e := s.requestEntry(req, ex, status, ex.session.clock.Now())
	e.rec.Source, e.rec.Cassette = SourceReplay, file
	seq := ex.session.journal.addRequest(e)
	s.trimJournals(ex.session)
	s.coverReplayed(req, ex, seq, status, answered, e.rec.At)
}

// replayed prepares a copy of r, with body, for admission without handling.
func (s *Server) replayed(r *http.Request, body []byte, answered http.Header) (*http.Request, *apiRequest) {
	req := r.Clone(r.Context())
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	ss := s.Default()
	name, err := sessionOf(req)
	if err == nil {
		ss = s.session(name, true)
	}
	settings := ss.settings.Load()
	return req, &apiRequest{requestID: answered.Get("X-Request-Id"), shape: settings.Schema, note: &requestNote{body: body},
		session: ss, settings: settings}
}

// settleMoves makes the moves of a ManualClock given in Options wait, before each function due and at their
// end, for the callbacks due: each attempt is made, and its retry scheduled, with the clock at the time it fell
// due, so that an Advance over a retry's backoff makes the retry too, as it runs the clock's own functions.
func (s *Server) settleMoves() {
	s.unsettle = func() {}
	if mc, ok := s.clock.(*ManualClock); ok {
		s.unsettle = mc.v.OnSettle(func() { _ = s.callbacks.engine.WaitIdle(context.Background()) })
	}
}

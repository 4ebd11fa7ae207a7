package mock

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/gorilla/mux"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/internal/adminguard"
	"github.com/lumamock/lumamock/internal/httpstatus"
)

// Server is the mock: an http.Handler serving the API of its OpenAPI document. Create it with New.
type Server struct {
	opts     Options
	doc      *openapi3.T
	router   routers.Router
	paths    []pathRoute
	validate *openapi3filter.Options // for bodies
	// validateNoBody is for security and parameters
	validateNoBody *openapi3filter.Options
	handler        http.Handler
	clock          Clock
	log            *slog.Logger
	fake           *faker
	tasks          *taskStore
	apiKeys        map[string]bool
	operation      map[string]operationHandler // by operationId
	logSample      logSampler
	allow          *allowList
	journal        *journal
	callbacks      *callbacks
	document       *servedDocument
}

// pathRoute matches one document path, whatever the method, to answer 405 with the methods it has.
type pathRoute struct {
	route *mux.Route
	allow string
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
	switch opts.Outcome {
	case "":
		opts.Outcome = lumamock.StateCompleted
	case lumamock.StateCompleted, lumamock.StateFailed:
	default:
		return nil, fmt.Errorf("mock: outcome %q is not %s or %s", opts.Outcome, lumamock.StateCompleted, lumamock.StateFailed)
	}
	positiveOr(&opts.MaxBody, DefaultMaxBody)
	positiveOr(&opts.MaxTasks, DefaultMaxTasks)
	positiveOr(&opts.MaxTaskMemory, DefaultMaxTaskMemory)
	opts.Pending = orDefault(opts.Pending, DefaultPending)
	opts.Processing = orDefault(opts.Processing, DefaultProcessing)
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
	schema, err := callbackSchema(doc)
	if err != nil {
		return nil, err
	}
	s := &Server{
		opts:    opts,
		doc:     doc,
		clock:   opts.Clock,
		log:     opts.Logger,
		fake:    newFaker(opts.Seed),
		tasks:   newTaskStore(opts.MaxTasks, opts.MaxTaskMemory),
		apiKeys: make(map[string]bool),
		allow:   allow,
		journal: newJournal(opts.JournalSize, opts.JournalBodyLimit, opts.JournalMaxBytes),
	}
	if s.clock == nil {
		s.clock = systemClock{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.document = newServedDocument(s, opts)
	s.callbacks = newCallbacks(opts, timerClock(s.clock), schema, allow, s.journal, s.log)
	for _, k := range opts.APIKeys {
		s.apiKeys[k] = true
	}
	if err := s.buildRoutes(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Server) buildRoutes() error {
	// Route on paths alone: the document's servers name hosts the mock is not.
	routed := *s.doc
	routed.Servers = nil
	router, err := gorillamux.NewRouter(&routed)
	if err != nil {
		return fmt.Errorf("mock: route openapi document: %w", err)
	}
	s.router = router
	s.validate = &openapi3filter.Options{MultiError: true, KeepValidatedValue: true}
	s.validateNoBody = &openapi3filter.Options{MultiError: true, ExcludeRequestBody: true, AuthenticationFunc: s.authenticate}
	s.operation = map[string]operationHandler{
		lumamock.OpCreate: s.createGeneration,
		lumamock.OpGet:    s.getGeneration,
	}
	matchers := mux.NewRouter() // matches paths only, for Allow
	for path, item := range s.doc.Paths.Map() {
		var methods []string
		for method, op := range item.Operations() {
			methods = append(methods, method)
			if s.operation[op.OperationID] == nil {
				return fmt.Errorf("mock: operation %s %s (%s) is not implemented", method, path, op.OperationID)
			}
		}
		sort.Strings(methods)
		s.paths = append(s.paths, pathRoute{route: matchers.NewRoute().Path(path), allow: strings.Join(methods, ", ")})
	}
	m := mux.NewRouter()
	m.Path("/healthz").Methods(http.MethodGet, http.MethodHead).HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.adminRoutes(m) // the API's own paths never reach m: ServeHTTP hands them to serveAPI
	guarded := adminguard.Guard{Token: s.opts.AdminToken}.Wrap(m)
	s.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" { // liveness probes carry no token and may name any host
			m.ServeHTTP(w, r)
			return
		}
		guarded.ServeHTTP(w, r)
	})
	return nil
}

// ServeHTTP serves the API, /healthz and, never with a 5xx unless one is asked for, every malformed request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &httpstatus.Recorder{ResponseWriter: w}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("handler panicked", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v))
			if rec.Status == 0 {
				writeJSON(rec, http.StatusInternalServerError, newAPIError(http.StatusInternalServerError, "").body(s.opts.Schema, rec.Header().Get("X-Request-Id")))
			}
		}
		if logged, standsFor := s.logSample.sample(start, rec.Status); logged {
			s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.Int("status", rec.Status),
				slog.Duration("duration", time.Since(start)),
				slog.String("request_id", rec.Header().Get("X-Request-Id")),
				slog.Int("sampled", standsFor))
		}
	}()
	if !isAdminPath(r.URL.Path) {
		s.serveAPI(rec, r) // kin-openapi routes the API's paths; the admin router is not needed
		return
	}
	s.handler.ServeHTTP(rec, r)
}

// isAdminPath reports whether path belongs to the mock's own endpoints rather than the document's.
func isAdminPath(path string) bool {
	return path == "/healthz" || strings.HasPrefix(path, "/__mock/")
}

// exchange is one API request on its way through validation to a handler.
type exchange struct {
	requestID string
	shape     lumamock.Shape
	prefs     Preferences
	note      *requestNote
	route     *routers.Route
	params    map[string]string
	body      map[string]any // the validated body, defaults applied
}

// operationHandler answers one operation of the document for a request admitted as ex.
type operationHandler func(w http.ResponseWriter, r *http.Request, ex *exchange)

// serveAPI routes r with kin-openapi, enforces what the document says of headers, auth and body, then hands
// it to the operation's handler.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	ex := &exchange{requestID: s.fake.id(), shape: s.opts.Schema, note: &requestNote{}}
	w.Header().Set("X-Request-Id", ex.requestID)
	defer s.journalRequest(w, r, ex, s.clock.Now())
	if apiErr := s.admit(r, ex); apiErr != nil {
		if ex.prefs.Delay > 0 && !sleep(r.Context(), ex.prefs.Delay) {
			return
		}
		s.writeError(w, ex, apiErr)
		return
	}
	if len(ex.prefs.Applied) > 0 {
		w.Header().Set("Preference-Applied", strings.Join(ex.prefs.Applied, ", "))
	}
	if ex.prefs.Delay > 0 && !sleep(r.Context(), ex.prefs.Delay) {
		return
	}
	if code := ex.prefs.Code; code != 0 && code != http.StatusOK {
		s.writeError(w, ex, newAPIError(code, ""))
		return
	}
	s.operation[ex.route.Operation.OperationID](w, r, ex)
}

// admit checks r against the document in the order a client would fix things: Prefer, route, method, Accept,
// Content-Type, body size, then auth, parameters and body (every violation at once), then a forced status.
func (s *Server) admit(r *http.Request, ex *exchange) *apiError {
	prefs, err := ParsePrefer(r.Header)
	if err != nil {
		return newAPIError(http.StatusBadRequest, err.Error(), lumamock.Violation{In: lumamock.InHeader, Field: "Prefer", Rule: "prefer", Message: err.Error()})
	}
	ex.prefs = prefs
	if prefs.Schema != "" {
		ex.shape = prefs.Schema
	}
	route, params, err := s.router.FindRoute(r)
	switch {
	case errors.Is(err, routers.ErrMethodNotAllowed):
		allow := s.allowed(r)
		return newAPIError(http.StatusMethodNotAllowed, fmt.Sprintf("%s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, allow)).withHeader("Allow", allow)
	case err != nil:
		return newAPIError(http.StatusNotFound, fmt.Sprintf("no operation at %s %s", r.Method, r.URL.Path))
	}
	ex.route, ex.params = route, params
	if !acceptsJSON(r.Header.Values("Accept")) {
		return newAPIError(http.StatusNotAcceptable, "", lumamock.Violation{In: lumamock.InHeader, Field: "Accept", Rule: "media-type",
			Message: fmt.Sprintf("Accept %q excludes application/json, the only media type of this API", strings.Join(r.Header.Values("Accept"), ", "))})
	}
	if rb := route.Operation.RequestBody; rb != nil {
		if ce := r.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
			msg := fmt.Sprintf("Content-Encoding %q is not supported; send the body uncompressed", ce)
			return newAPIError(http.StatusUnsupportedMediaType, msg, lumamock.Violation{In: lumamock.InHeader, Field: "Content-Encoding", Rule: "media-type", Message: msg})
		}
		if err := s.checkContentType(r, rb.Value); err != nil {
			return err
		}
		if err := s.bufferBody(r, ex); err != nil {
			return err
		}
	}
	if err := s.validateRequest(r, route, params); err != nil {
		return s.validationError(err)
	}
	if vb, ok := r.Body.(interface{ ValidatedValue() any }); ok {
		ex.body, _ = vb.ValidatedValue().(map[string]any)
	}
	if code := prefs.Code; code != 0 && code != http.StatusOK && route.Operation.Responses.Status(code) == nil {
		return newAPIError(http.StatusBadRequest, fmt.Sprintf("Prefer code=%d: %s does not document that status; documented: %s",
			code, route.Operation.OperationID, strings.Join(documentedStatuses(route.Operation), ", ")),
			lumamock.Violation{In: lumamock.InHeader, Field: "Prefer", Rule: "prefer", Message: "code is not a documented status"})
	}
	return nil
}

// validateRequest runs openapi3filter over r: security and parameters first, on a request without its body
// (kin-openapi's security check would otherwise copy the body once more), then the body. Every violation of
// parameters and body is returned together.
func (s *Server) validateRequest(r *http.Request, route *routers.Route, params map[string]string) error {
	body := r.Body
	r.Body = http.NoBody
	input := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: s.validateNoBody}
	err := openapi3filter.ValidateRequest(r.Context(), input)
	r.Body = body
	var authErr *authError
	if errors.As(err, &authErr) {
		return authErr
	}
	rb := route.Operation.RequestBody
	if rb == nil {
		return err
	}
	input.Options = s.validate
	bodyErr := openapi3filter.ValidateRequestBody(r.Context(), input, rb.Value)
	switch {
	case err == nil:
		return bodyErr
	case bodyErr == nil:
		return err
	}
	return openapi3.MultiError{err, bodyErr}
}

// allowed lists the methods of the document path r matches.
func (s *Server) allowed(r *http.Request) string {
	for _, p := range s.paths {
		var m mux.RouteMatch
		if p.route.Match(r, &m) || m.MatchErr == mux.ErrMethodMismatch {
			return p.allow
		}
	}
	return ""
}

func documentedStatuses(op *openapi3.Operation) []string {
	var out []string
	for code := range op.Responses.Map() {
		out = append(out, code)
	}
	sort.Strings(out)
	return out
}

// checkContentType answers 415 unless the request's Content-Type is a media type of the operation's body.
func (s *Server) checkContentType(r *http.Request, rb *openapi3.RequestBody) *apiError {
	ct := r.Header.Get("Content-Type")
	if ct == "application/json" && rb.Content["application/json"] != nil {
		return nil // the common case, without parsing
	}
	mediaType, params, err := mime.ParseMediaType(ct)
	supported := strings.Join(slices.Sorted(maps.Keys(rb.Content)), ", ")
	violation := func(msg string) *apiError {
		return newAPIError(http.StatusUnsupportedMediaType, msg, lumamock.Violation{In: lumamock.InHeader, Field: "Content-Type", Rule: "media-type", Message: msg})
	}
	switch {
	case ct == "":
		return violation("Content-Type is missing; want " + supported)
	case err != nil:
		return violation(fmt.Sprintf("Content-Type %q is malformed: %v", ct, err))
	case rb.Content.Get(mediaType) == nil || strings.Contains(mediaType, "*"):
		return violation(fmt.Sprintf("Content-Type %q is not supported; want %s", mediaType, supported))
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return violation(fmt.Sprintf("charset %q is not supported; JSON is UTF-8", cs))
	}
	return nil
}

// bufferBody reads the body, at most MaxBody bytes, so validation and handlers can read it again.
func (s *Server) bufferBody(r *http.Request, ex *exchange) *apiError {
	if r.ContentLength > s.opts.MaxBody {
		return s.tooLarge()
	}
	data, err := readBody(r.Body, r.ContentLength, s.opts.MaxBody)
	if err != nil {
		return newAPIError(http.StatusBadRequest, "reading the request body failed: "+err.Error())
	}
	if int64(len(data)) > s.opts.MaxBody {
		return s.tooLarge()
	}
	if ex.note != nil {
		ex.note.body = data
	}
	if len(data) > 0 && !json.Valid(data) {
		return malformedJSON(data)
	}
	if !utf8.Valid(data) { // JSON is UTF-8 (RFC 8259 §8.1); Go's decoder would quietly replace bad bytes
		msg := fmt.Sprintf("body is not valid UTF-8 (at byte %d)", invalidUTF8At(data))
		return newAPIError(http.StatusBadRequest, msg, lumamock.Violation{In: lumamock.InBody, Field: "", Rule: "json", Message: msg})
	}
	r.Body = io.NopCloser(bytes.NewReader(data))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	r.ContentLength = int64(len(data))
	return nil
}

// invalidUTF8At returns the offset of the first byte of data that is not valid UTF-8.
func invalidUTF8At(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(data)
}

// readBody reads body whole, into one allocation when its length is known, and at most limit+1 bytes (so the
// caller sees a body over the limit without reading it all).
func readBody(body io.Reader, length, limit int64) ([]byte, error) {
	if length > 0 && length <= limit {
		data := make([]byte, length)
		if _, err := io.ReadFull(body, data); err != nil {
			return nil, err
		}
		return data, nil // a server request delivers exactly Content-Length bytes
	}
	return io.ReadAll(io.LimitReader(body, limit+1))
}

// malformedJSON says where data stops being one JSON value; openapi3filter's decoder would accept trailing
// garbage after the first value.
func malformedJSON(data []byte) *apiError {
	msg := "body is not valid JSON"
	var raw json.RawMessage
	var syntax *json.SyntaxError
	if err := json.Unmarshal(data, &raw); errors.As(err, &syntax) {
		msg = fmt.Sprintf("body is not valid JSON: %s (at byte %d)", syntax.Error(), syntax.Offset)
	} else if err != nil {
		msg = "body is not valid JSON: " + err.Error()
	}
	return newAPIError(http.StatusBadRequest, msg, lumamock.Violation{In: lumamock.InBody, Field: "", Rule: "json", Message: msg})
}

func (s *Server) tooLarge() *apiError {
	msg := fmt.Sprintf("the body is larger than %d bytes", s.opts.MaxBody)
	return newAPIError(http.StatusRequestEntityTooLarge, msg, lumamock.Violation{In: lumamock.InBody, Field: "", Rule: "maxBody", Message: msg})
}

// validationError turns openapi3filter's verdict into 401 when auth failed, else 400 with every violation.
func (s *Server) validationError(err error) *apiError {
	var authErr *authError
	if errors.As(err, &authErr) {
		challenge := "Bearer"
		if authErr.invalidToken {
			challenge = `Bearer error="invalid_token"`
		}
		return newAPIError(http.StatusUnauthorized, authErr.reason, lumamock.Violation{In: lumamock.InHeader, Field: "Authorization", Rule: "security", Message: authErr.reason}).
			withHeader("WWW-Authenticate", challenge)
	}
	violations := lumamock.Violations(err)
	reason := "the request does not match the API document"
	if len(violations) > 0 {
		v := violations[0]
		reason = v.Message
		if v.Field != "" {
			reason = v.Field + ": " + v.Message
		}
		if len(violations) > 1 {
			reason += fmt.Sprintf(" (and %d more)", len(violations)-1)
		}
	}
	return newAPIError(http.StatusBadRequest, reason, violations...)
}

// authError is why a request's credentials were refused.
type authError struct {
	reason       string
	invalidToken bool // credentials were given but are wrong (RFC 6750 invalid_token)
}

func (e *authError) Error() string { return e.reason }

// authenticate is the openapi3filter AuthenticationFunc: the document's bearer scheme, with the configured keys.
func (s *Server) authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	scheme := in.SecurityScheme
	if scheme.Type != "http" || !strings.EqualFold(scheme.Scheme, "bearer") {
		return fmt.Errorf("security scheme %s (%s %s) is not supported by lumamock", in.SecuritySchemeName, scheme.Type, scheme.Scheme)
	}
	h := in.RequestValidationInput.Request.Header.Get("Authorization")
	if h == "" {
		return &authError{reason: "Authorization header is missing; send Authorization: Bearer <API key>"}
	}
	kind, token, _ := strings.Cut(h, " ")
	if !strings.EqualFold(kind, "bearer") {
		return &authError{reason: "Authorization is not a Bearer credential; send Authorization: Bearer <API key>", invalidToken: true}
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return &authError{reason: "Authorization: Bearer has no token", invalidToken: true}
	}
	if len(s.apiKeys) > 0 && !s.apiKeys[token] {
		return &authError{reason: "the API key is not accepted", invalidToken: true}
	}
	return nil
}

// acceptsJSON reports whether Accept header values admit application/json; no Accept admits anything. The
// most specific matching range decides (RFC 9110 §12.5.1): application/json;q=0 refuses JSON even beside */*.
func acceptsJSON(values []string) bool {
	if len(values) == 0 {
		return true
	}
	best, accepted := -1, false
	for _, v := range values {
		for rng := range strings.SplitSeq(v, ",") {
			mediaType, params, _ := strings.Cut(rng, ";")
			var specificity int
			switch strings.ToLower(strings.TrimSpace(mediaType)) {
			case "*/*":
				specificity = 0
			case "application/*":
				specificity = 1
			case "application/json":
				specificity = 2
			default:
				continue
			}
			if specificity > best {
				best, accepted = specificity, qualityOf(params) > 0
			}
		}
	}
	return accepted
}

// qualityOf reads the q parameter from a media range's parameters ("q=0.5; level=1"); 1 when absent, 0 when
// malformed.
func qualityOf(params string) float64 {
	for p := range strings.SplitSeq(params, ";") {
		name, value, _ := strings.Cut(p, "=")
		if strings.EqualFold(strings.TrimSpace(name), "q") {
			q, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
			if err != nil || q < 0 || q > 1 {
				return 0
			}
			return q
		}
	}
	return 1
}

// writeError writes e in the exchange's error shape, with its headers and Retry-After where the status has one.
func (s *Server) writeError(w http.ResponseWriter, ex *exchange, e *apiError) {
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

// journalRequest records the API request r, answered with the status w saw.
func (s *Server) journalRequest(w http.ResponseWriter, r *http.Request, ex *exchange, at time.Time) {
	status := http.StatusOK
	if sr, ok := w.(*httpstatus.Recorder); ok && sr.Status != 0 {
		status = sr.Status
	}
	s.journal.addRequest(s.requestEntry(r, ex, status, at))
}

// requestEntry is the journal entry of r, admitted as ex and answered with status.
func (s *Server) requestEntry(r *http.Request, ex *exchange, status int, at time.Time) requestEntry {
	note := ex.note
	rec := RequestRecord{
		At: at, Method: r.Method, Path: r.URL.Path, Status: status, RequestID: ex.requestID, TaskID: note.taskID,
		Valid: !note.rejected, Violations: note.violations, Source: SourceMock,
	}
	// A status forced with Prefer code=... is not a verdict on the request.
	if note.rejected && len(note.violations) == 0 && ex.prefs.Code == status {
		rec.Valid = true
	}
	body := note.body
	if len(body) > s.opts.JournalBodyLimit {
		body, rec.BodyTruncated = body[:s.opts.JournalBodyLimit], true
	}
	hook, _ := ex.body[lumamock.FieldNotifyHook].(string)
	return requestEntry{rec: rec, header: r.Header, query: r.URL.RawQuery, body: body, hook: hook, secrets: s.secretsOf(r)}
}

// hidePassword masks, in a request body, the password of hook's user info.
func hidePassword(body, hook string) string {
	u, err := url.Parse(hook)
	if err != nil || u.User == nil {
		return body
	}
	if _, hasPassword := u.User.Password(); !hasPassword {
		return body
	}
	return strings.ReplaceAll(body, u.User.String()+"@", url.UserPassword(u.User.Username(), "xxxxx").String()+"@")
}

// secretsOf lists the credentials a journal record of r must not show anywhere: the accepted API keys and the
// bearer token r carries.
func (s *Server) secretsOf(r *http.Request) []string {
	secrets := s.opts.APIKeys
	if kind, token, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(kind, "bearer") {
		secrets = append(secrets[:len(secrets):len(secrets)], strings.TrimSpace(token))
	}
	return secrets
}

// Admits reports whether the mock would accept r, with body, as valid: routed, authenticated and matching the
// document. It creates nothing. lumamock serve --replay asks it before answering from a recording.
func (s *Server) Admits(r *http.Request, body []byte) bool {
	req, ex := s.replayed(r, body, nil)
	return s.admit(req, ex) == nil
}

// JournalReplay records in the request journal an API request that another handler answered from a recording
// (lumamock serve --replay wraps the mock this way): the request is checked against the document as the mock
// would check it, but creates no task; the record names the status and headers it was answered with and the
// cassette file, with Source SourceReplay.
func (s *Server) JournalReplay(r *http.Request, body []byte, status int, answered http.Header, cassette string) {
	req, ex := s.replayed(r, body, answered)
	if apiErr := s.admit(req, ex); apiErr != nil {
		ex.note.rejected, ex.note.violations = true, apiErr.violations
	}
	e := s.requestEntry(req, ex, status, s.clock.Now())
	e.rec.Source, e.rec.Cassette = SourceReplay, cassette
	s.journal.addRequest(e)
}

// replayed prepares a copy of r, with body, for admission without handling.
func (s *Server) replayed(r *http.Request, body []byte, answered http.Header) (*http.Request, *exchange) {
	req := r.Clone(r.Context())
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	return req, &exchange{requestID: answered.Get("X-Request-Id"), shape: s.opts.Schema, note: &requestNote{body: body}}
}

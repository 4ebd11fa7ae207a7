// Package admission is the one judge of requests: it decides whether a request is one the API document
// allows and, when it is not, which status the document implies and every violation. The mock admits requests
// with it, the proxy decides with it what the live API should refuse, and the checker judges with it, so the
// three cannot disagree.
//
// A request is checked in the order a client would fix it, and the first failing step decides the status:
// route (404), method (405, with Allow), Accept (406), then, for operations with a body, Content-Encoding,
// Content-Type and its charset (415), size (413), JSON syntax, trailing data and UTF-8 (400), then
// authentication (401, with WWW-Authenticate), then parameters and body schema together (400, every violation
// at once). HEAD is checked as GET wherever the document has a GET (RFC 9110 §9.3.2).
package admission

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/gorilla/mux"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/internal/defaults"
	"github.com/lumamock/lumamock/internal/jsonvalue"
)

// DefaultMaxBody is the largest body admitted when Options.MaxBody is zero: 20 MiB, since base64 images travel in
// the body.
const DefaultMaxBody = 20 << 20

// Options configure a Validator. The zero value judges by the embedded document, admits bodies up to
// DefaultMaxBody and accepts any non-empty bearer token.
type Options struct {
	// Document is the API document; nil means the embedded openapi.yaml.
	Document *openapi3.T
	// MaxBody is the largest request body admitted, in bytes; zero means DefaultMaxBody.
	MaxBody int64
	// Keys are the accepted bearer tokens; none means any non-empty token (all the document can tell).
	Keys []string
}

// Validator judges requests against one document. It is safe for concurrent use.
type Validator struct {
	doc         *openapi3.T
	router      routers.Router
	paths       []pathRoute
	maxBody     int64
	keys        map[string]bool
	withBody    *openapi3filter.Options
	withoutBody *openapi3filter.Options
	media       []string                             // the media types of the document's answers, which Accept must admit
	defaults    sync.Map                             // *openapi3.Schema → bodyDefaults, worked out on first use
	bodies      map[*openapi3.Schema]*compiled       // the request bodies' schemas compile knows, compiled
	literal     map[string]map[string]*routers.Route // path → method → route, for the paths without parameters
}

// pathRoute matches one document path, whatever the method, to answer 405 with the methods it has.
type pathRoute struct {
	route *mux.Route
	allow string
}

// New builds a Validator for opts.
func New(opts Options) (*Validator, error) {
	doc := opts.Document
	if doc == nil {
		var err error
		if doc, err = lumamock.Load(); err != nil {
			return nil, err
		}
	}
	routed := *doc
	routed.Servers = nil // route on paths alone: the document's servers name hosts the caller is not
	router, err := gorillamux.NewRouter(&routed)
	if err != nil {
		return nil, fmt.Errorf("admission: route the document: %w", err)
	}
	v := &Validator{doc: doc, router: router, maxBody: opts.MaxBody, keys: make(map[string]bool)}
	defaults.Positive(&v.maxBody, DefaultMaxBody)
	for _, k := range opts.Keys {
		v.keys[k] = true
	}
	// Defaults are filled after validation (withDefaults), not by kin-openapi while it validates: it takes an
	// explicit null for an absent property, so {"resolution": null} would pass as "720p" although the document
	// does not make resolution nullable.
	v.withBody = &openapi3filter.Options{MultiError: true, KeepValidatedValue: true, SkipSettingDefaults: true}
	v.withoutBody = &openapi3filter.Options{MultiError: true, ExcludeRequestBody: true, AuthenticationFunc: v.authenticate}
	v.bodies = make(map[*openapi3.Schema]*compiled)
	matchers := mux.NewRouter().UseEncodedPath() // matches paths only, for Allow, as the router does
	for path, item := range doc.Paths.Map() {
		var methods []string
		for method, op := range item.Operations() {
			methods = append(methods, method)
			if rb := op.RequestBody; rb != nil && rb.Value != nil && !doc.IsOpenAPI31OrLater() {
				for _, media := range rb.Value.Content {
					if media.Schema != nil && media.Schema.Value != nil {
						if c := compile(media.Schema.Value, make(map[*openapi3.Schema]bool)); c != nil {
							v.bodies[media.Schema.Value] = c
						}
					}
				}
			}
			for _, resp := range op.Responses.Map() {
				if resp.Value == nil {
					continue
				}
				for mt := range resp.Value.Content {
					if mt = strings.ToLower(mt); !slices.Contains(v.media, mt) {
						v.media = append(v.media, mt)
					}
				}
			}
		}
		if slices.Contains(methods, http.MethodGet) {
			methods = append(methods, http.MethodHead)
		}
		sort.Strings(methods)
		v.paths = append(v.paths, pathRoute{route: matchers.NewRoute().Path(path), allow: strings.Join(methods, ", ")})
	}
	sort.Strings(v.media)
	v.literal = literalRoutes(&routed, router)
	return v, nil
}

// literalRoutes finds, for each path of doc without parameters in it, the route router gives each of its
// methods, so that findRoute can answer for them without the router: only where the router itself routes the
// path and method to that path's operation (no other path's template catches it first).
func literalRoutes(doc *openapi3.T, router routers.Router) map[string]map[string]*routers.Route {
	literal := make(map[string]map[string]*routers.Route)
	for path, item := range doc.Paths.Map() {
		if strings.ContainsAny(path, "{}%") {
			continue
		}
		for method, op := range item.Operations() {
			req, err := http.NewRequestWithContext(context.Background(), method, path, nil)
			if err != nil {
				continue
			}
			route, params, err := router.FindRoute(req)
			if err != nil || route.Path != path || route.Operation != op || len(params) > 0 {
				continue
			}
			if literal[path] == nil {
				literal[path] = make(map[string]*routers.Route)
			}
			literal[path][method] = route
		}
	}
	return literal
}

// findRoute is v.router.FindRoute, which answers a path without parameters from the routes literalRoutes
// found, shared (nothing changes a route once found). The router matches the path as sent; one sent with
// percent-encoding (RawPath set) goes to the router.
//
// It pays: kin-openapi's router tries each route's expression and copies the route, four allocations a request.
// Under callgrind (BenchmarkServer/mock-envelope, -cpu 1, 6000 minus 3000 requests, GOGC=off) a request,
// client included, took 192,220 instructions before and 189,108 after. FuzzFindRouteAgreesWithTheRouter holds
// it to the router.
func (v *Validator) findRoute(r *http.Request) (*routers.Route, map[string]string, error) {
	if r.URL.RawPath == "" {
		if route := v.literal[r.URL.Path][r.Method]; route != nil {
			return route, nil, nil
		}
	}
	return v.router.FindRoute(r)
}

// Document returns the document the Validator judges by.
func (v *Validator) Document() *openapi3.T { return v.doc }

// MaxBody returns the largest body admitted.
func (v *Validator) MaxBody() int64 { return v.maxBody }

// Verdict is what a Validator decided of a request.
type Verdict struct {
	// Status is 0 for a request the document allows, else the status it implies: 404, 405, 406, 415, 413, 401
	// or 400.
	Status int
	// Reason says why, in a sentence, for an error body's message.
	Reason string
	// Violations name every field and rule broken (none for 404 and 405).
	Violations []lumamock.Violation
	// Header holds the headers the refusal carries: Allow (405) or WWW-Authenticate (401).
	Header http.Header
	// Route and Params are the operation the request routed to, when it did.
	Route  *routers.Route
	Params map[string]string
	// Body is the request body as read (for operations that take one); Value is the validated JSON body with
	// the document's defaults applied, for an admitted request.
	Body  []byte
	Value map[string]any
}

// Admitted reports whether the request is one the document allows.
func (d *Verdict) Admitted() bool { return d.Status == 0 }

// Operation is the operationId the request routed to, or "".
func (d *Verdict) Operation() string {
	if d.Route == nil {
		return ""
	}
	return d.Route.Operation.OperationID
}

// Admit judges r, reading its body (at most MaxBody+1 bytes) when the operation takes one; afterwards r.Body
// reads the same bytes again.
func (v *Validator) Admit(r *http.Request) Verdict {
	return v.judge(r, nil, false)
}

// AdmitBody judges r with body as its body, for callers that read it already (a proxy, a replay); r.Body is
// not read. A body longer than MaxBody is refused with 413.
func (v *Validator) AdmitBody(r *http.Request, body []byte) Verdict {
	return v.judge(r, body, true)
}

func (v *Validator) judge(r *http.Request, body []byte, given bool) (d Verdict) {
	var decoded any // the body, decoded once
	if r.Method == http.MethodHead && strings.Contains(v.allowed(r), http.MethodGet) {
		get := *r
		get.Method = http.MethodGet
		r = &get
	}
	route, params, err := v.findRoute(r)
	switch {
	case errors.Is(err, routers.ErrMethodNotAllowed):
		allow := v.allowed(r)
		return Verdict{Status: http.StatusMethodNotAllowed, Reason: fmt.Sprintf("%s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, allow),
			Header: http.Header{"Allow": {allow}}}
	case err != nil:
		return Verdict{Status: http.StatusNotFound, Reason: fmt.Sprintf("no operation at %s %s", r.Method, r.URL.Path)}
	}
	d.Route, d.Params = route, params
	if accept := r.Header["Accept"]; !acceptsAny(accept, v.media) {
		types := strings.Join(v.media, ", ")
		return d.refuse(http.StatusNotAcceptable, "the API answers only "+types, lumamock.Violation{In: lumamock.InHeader, Field: "Accept", Rule: "media-type",
			Message: fmt.Sprintf("Accept %q excludes %s, the media types of this API's answers", strings.Join(accept, ", "), types)})
	}
	rb := route.Operation.RequestBody
	if rb != nil {
		if ce := headerValue(r.Header, "Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
			msg := fmt.Sprintf("Content-Encoding %q is not supported; send the body uncompressed", ce)
			return d.refuse(http.StatusUnsupportedMediaType, msg, lumamock.Violation{In: lumamock.InHeader, Field: "Content-Encoding", Rule: "media-type", Message: msg})
		}
		if msg := contentTypeProblem(headerValue(r.Header, "Content-Type"), rb.Value); msg != "" {
			return d.refuse(http.StatusUnsupportedMediaType, msg, lumamock.Violation{In: lumamock.InHeader, Field: "Content-Type", Rule: "media-type", Message: msg})
		}
		if !given {
			if r.ContentLength > v.maxBody {
				return v.tooLarge(d)
			}
			var err error
			if body, err = readBody(r.Body, r.ContentLength, v.maxBody); err != nil {
				return d.refuse(http.StatusBadRequest, "reading the request body failed: "+err.Error())
			}
			r.Body = rereadable(body)
		}
		d.Body = body
		if int64(len(body)) > v.maxBody {
			return v.tooLarge(d)
		}
		if len(body) > 0 {
			var ok bool
			if decoded, ok = decodeJSON(body); !ok {
				msg := malformedJSON(body)
				return d.refuse(http.StatusBadRequest, msg, lumamock.Violation{In: lumamock.InBody, Rule: "json", Message: msg})
			}
		}
		if !utf8.Valid(body) { // JSON is UTF-8 (RFC 8259 §8.1); Go's decoder would quietly replace bad bytes
			msg := fmt.Sprintf("body is not valid UTF-8 (at byte %d)", invalidUTF8At(body))
			return d.refuse(http.StatusBadRequest, msg, lumamock.Violation{In: lumamock.InBody, Rule: "json", Message: msg})
		}
	}
	value, err := v.validate(r, route, params, body, decoded)
	if err == nil {
		d.Value = value
		return d
	}
	var authErr *authError
	if errors.As(err, &authErr) {
		challenge := "Bearer"
		if authErr.invalidToken {
			challenge = `Bearer error="invalid_token"`
		}
		d = d.refuse(http.StatusUnauthorized, authErr.reason, lumamock.Violation{In: lumamock.InHeader, Field: "Authorization", Rule: "security", Message: authErr.reason})
		d.Header = http.Header{"Www-Authenticate": {challenge}}
		return d
	}
	violations := lumamock.Violations(err)
	reason := "the request does not match the API document"
	if len(violations) > 0 {
		first := violations[0]
		reason = first.Message
		if first.Field != "" {
			reason = first.Field + ": " + first.Message
		}
		if len(violations) > 1 {
			reason += fmt.Sprintf(" (and %d more)", len(violations)-1)
		}
	}
	return d.refuse(http.StatusBadRequest, reason, violations...)
}

func (d Verdict) refuse(status int, reason string, violations ...lumamock.Violation) Verdict {
	d.Status, d.Reason, d.Violations = status, reason, violations
	return d
}

func (v *Validator) tooLarge(d Verdict) Verdict {
	msg := fmt.Sprintf("the body is larger than %d bytes", v.maxBody)
	return d.refuse(http.StatusRequestEntityTooLarge, msg, lumamock.Violation{In: lumamock.InBody, Rule: "maxBody", Message: msg})
}

// validate runs openapi3filter over r: security and parameters first, on a request without its body
// (kin-openapi's security check would otherwise copy the body once more), then the body (see validateJSON). It
// returns the validated body, or every violation of parameters and body together (an auth failure alone).
func (v *Validator) validate(r *http.Request, route *routers.Route, params map[string]string, body []byte, decoded any) (map[string]any, error) {
	// r itself is lent to kin-openapi, its body swapped and put back, rather than copied: a request is large,
	// and this runs on every one.
	body0, length0 := r.Body, r.ContentLength
	defer func() { r.Body, r.ContentLength = body0, length0 }()
	r.Body = http.NoBody
	input := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: v.withoutBody}
	err := openapi3filter.ValidateRequest(r.Context(), input)
	var authErr *authError
	if errors.As(err, &authErr) {
		return nil, authErr
	}
	rb := route.Operation.RequestBody
	if rb == nil {
		return nil, err
	}
	input.Options = v.withBody
	media := rb.Value.Content.Get(headerValue(r.Header, "Content-Type"))
	value, bodyErr, judged := v.validateJSON(input, rb.Value, media, decoded)
	if !judged {
		r.Body, r.ContentLength = rereadable(body), int64(len(body))
		bodyErr = openapi3filter.ValidateRequestBody(r.Context(), input, rb.Value)
		if vb, ok := r.Body.(interface{ ValidatedValue() any }); ok && bodyErr == nil { // KeepValidatedValue left it there
			value, _ = vb.ValidatedValue().(map[string]any)
		}
	}
	switch {
	case err == nil && bodyErr == nil:
		if media != nil && media.Schema != nil && value != nil {
			v.withDefaults(media.Schema.Value, value)
		}
		return value, nil
	case err == nil:
		return nil, bodyErr
	case bodyErr == nil:
		return nil, err
	}
	return nil, openapi3.MultiError{err, bodyErr}
}

// validateJSON judges an application/json body, decoded (as openapi3filter decodes it), against its schema,
// as openapi3filter.ValidateRequestBody does, with the same options and the same error; judged is false for
// any other body, which ValidateRequestBody judges. It spares the body's second reading and decoding:
// ValidateRequestBody reads the body again and decodes it anew.
//
// It pays: under callgrind, BenchmarkServer/mock-envelope (-cpu 1, 3000 then 6000 requests, GOGC=off) took
// 240,490 instructions per request before (json.Valid, then ValidateRequestBody reading and decoding the body
// again) and 229,778 after, with withDefaults' plan; 11,297 bytes and 141 allocations per request after, 171
// had the body been decoded twice; scripts/loadtest-ab.sh, same run, 20 rounds interleaved against the
// revision before it (on two shared cores at load 6-8): median requests/s head/base 1.100, median server CPU
// per request head/base 0.953, less CPU per request in 17 rounds of 20.
func (v *Validator) validateJSON(input *openapi3filter.RequestValidationInput, rb *openapi3.RequestBody, media *openapi3.MediaType, decoded any) (value map[string]any, err error, judged bool) {
	if decoded == nil {
		return nil, nil, false
	}
	ct := headerValue(input.Request.Header, "Content-Type")
	if media == nil || media.Schema == nil || media.Schema.Value == nil || !media.Schema.Value.Type.Is(openapi3.TypeObject) {
		return nil, nil, false
	}
	if mt, _, _ := strings.Cut(ct, ";"); !strings.EqualFold(strings.TrimSpace(mt), "application/json") { // as openapi3filter reads it
		return nil, nil, false
	}
	if c := v.bodies[media.Schema.Value]; c != nil && c.admits(decoded) {
		value, _ = decoded.(map[string]any)
		return value, nil, true
	}
	opts := []openapi3.SchemaValidationOption{openapi3.VisitAsRequest(), openapi3.MultiErrors()}
	if input.Route != nil && input.Route.Spec.IsOpenAPI31OrLater() {
		opts = append(opts, openapi3.EnableJSONSchema2020())
	}
	if err := media.Schema.Value.VisitJSON(decoded, opts...); err != nil {
		reason := "doesn't match schema"
		if id := strings.TrimSpace(media.Schema.Ref); id != "" {
			reason += " " + id
		} else if id := strings.TrimSpace(media.Schema.Value.Title); id != "" {
			reason += " " + id
		}
		return nil, &openapi3filter.RequestError{Input: input, RequestBody: rb, Reason: reason, Err: err}, true
	}
	value, _ = decoded.(map[string]any)
	return value, nil, true
}

// bodyReader reads a body already read again: io.NopCloser(bytes.NewReader(body)) in one allocation rather
// than two, on every request with a body.
type bodyReader struct{ bytes.Reader }

func (*bodyReader) Close() error { return nil }

func rereadable(body []byte) io.ReadCloser {
	b := &bodyReader{}
	b.Reset(body)
	return b
}

// decodeJSON decodes a JSON body as openapi3filter does (numbers as json.Number); ok is false unless body is
// exactly one JSON value (openapi3filter would accept trailing data after it).
func decodeJSON(body []byte) (value any, ok bool) {
	return jsonvalue.Decode(body)
}

// bodyDefaults is what a schema's documented defaults do to a body, worked out once per schema: the properties
// that take a default when absent, and those whose value, an object, may take defaults of its own.
type bodyDefaults []propertyDefault

type propertyDefault struct {
	name   string
	value  any              // the default when absent, or nil
	schema *openapi3.Schema // of a present object's own properties, or nil
}

// defaultsOf returns the defaults of schema s, worked out on first use.
func (v *Validator) defaultsOf(s *openapi3.Schema) bodyDefaults {
	if d, ok := v.defaults.Load(s); ok {
		return d.(bodyDefaults)
	}
	var d bodyDefaults
	for name, ref := range s.Properties {
		if ref == nil || ref.Value == nil {
			continue
		}
		p := propertyDefault{name: name, value: ref.Value.Default}
		if len(ref.Value.Properties) > 0 {
			p.schema = ref.Value
		}
		if p.value != nil || p.schema != nil {
			d = append(d, p)
		}
	}
	v.defaults.Store(s, d)
	return d
}

// withDefaults gives the properties absent from a valid body of schema s their documented defaults, in nested
// objects too. Present properties are kept as they are: validation has proved them allowed, null included
// where the document allows it.
func (v *Validator) withDefaults(s *openapi3.Schema, body map[string]any) {
	for _, p := range v.defaultsOf(s) {
		switch got, present := body[p.name]; {
		case !present && p.value != nil:
			body[p.name] = p.value
		case present && p.schema != nil:
			if obj, ok := got.(map[string]any); ok {
				v.withDefaults(p.schema, obj)
			}
		}
	}
}

// headerValue is h.Get(key) for a key in canonical form, as every key named here is: the first value, or "". It
// spares Get's canonicalizing of the key, about 400 instructions a call, six calls a request.
func headerValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// allowed lists the methods of the document path r matches.
func (v *Validator) allowed(r *http.Request) string {
	for _, p := range v.paths {
		var m mux.RouteMatch
		if p.route.Match(r, &m) || m.MatchErr == mux.ErrMethodMismatch {
			return p.allow
		}
	}
	return ""
}

// authError is why a request's credentials were refused.
type authError struct {
	reason       string
	invalidToken bool // credentials were given but are wrong (RFC 6750 invalid_token)
}

func (e *authError) Error() string { return e.reason }

// authenticate is the openapi3filter AuthenticationFunc: the document's bearer scheme, with the accepted keys.
func (v *Validator) authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	scheme := in.SecurityScheme
	if scheme.Type != "http" || !strings.EqualFold(scheme.Scheme, "bearer") {
		return fmt.Errorf("security scheme %s (%s %s) is not supported by lumamock", in.SecuritySchemeName, scheme.Type, scheme.Scheme)
	}
	h := headerValue(in.RequestValidationInput.Request.Header, "Authorization")
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
	if len(v.keys) > 0 && !v.keys[token] {
		return &authError{reason: "the API key is not accepted", invalidToken: true}
	}
	return nil
}

// contentTypeProblem says why ct is not a media type of the operation's body, or "".
func contentTypeProblem(ct string, rb *openapi3.RequestBody) string {
	if ct == "application/json" && rb.Content["application/json"] != nil {
		return "" // the common case, without parsing
	}
	mediaType, params, err := mime.ParseMediaType(ct)
	supported := strings.Join(slices.Sorted(maps.Keys(rb.Content)), ", ")
	switch {
	case ct == "":
		return "Content-Type is missing; want " + supported
	case err != nil:
		return fmt.Sprintf("Content-Type %q is malformed: %v", ct, err)
	case rb.Content.Get(mediaType) == nil || strings.Contains(mediaType, "*"):
		return fmt.Sprintf("Content-Type %q is not supported; want %s", mediaType, supported)
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return fmt.Sprintf("charset %q is not supported; JSON is UTF-8", cs)
	}
	return ""
}

// readBody reads body whole, into one allocation when its length is known, and at most limit+1 bytes (so the
// caller sees a body over the limit without reading it all).
func readBody(body io.Reader, length, limit int64) ([]byte, error) {
	if body == nil {
		return nil, nil
	}
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
// data after the first value.
func malformedJSON(data []byte) string {
	var raw json.RawMessage
	var syntax *json.SyntaxError
	if err := json.Unmarshal(data, &raw); errors.As(err, &syntax) {
		return fmt.Sprintf("body is not valid JSON: %s (at byte %d)", syntax.Error(), syntax.Offset)
	} else if err != nil {
		return "body is not valid JSON: " + err.Error()
	}
	return "body is not valid JSON"
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

// acceptsAny reports whether Accept header values admit one of types; no Accept admits anything.
func acceptsAny(values, types []string) bool {
	if len(values) == 0 {
		return true
	}
	for _, t := range types {
		if accepts(values, t) {
			return true
		}
	}
	return false
}

// accepts reports whether Accept header values admit the media type typ. The most specific matching range
// decides (RFC 9110 §12.5.1): application/json;q=0 refuses JSON even beside */*.
func accepts(values []string, typ string) bool {
	major, _, _ := strings.Cut(typ, "/")
	best, accepted := -1, false
	for _, v := range values {
		for rng := range strings.SplitSeq(v, ",") {
			mediaType, params, _ := strings.Cut(rng, ";")
			var specificity int
			switch strings.ToLower(strings.TrimSpace(mediaType)) {
			case "*/*":
				specificity = 0
			case major + "/*":
				specificity = 1
			case typ:
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

package check

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/contract"
)

// Auth says which Authorization header a case sends.
type Auth string

// The authorization variants of a case.
const (
	// AuthKey sends "Bearer <the API key>".
	AuthKey Auth = "key"
	// AuthNone sends no Authorization header.
	AuthNone Auth = "none"
	// AuthWrongKey sends a bearer token that no deployment accepts (WrongKey).
	AuthWrongKey Auth = "wrong-key"
)

// WrongKey is the bearer token the wrong-key case sends.
const WrongKey = "lumamock-check-wrong-key"

// UnknownTaskID is the task id the unknown-task case asks for.
const UnknownTaskID = "lumamock-check-unknown-task"

// Probes a case can carry: what the report learns from its answer besides drift.
const (
	// ProbeRequiredReading tells which reading of the source's required list the API follows.
	ProbeRequiredReading = "required-reading"
	// ProbeKeyCheck tells whether the API checks the key before it validates the body.
	ProbeKeyCheck = "key-check"
)

// Checks a runner adds to those of Checker (Finding.Check).
const (
	CheckTransport   = "transport"
	CheckEnforcement = "enforcement"
	CheckLifecycle   = "lifecycle"
	CheckCallbacks   = "callbacks"
	CheckShape       = "shape"
	CheckFixture     = "fixture"
)

// Case is one request the checker sends, what a correct API answers, and the checks to run on the answer.
type Case struct {
	// Name is stable and unique; finding ids and fixture files use it.
	Name        string `json:"name"`
	Description string `json:"description"`
	// Billable cases create real tasks and run only when allowed (Config.Billable).
	Billable bool `json:"billable"`
	// Negative cases break the document; a correct API rejects them, which is why they cost nothing. One the API
	// accepts may have created a task.
	Negative  bool   `json:"negative"`
	Operation string `json:"operation"`
	Method    string `json:"method"`
	// Path is the concrete request path.
	Path   string      `json:"path"`
	Header http.Header `json:"header,omitempty"`
	Auth   Auth        `json:"auth"`
	// Body is sent as is (it may be malformed on purpose); nil sends none.
	Body json.RawMessage `json:"body,omitempty"`
	// Pointer names the body field a negative case breaks.
	Pointer string `json:"pointer,omitempty"`
	// Allowed lists the statuses the document lists for the operation; Expect those a correct API answers.
	Allowed []int `json:"allowed"`
	Expect  []int `json:"expect"`
	// Follow polls the created task to a terminal state (and checks its callbacks).
	Follow bool `json:"follow,omitempty"`
	// Probe names what the answer tells beyond drift (ProbeRequiredReading, ProbeKeyCheck).
	Probe  string   `json:"probe,omitempty"`
	Checks []string `json:"checks"`
}

// NewRequest builds the case's request against baseURL, authorised with key where the case calls for it.
func (c Case) NewRequest(ctx context.Context, baseURL, key string) (*http.Request, error) {
	u, err := url.Parse(strings.TrimSuffix(baseURL, "/") + c.Path)
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", c.Name, err)
	}
	var body io.Reader = http.NoBody
	if c.Body != nil {
		body = bytes.NewReader(c.Body)
	}
	req, err := http.NewRequestWithContext(ctx, c.Method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", c.Name, err)
	}
	for k, vs := range c.Header {
		req.Header[k] = slices.Clone(vs)
	}
	req.Header.Set("User-Agent", "lumamock-check/"+lumamock.Version)
	switch c.Auth {
	case AuthKey:
		req.Header.Set("Authorization", "Bearer "+key)
	case AuthWrongKey:
		req.Header.Set("Authorization", "Bearer "+WrongKey)
	}
	return req, nil
}

// Cases derives the contract cases from doc: the create operation's documented example and variations
// (billable, in priority order) and negative cases that cost nothing — one per rule of the request schema
// (missing required field, empty string, bad enum value, wrong type, broken pattern), malformed JSON, missing
// auth, a wrong key, a wrong Content-Type, an Accept without JSON, and GET of an unknown task. Free cases come
// first, then billable ones in the order they are worth running.
func Cases(doc *openapi3.T) ([]Case, error) {
	d, err := newDerivation(doc)
	if err != nil {
		return nil, err
	}
	cases := d.fieldCases()
	cases = append(cases, d.bodyCases()...)
	cases = append(cases, d.headerCases()...)
	cases = append(cases, d.unknownTaskCases()...)
	return append(cases, d.billableCases()...), nil
}

// derivation is what the cases are derived from: the create request's schema and example, and the statuses
// both operations document.
type derivation struct {
	get                       *openapi3.Operation
	schema                    *openapi3.Schema // the create request body's
	example                   map[string]any   // the create request's documented example
	names                     []string         // the schema's properties, sorted
	createAllowed, getAllowed []int
	base                      Case // a well-formed create request
}

func newDerivation(doc *openapi3.T) (*derivation, error) {
	create, get, err := operations(doc)
	if err != nil {
		return nil, err
	}
	media := create.RequestBody.Value.Content.Get("application/json")
	if media == nil || media.Schema == nil || media.Schema.Value == nil {
		return nil, errors.New("check: createGeneration has no application/json request schema")
	}
	example, err := requestExample(media)
	if err != nil {
		return nil, err
	}
	d := &derivation{get: get, schema: media.Schema.Value, example: example,
		createAllowed: statuses(create), getAllowed: statuses(get)}
	for name := range d.schema.Properties {
		d.names = append(d.names, name)
	}
	sort.Strings(d.names)
	d.base = Case{Operation: create.OperationID, Method: http.MethodPost, Path: lumamock.PathGenerations,
		Header: http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}}, Auth: AuthKey,
		Allowed: d.createAllowed}
	return d, nil
}

// negative is a free create case: a request the document forbids, which a correct API rejects with expect.
func (d *derivation) negative(name, desc, pointer string, body []byte, expect int) Case {
	c := d.base
	c.Name, c.Description, c.Pointer, c.Body = name, desc, pointer, body
	c.Negative, c.Expect = true, []int{expect}
	c.Checks = []string{contract.CheckStatus, contract.CheckContentType, contract.CheckBody, contract.CheckTime, CheckEnforcement}
	return c
}

// with is the example body with field set to value.
func (d *derivation) with(field string, value any) []byte {
	return marshal(withField(d.example, field, value))
}

// fieldCases breaks each rule of the request schema once: a required field missing, an empty string, a value
// outside an enum, a broken pattern, a wrong JSON type. Only bodies the schema really rejects are kept: a case
// that cannot fail proves nothing.
func (d *derivation) fieldCases() []Case {
	var out []Case
	for _, name := range d.schema.Required {
		out = append(out, d.negative("missing-"+name, "body without the required field "+name, lumamock.JSONPointer(name),
			marshal(without(d.example, name)), http.StatusBadRequest))
	}
	for _, name := range d.names {
		p := d.schema.Properties[name].Value
		ptr := lumamock.JSONPointer(name)
		if p.Type.Is("string") && p.MinLength > 0 {
			out = append(out, d.negative("empty-"+name, name+" is an empty string (minLength "+strconv.FormatUint(p.MinLength, 10)+")",
				ptr, d.with(name, ""), http.StatusBadRequest))
		}
		if len(p.Enum) > 0 {
			out = append(out, d.negative("bad-enum-"+name, name+" is not one of its documented values", ptr,
				d.with(name, "lumamock-not-a-"+name), http.StatusBadRequest))
		}
		if p.Pattern != "" {
			out = append(out, d.negative("bad-pattern-"+name, name+" does not match its pattern", ptr,
				d.with(name, "not a valid value"), http.StatusBadRequest))
		}
		if wrong, ok := wrongType(p); ok {
			out = append(out, d.negative("wrong-type-"+name, name+" has the wrong JSON type", ptr, d.with(name, wrong), http.StatusBadRequest))
		}
	}
	return slices.DeleteFunc(out, func(c Case) bool {
		var v any
		return json.Unmarshal(c.Body, &v) == nil && d.schema.VisitJSON(v, openapi3.VisitAsRequest()) == nil
	})
}

// bodyCases send bodies that are not the object the document asks for.
func (d *derivation) bodyCases() []Case {
	valid := marshal(d.example)
	return []Case{
		d.negative("malformed-json", "the body is not valid JSON", "", valid[:len(valid)/2], http.StatusBadRequest),
		d.negative("wrong-type-body", "the body is a JSON array, not an object", "", []byte("[]"), http.StatusBadRequest),
		d.negative("empty-body", "no body at all", "", []byte{}, http.StatusBadRequest),
	}
}

// headerCases send the example body with a header the document refuses, for each refusal it documents: a wrong
// Content-Type, an Accept without JSON, no key, a wrong key.
func (d *derivation) headerCases() []Case {
	var out []Case
	valid := marshal(d.example)
	if has(d.createAllowed, http.StatusUnsupportedMediaType) {
		c := d.negative("wrong-content-type", "the example body sent as text/plain", "", valid, http.StatusUnsupportedMediaType)
		c.Header = http.Header{"Content-Type": {"text/plain"}, "Accept": {"application/json"}}
		out = append(out, c)
	}
	if has(d.createAllowed, http.StatusNotAcceptable) {
		c := d.negative("not-acceptable", "Accept excludes application/json", "", valid, http.StatusNotAcceptable)
		c.Header = http.Header{"Content-Type": {"application/json"}, "Accept": {"text/html"}}
		out = append(out, c)
	}
	if !has(d.createAllowed, http.StatusUnauthorized) {
		return out
	}
	c := d.negative("auth-missing", "the example request without Authorization", "", valid, http.StatusUnauthorized)
	c.Auth = AuthNone
	out = append(out, c)
	// The wrong key goes with an invalid body, so that even an API that takes any key creates nothing; 400 then
	// means the API validated the body before the key.
	if _, ok := d.schema.Properties[lumamock.FieldUserPrompt]; ok {
		c = d.negative("auth-wrong-key", "a key no deployment accepts, with an empty "+lumamock.FieldUserPrompt+" so it stays free", "",
			d.with(lumamock.FieldUserPrompt, ""), http.StatusUnauthorized)
	} else {
		c = d.negative("auth-wrong-key", "a key no deployment accepts, with a body that is not JSON so it stays free", "",
			[]byte("{"), http.StatusUnauthorized)
	}
	c.Auth, c.Expect, c.Probe = AuthWrongKey, []int{http.StatusUnauthorized, http.StatusBadRequest}, ProbeKeyCheck
	return append(out, c)
}

// unknownTaskCases GET a task that does not exist, when the document says that is a 404.
func (d *derivation) unknownTaskCases() []Case {
	if !has(d.getAllowed, http.StatusNotFound) {
		return nil
	}
	return []Case{{Name: "get-unknown-task", Description: "GET of a task id that does not exist",
		Negative: true, Operation: d.get.OperationID, Method: http.MethodGet,
		Path:   strings.Replace(lumamock.PathGeneration, "{task_id}", UnknownTaskID, 1),
		Header: http.Header{"Accept": {"application/json"}}, Auth: AuthKey, Allowed: d.getAllowed,
		Expect: []int{http.StatusNotFound},
		Checks: []string{contract.CheckStatus, contract.CheckContentType, contract.CheckBody, contract.CheckTime, CheckEnforcement}}}
}

// billableCases create real tasks, in the order they are worth running: the documented example, only the
// required fields (which reading of the source's required list the API follows), then the example with each
// other documented enum value.
func (d *derivation) billableCases() []Case {
	billable := func(name, desc string, body map[string]any) Case {
		c := d.base
		c.Name, c.Description, c.Body = name, desc, marshal(body)
		c.Billable, c.Follow, c.Expect = true, true, []int{http.StatusOK}
		c.Checks = []string{contract.CheckStatus, contract.CheckContentType, contract.CheckBody, contract.CheckTime, CheckLifecycle,
			contract.CheckIDs, contract.CheckAssets, CheckCallbacks}
		return c
	}
	out := []Case{billable("create-source-example", "the document's example request", d.example)}
	onlyRequired := map[string]any{}
	for _, name := range d.schema.Required {
		onlyRequired[name] = d.example[name]
	}
	probe := billable("create-required-only", "only the required fields ("+strings.Join(d.schema.Required, ", ")+
		"): which reading of the source's required list the API follows", onlyRequired)
	probe.Probe = ProbeRequiredReading
	out = append(out, probe)
	for _, name := range d.names {
		for _, e := range d.schema.Properties[name].Value.Enum {
			s, ok := e.(string)
			if !ok || d.example[name] == s {
				continue
			}
			out = append(out, billable("create-"+name+"-"+s, "the example with "+name+" "+s, withField(d.example, name, s)))
		}
	}
	return out
}

// operations returns the create and get operations of doc.
func operations(doc *openapi3.T) (create, get *openapi3.Operation, err error) {
	if item := doc.Paths.Value(lumamock.PathGenerations); item != nil {
		create = item.Post
	}
	if item := doc.Paths.Value(lumamock.PathGeneration); item != nil {
		get = item.Get
	}
	if create == nil || get == nil || create.RequestBody == nil || create.RequestBody.Value == nil {
		return nil, nil, fmt.Errorf("check: the document lacks POST %s or GET %s", lumamock.PathGenerations, lumamock.PathGeneration)
	}
	return create, get, nil
}

// requestExample returns the request body's example: the "source" named example, else the first named one,
// else the media type's or the schema's example.
func requestExample(media *openapi3.MediaType) (map[string]any, error) {
	var raw any
	if ex := media.Examples["source"]; ex != nil && ex.Value != nil {
		raw = ex.Value.Value
	} else if len(media.Examples) > 0 {
		keys := make([]string, 0, len(media.Examples))
		for k := range media.Examples {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if ex := media.Examples[keys[0]]; ex.Value != nil {
			raw = ex.Value.Value
		}
	} else if media.Example != nil {
		raw = media.Example
	} else if media.Schema != nil && media.Schema.Value != nil {
		raw = media.Schema.Value.Example
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, errors.New("check: the create operation's request has no object example")
	}
	return obj, nil
}

func statuses(op *openapi3.Operation) []int {
	var out []int
	for code := range op.Responses.Map() {
		if n, err := strconv.Atoi(code); err == nil {
			out = append(out, n)
		}
	}
	sort.Ints(out)
	return out
}

// wrongType returns a value of a JSON type the schema does not allow.
func wrongType(s *openapi3.Schema) (any, bool) {
	switch {
	case s.Type.Is("string"):
		return 12345, true
	case s.Type.Is("boolean"):
		return "yes", true
	case s.Type.Is("integer"), s.Type.Is("number"):
		return "1", true
	case s.Type.Is("array"), s.Type.Is("object"):
		return "x", true
	}
	return nil, false
}

func withField(m map[string]any, field string, value any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	out[field] = value
	return out
}

func without(m map[string]any, field string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if k != field {
			out[k] = v
		}
	}
	return out
}

func marshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // values built from a parsed document always marshal
	}
	return b
}

func has(list []int, v int) bool { return slices.Contains(list, v) }

package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/admission"
	"github.com/lumamock/lumamock/internal/snip"
)

// Names of the checks a Checker runs on one message (Finding.Check). The runner of package check adds its own
// (enforcement, lifecycle, callbacks, fixture) and prefixes checks of poll responses with "poll.".
const (
	CheckStatus       = "status"
	CheckContentType  = "content-type"
	CheckBody         = "body"
	CheckTime         = "time"
	CheckRequestValid = "request"
	// CheckAssets: a finished task carries what the document says (CheckFinished).
	CheckAssets = "assets"
	// CheckIDs: the ids a message carries agree (X-Request-Id with request_id, a task's id with the one asked for).
	CheckIDs = "ids"
)

// Component schemas whose shape the checker names (Result.Shape) and whose task fields it reads. A test proves
// each against openapi.yaml.
var (
	schemaShapes = map[string]lumamock.Shape{
		lumamock.ShapeEnvelope.TaskSchema(): lumamock.ShapeEnvelope, "EnvelopeError": lumamock.ShapeEnvelope,
		lumamock.ShapeLuma.TaskSchema(): lumamock.ShapeLuma, "LumaError": lumamock.ShapeLuma,
	}
	taskLayouts = map[string]taskLayout{
		lumamock.ShapeEnvelope.TaskSchema(): {container: "data", id: "task_id", state: "task_status"},
		lumamock.ShapeLuma.TaskSchema():     {container: "", id: "id", state: "state"},
	}
)

// The request id's header and body member (components/headers/X-Request-Id; request_id of the envelope and of
// both error shapes).
const (
	requestIDHeader = "X-Request-Id"
	requestIDField  = "request_id"
)

// failureReasonField is the property a failed task explains itself with (TaskData and Generation).
const failureReasonField = "failure_reason"

// taskLayout says where a task schema keeps its id and state: container is the property holding the task object
// ("" for the body itself).
type taskLayout struct{ container, id, state string }

// CheckerOptions configure a Checker. The zero value checks everything except response time.
type CheckerOptions struct {
	// Slow is the response time above which CheckResponse reports a slow answer; 0 turns the check off.
	Slow time.Duration
}

// Checker holds API traffic to an OpenAPI document of the Luma proxy API. It is safe for concurrent use.
type Checker struct {
	doc    *openapi3.T
	router routers.Router
	judge  *admission.Validator // requests: the same judge as the mock's and the proxy's
	opts   CheckerOptions
	// assets lists, per task schema, the properties holding a finished task's assets (Video and Image refs).
	assets map[string][]string
}

// NewChecker prepares a Checker for doc (lumamock.MustLoad() for the embedded document). The document's
// servers are ignored, so any host can be checked.
func NewChecker(doc *openapi3.T, opts CheckerOptions) (*Checker, error) {
	if doc == nil {
		return nil, errors.New("contract: nil document")
	}
	shallow := *doc
	shallow.Servers = nil
	router, err := gorillamux.NewRouter(&shallow)
	if err != nil {
		return nil, fmt.Errorf("contract: route document: %w", err)
	}
	judge, err := admission.New(admission.Options{Document: doc})
	if err != nil {
		return nil, fmt.Errorf("contract: %w", err)
	}
	c := &Checker{doc: doc, router: router, judge: judge, opts: opts, assets: map[string][]string{}}
	for name, layout := range taskLayouts {
		ref := doc.Components.Schemas[name]
		if ref == nil || ref.Value == nil {
			continue
		}
		task := ref.Value
		if layout.container != "" {
			p := task.Properties[layout.container]
			if p == nil || p.Value == nil {
				continue
			}
			task = p.Value
		}
		for prop, ps := range task.Properties {
			if ps.Ref == "#/components/schemas/Video" || ps.Ref == "#/components/schemas/Image" {
				c.assets[name] = append(c.assets[name], prop)
			}
		}
		sort.Strings(c.assets[name])
	}
	return c, nil
}

// Document returns the document the checker holds traffic to.
func (c *Checker) Document() *openapi3.T { return c.doc }

// Response is an HTTP response as the checks see it: the body already read (at most some limit).
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	// Truncated is true when Body was cut at the read limit; the body is then not checked.
	Truncated bool
	// Duration is the time from sending the request to reading the body; 0 skips the time check.
	Duration time.Duration
}

// Task is what a task body says about its task.
type Task struct {
	ID    string             `json:"id"`
	State lumamock.TaskState `json:"state"`
	// Assets maps each documented asset field (video, thumbnail, ...) to whether it holds a value.
	Assets map[string]bool `json:"assets,omitempty"`
	// FailureReason is true when the task states why it failed.
	FailureReason bool `json:"failure_reason,omitempty"`
}

// Result is what CheckResponse or CheckCallback learned from one body.
type Result struct {
	// Operation is the operationId the request was routed to.
	Operation string
	// Schema is the component schema the body matched (best), e.g. "TaskEnvelope" or "LumaError".
	Schema string
	// Shape is the response shape that schema belongs to, "" when none.
	Shape lumamock.Shape
	// Value is the decoded JSON body; nil when the body was not checked.
	Value any
	// Task is set for bodies that carry a task (a 200 answer, a callback).
	Task *Task
	// Findings lists every way the response broke the document.
	Findings []Finding
}

// ErrUnknownOperation is returned for a request that no operation of the document matches.
var ErrUnknownOperation = errors.New("contract: no operation of the document matches the request")

// CheckResponse checks resp, the answer to req, against the operation req routes to: status documented,
// Content-Type, body valid against the schema (every violation, by JSON pointer), fields and enum values the
// document does not name, error bodies in a documented error shape, and response time. It does not judge
// whether the status suits the request; that is the caller's knowledge.
func (c *Checker) CheckResponse(ctx context.Context, req *http.Request, resp Response) (Result, error) {
	route, _, err := c.router.FindRoute(req)
	if err != nil {
		return Result{}, fmt.Errorf("%w: %s %s", ErrUnknownOperation, req.Method, req.URL.Path)
	}
	op := route.Operation
	res := Result{Operation: op.OperationID}
	if c.opts.Slow > 0 && resp.Duration > c.opts.Slow {
		res.Findings = append(res.Findings, NewFinding(CheckTime, KindSlow, "",
			"at most "+c.opts.Slow.String(), resp.Duration.Round(time.Millisecond).String(),
			"the answer took longer than the slow threshold"))
	}
	status := strconv.Itoa(resp.Status)
	if resp.Status >= 300 && resp.Status < 400 {
		res.Findings = append(res.Findings, NewFinding(CheckStatus, KindRedirect, "", documentedStatuses(op),
			status+" "+resp.Header.Get("Location"), "the API redirects; redirects are not followed"))
		return res, nil
	}
	responseRef := op.Responses.Status(resp.Status)
	if responseRef == nil {
		responseRef = op.Responses.Default()
	}
	if responseRef == nil || responseRef.Value == nil {
		kind := KindUndocumentedStatus
		if resp.Status >= 500 {
			kind = KindServerError
		}
		res.Findings = append(res.Findings, NewFinding(CheckStatus, kind, "", documentedStatuses(op), status,
			fmt.Sprintf("%s answered %d, which the document does not list", op.OperationID, resp.Status)))
		return res, nil
	}
	c.checkContent(&res, responseRef.Value.Content, resp, resp.Status >= 400)
	return res, nil
}

// CheckCallback checks one callback delivery (the body a server POSTed to notify_hook) against the callback
// the document declares on the create operation.
func (c *Checker) CheckCallback(header http.Header, body []byte) Result {
	res := Result{Operation: lumamock.CallbackNotify}
	content := c.callbackContent()
	if content == nil {
		return res
	}
	c.checkContent(&res, content, Response{Status: http.StatusOK, Header: header, Body: body}, false)
	return res
}

func (c *Checker) callbackContent() openapi3.Content {
	content, _ := lumamock.CallbackContent(c.doc) // a document without the callback has nothing to check it by
	return content
}

// checkContent runs the Content-Type and body checks of one response or callback body.
func (c *Checker) checkContent(res *Result, content openapi3.Content, resp Response, isError bool) {
	if len(content) == 0 {
		return
	}
	ct := resp.Header.Get("Content-Type")
	mediaType, _, perr := mime.ParseMediaType(ct)
	media := content.Get(mediaType)
	if perr != nil || media == nil {
		res.Findings = append(res.Findings, NewFinding(CheckContentType, KindContentType, "",
			strings.Join(contentTypes(content), " or "), quoteOr(ct, "none"), "the body's media type is not documented"))
		media = content.Get("application/json")
		if media == nil {
			return
		}
	}
	if resp.Truncated {
		res.Findings = append(res.Findings, NewFinding(CheckBody, KindBodyTooLarge, "", "a body within the read limit",
			fmt.Sprintf("more than %d bytes", len(resp.Body)), "the body is too large to check"))
		return
	}
	var value any
	dec := json.NewDecoder(bytes.NewReader(resp.Body))
	if err := dec.Decode(&value); err != nil || dec.More() {
		res.Findings = append(res.Findings, NewFinding(CheckBody, KindNotJSON, "", "a JSON body", snippet(resp.Body),
			"the body is not JSON"))
		return
	}
	res.Value = value
	if media.Schema == nil || media.Schema.Value == nil {
		return
	}
	name, findings, matched := c.checkValue(media.Schema, value)
	res.Schema = name
	res.Shape = schemaShapes[name]
	if isError && !matched {
		res.Findings = append(res.Findings, NewFinding(CheckBody, KindErrorShape, "", "an error body in a documented shape ("+strings.Join(branchNames(media.Schema), " or ")+")",
			"keys "+topKeys(value), "the error body matches no documented error shape"))
	}
	res.Findings = append(res.Findings, findings...)
	res.Findings = append(res.Findings, requestIDAgrees(resp.Header, value)...)
	if layout, ok := taskLayouts[name]; ok {
		res.Task = c.readTask(name, layout, value)
	}
}

// requestIDAgrees checks that a body's request_id, when the body has one, is the X-Request-Id header's value, as
// the document describes both.
func requestIDAgrees(h http.Header, value any) []Finding {
	header := h.Get(requestIDHeader)
	obj, _ := value.(map[string]any)
	body, ok := obj[requestIDField].(string)
	if header == "" || !ok || body == header {
		return nil
	}
	return []Finding{NewFinding(CheckIDs, KindIDMismatch, "/"+requestIDField, header+" (the "+requestIDHeader+" header)", body,
		"the body's request id differs from the header's")}
}

// checkValue validates value against ref, or against the oneOf branch lumamock.Branch picks. It returns the
// name of the schema used, the findings and whether value matched without violation.
func (c *Checker) checkValue(ref *openapi3.SchemaRef, value any) (string, []Finding, bool) {
	branch, violations := lumamock.Branch(ref, value, openapi3.VisitAsResponse())
	if branch == nil {
		return "", nil, false
	}
	name := refName(branch)
	if name == "" {
		name = refName(ref)
	}
	var findings []Finding
	for _, v := range violations {
		findings = append(findings, violationFinding(branch.Value, value, v))
	}
	undocumented(branch.Value, value, "", &findings)
	return name, findings, len(violations) == 0
}

func violationFinding(schema *openapi3.Schema, value any, v lumamock.Violation) Finding {
	kind := KindConstraint
	switch v.Rule {
	case "required":
		kind = KindMissingRequired
	case "type", "nullable":
		kind = KindTypeChanged
	case "enum":
		kind = KindNewEnumValue
	}
	expected := describe(schemaAt(schema, v.Field))
	actual := "absent"
	if kind != KindMissingRequired {
		if got, ok := valueAt(value, v.Field); ok {
			actual = snip.JSON(got)
		}
	}
	return NewFinding(CheckBody, kind, v.Field, expected, actual, v.Message)
}

// undocumented reports every object member of v that schema s does not name, even where additionalProperties
// allows it.
func undocumented(s *openapi3.Schema, v any, ptr string, out *[]Finding) {
	if s == nil {
		return
	}
	switch v := v.(type) {
	case map[string]any:
		props := properties(s, v)
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := ptr + lumamock.JSONPointer(k)
			sub, ok := props[k]
			if !ok {
				*out = append(*out, NewFinding(CheckBody, KindUndocumentedField, p, "no such field", snip.JSON(v[k]),
					fmt.Sprintf("field %q is not in the document", k)))
				continue
			}
			undocumented(sub, v[k], p, out)
		}
	case []any:
		if s.Items == nil || s.Items.Value == nil {
			return
		}
		for i, item := range v {
			undocumented(s.Items.Value, item, ptr+"/"+strconv.Itoa(i), out)
		}
	}
}

// properties collects the properties schema s names for object v, through allOf and the matching oneOf/anyOf
// branch.
func properties(s *openapi3.Schema, v map[string]any) map[string]*openapi3.Schema {
	out := map[string]*openapi3.Schema{}
	for name, p := range s.Properties {
		if p != nil {
			out[name] = p.Value
		}
	}
	for _, a := range s.AllOf {
		if a.Value != nil {
			for name, p := range properties(a.Value, v) {
				out[name] = p
			}
		}
	}
	if len(s.OneOf) > 0 || len(s.AnyOf) > 0 {
		if b, _ := lumamock.Branch(&openapi3.SchemaRef{Value: s}, v); b != nil {
			for name, p := range properties(b.Value, v) {
				out[name] = p
			}
		}
	}
	return out
}

// CheckFinished checks that a task body in a terminal state (a Result of CheckResponse or CheckCallback) carries
// what the document says such a task does: a completed task every asset (its Video and Image properties), a
// failed one its failure_reason. Other results have nothing to check.
func (c *Checker) CheckFinished(res Result) []Finding {
	task := res.Task
	if task == nil {
		return nil
	}
	var out []Finding
	prefix := containerPointer(res.Schema)
	switch task.State {
	case lumamock.StateCompleted:
		for _, name := range c.assets[res.Schema] {
			if !task.Assets[name] {
				out = append(out, NewFinding(CheckAssets, KindMissingAsset, prefix+lumamock.JSONPointer(name),
					"an object (url, width, height)", "null or absent", "a completed task lacks its "+name))
			}
		}
	case lumamock.StateFailed:
		if !task.FailureReason {
			out = append(out, NewFinding(CheckAssets, KindMissingAsset, prefix+lumamock.JSONPointer(failureReasonField),
				"a reason", "null or absent", "a failed task does not say why"))
		}
	}
	return out
}

// TaskPointers returns where a body of a task schema (a Result.Schema: TaskEnvelope or Generation) holds its
// task's id and state, as JSON pointers; both are "" for any other schema.
func TaskPointers(schema string) (id, state string) {
	l, ok := taskLayouts[schema]
	if !ok {
		return "", ""
	}
	prefix := containerPointer(schema)
	return prefix + lumamock.JSONPointer(l.id), prefix + lumamock.JSONPointer(l.state)
}

func containerPointer(schema string) string {
	if l, ok := taskLayouts[schema]; ok && l.container != "" {
		return lumamock.JSONPointer(l.container)
	}
	return ""
}

// readTask reads a task's id, state and assets from a body that matched task schema name.
func (c *Checker) readTask(name string, layout taskLayout, value any) *Task {
	obj, _ := value.(map[string]any)
	if layout.container != "" {
		obj, _ = obj[layout.container].(map[string]any)
	}
	if obj == nil {
		return nil
	}
	t := &Task{Assets: map[string]bool{}}
	t.ID, _ = obj[layout.id].(string)
	state, _ := obj[layout.state].(string)
	t.State = lumamock.TaskState(state)
	for _, a := range c.assets[name] {
		_, isObject := obj[a].(map[string]any)
		t.Assets[a] = isObject
	}
	reason, _ := obj[failureReasonField].(string)
	t.FailureReason = reason != ""
	return t
}

// CheckRequest checks a request (its body already read into body) against the document: route, parameters,
// Content-Type, body schema and a present bearer token. Each violation is a finding of kind invalid-request.
// The validating proxy uses it on the traffic it forwards.
func (c *Checker) CheckRequest(ctx context.Context, req *http.Request, body []byte) ([]Finding, error) {
	d := c.judge.AdmitBody(req.WithContext(ctx), body)
	if d.Route == nil {
		return nil, fmt.Errorf("%w: %s %s", ErrUnknownOperation, req.Method, req.URL.Path)
	}
	return RequestFindings(d), nil
}

// RequestFindings turns the verdict of package admission on a request into findings: one per violation, each
// carrying it, or one naming the reason when the refusal names no field.
func RequestFindings(d admission.Verdict) []Finding {
	if d.Admitted() {
		return nil
	}
	violations := d.Violations
	if len(violations) == 0 {
		violations = []lumamock.Violation{{Message: d.Reason}}
	}
	out := make([]Finding, 0, len(violations))
	for _, v := range violations {
		pointer := ""
		if v.In == lumamock.InBody {
			pointer = v.Field
		}
		where := v.In
		if v.Field != "" {
			where += " " + v.Field
		}
		f := NewFinding(CheckRequestValid, KindInvalidRequest, pointer, "a request the document allows", strings.TrimSpace(where+" breaks "+v.Rule), v.Message)
		f.Violation = &v
		out = append(out, f)
	}
	return out
}

func documentedStatuses(op *openapi3.Operation) string {
	return "one of " + strings.Join(lumamock.DocumentedStatuses(op), ", ")
}

func contentTypes(content openapi3.Content) []string {
	var out []string
	for ct := range content {
		out = append(out, ct)
	}
	sort.Strings(out)
	return out
}

func branchNames(ref *openapi3.SchemaRef) []string {
	if len(ref.Value.OneOf) == 0 {
		return []string{refName(ref)}
	}
	var out []string
	for _, b := range ref.Value.OneOf {
		out = append(out, refName(b))
	}
	return out
}

func refName(ref *openapi3.SchemaRef) string {
	if i := strings.LastIndexByte(ref.Ref, '/'); i >= 0 {
		return ref.Ref[i+1:]
	}
	return ref.Ref
}

func topKeys(v any) string {
	obj, ok := v.(map[string]any)
	if !ok {
		return snip.JSON(v)
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return "[" + strings.Join(keys, " ") + "]"
}

func quoteOr(s, empty string) string {
	if s == "" {
		return empty
	}
	return strconv.Quote(s)
}

package diff

import "fmt"

// Class says what a change means for a client of the API.
type Class string

// The three classes, most severe first.
const (
	// Breaking: a client written against the base can fail against the revision.
	Breaking Class = "breaking"
	// Warning: a client keeps working in most cases, but may need a change (a new status, a new enum value).
	Warning Class = "warning"
	// Info: nothing a client does stops working (a new optional field, a removed error status).
	Info Class = "info"
)

// rank orders classes, most severe first.
func (c Class) rank() int {
	switch c {
	case Breaking:
		return 0
	case Warning:
		return 1
	}
	return 2
}

// AtLeast reports whether c is as severe as min or more.
func (c Class) AtLeast(min Class) bool { return c.rank() <= min.rank() }

// ParseClass reads "breaking", "warning" or "info".
func ParseClass(s string) (Class, error) {
	switch c := Class(s); c {
	case Breaking, Warning, Info:
		return c, nil
	}
	return "", fmt.Errorf("%q is not a class: want breaking, warning or info", s)
}

// Rule is one kind of change Compare reports. Each rule has one class.
type Rule struct {
	ID    string
	Class Class
	// About says what the rule detects, as the docs' table says it.
	About string
}

// Rules lists every rule, in the order the docs present them.
var Rules = []Rule{
	// Operations and requests: what a client sends.
	{"operation-removed", Breaking, "an operation (method and path) is gone"},
	{"operation-added", Info, "a new operation"},
	{"request-parameter-required-added", Breaking, "a new required parameter or header, or one that became required"},
	{"request-parameter-added", Info, "a new optional parameter or header"},
	{"request-parameter-removed", Warning, "a parameter or header is no longer read"},
	{"request-body-required-added", Breaking, "the request body became required"},
	{"request-media-type-removed", Breaking, "a request content type is no longer accepted"},
	{"request-media-type-added", Info, "a new accepted request content type"},
	{"request-property-required-added", Breaking, "a new required field, or a field that became required"},
	{"request-property-added", Info, "a new optional field"},
	{"request-property-removed", Breaking, "a field the client may send is gone"},
	{"request-property-became-optional", Info, "a required field became optional"},
	{"request-enum-value-removed", Breaking, "a value the client may send is no longer allowed (or an enum now limits the field)"},
	{"request-enum-value-added", Info, "a new allowed value"},
	{"request-type-narrowed", Breaking, "a field's type changed so that values the client sends may be refused (null included)"},
	{"request-pattern-narrowed", Breaking, "a new or changed pattern or format"},
	{"request-length-narrowed", Breaking, "a lower maxLength/maxItems or a higher minLength/minItems"},
	{"request-range-narrowed", Breaking, "a lower maximum or a higher minimum"},
	{"request-constraint-widened", Info, "a type, pattern, format, length or range accepts more"},
	{"request-oneof-changed", Breaking, "an alternative (oneOf/anyOf) of a request schema is gone"},
	{"request-security-changed", Breaking, "the operation asks for other credentials"},
	// Responses: what a client reads.
	{"response-success-status-removed", Breaking, "a 2xx status is gone"},
	{"response-error-status-removed", Info, "an error status is gone (the client's handling of it stays unused)"},
	{"response-status-added", Warning, "a new status the client may not handle"},
	{"response-media-type-removed", Breaking, "a response content type is gone (a changed content type)"},
	{"response-media-type-added", Warning, "a new response content type"},
	{"response-property-removed", Breaking, "a field the client reads is gone"},
	{"response-property-renamed", Breaking, "a field the client reads has a new name"},
	{"response-property-became-optional", Breaking, "a field the client reads is no longer required"},
	{"response-property-added", Info, "a new field"},
	{"response-type-changed", Breaking, "a field's type changed, or it may now be null"},
	{"response-state-value-added", Breaking, "a new value of the task state (state, task_status)"},
	{"response-enum-value-added", Warning, "a new value of another enum"},
	{"response-enum-value-removed", Info, "a value the client will no longer see"},
	{"response-constraint-widened", Warning, "a pattern, format, length or range of a response value accepts more"},
	{"response-oneof-changed", Breaking, "a new alternative (oneOf/anyOf) the client may receive"},
	{"response-oneof-branch-removed", Info, "an alternative the client will no longer receive"},
	{"response-header-removed", Warning, "a response header is gone"},
	// Callbacks: the body is judged as a response the client receives, the answer as a request it sends.
	{"callback-removed", Breaking, "a callback the client's receiver waits for is gone"},
	{"callback-added", Info, "a new callback"},
	{"callback-url-changed", Breaking, "the callback goes to another URL (its expression changed)"},
	{"callback-answer-removed", Breaking, "a status the receiver answers with is no longer accepted"},
	{"callback-answer-added", Info, "a new accepted answer"},
	// Lifecycle: x-transitions and x-terminal of the task state.
	{"lifecycle-state-added", Breaking, "a new state"},
	{"lifecycle-state-removed", Warning, "a state is gone"},
	{"lifecycle-transition-added", Warning, "a new transition between states"},
	{"lifecycle-transition-removed", Breaking, "a transition is gone"},
	{"lifecycle-terminal-added", Breaking, "a state became terminal (clients that wait past it wait forever)"},
	{"lifecycle-terminal-removed", Breaking, "a state stopped being terminal (clients stop following too early)"},
	{"lifecycle-removed", Warning, "the document no longer describes the lifecycle"},
	// Settled conflicts and the mock's Prefer header.
	{"settled-removed", Warning, "an x-settled note is gone: the behaviour it justified may follow the source now"},
	{"settled-added", Info, "a new x-settled note"},
	{"settled-changed", Info, "an x-settled note says something else"},
	{"source-required-changed", Info, "x-source-required (the source's literal required list) changed"},
	{"prefer-code-removed", Breaking, "an error status is gone, so the mock answers Prefer: code=N for it with a 400"},
	{"prefer-schema-removed", Breaking, "a task shape is gone, so the mock refuses Prefer: schema=… and --schema for it"},
	// Apifox pages, compared with an OpenAPI document as far as the page says anything.
	{"known-settled", Info, "a difference the OpenAPI document settled on purpose (x-settled): known, not drift"},
	{"page-description-changed", Info, "a field's description differs from the page's"},
	{"page-example-invalid", Warning, "the page's example breaks the OpenAPI document's schema"},
}

var ruleClass = func() map[string]Class {
	m := make(map[string]Class, len(Rules))
	for _, r := range Rules {
		m[r.ID] = r.Class
	}
	return m
}()

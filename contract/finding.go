package contract

import (
	"cmp"

	"github.com/lumamock/lumamock"
)

// Class says what a finding means for a client of the API.
type Class string

// The four classes of finding.
const (
	// Breaking drift: a client written against the document can fail (a required field missing, a type changed,
	// an undocumented status, an error shape changed, an illegal state transition).
	Breaking Class = "breaking"
	// Additive drift: the API says more than the document (an undocumented field, a new enum or state value).
	Additive Class = "additive"
	// Validation drift: the API accepts what the document forbids, or rejects what it allows.
	Validation Class = "validation"
	// Transport problems: the API could not be reached or answered in a way no check could read (timeouts, TLS,
	// redirects, wrong content type, non-JSON or huge bodies, 5xx, slow responses, a task that cannot be polled,
	// the run's time limit).
	Transport Class = "transport"
)

// classRank orders classes in reports, most severe first.
func (c Class) rank() int {
	switch c {
	case Breaking:
		return 0
	case Validation:
		return 1
	case Additive:
		return 2
	}
	return 3
}

// Kind names what was found; each kind belongs to exactly one Class. Kinds are stable: they are part of finding
// ids, which baselines store.
type Kind string

// Breaking kinds.
const (
	KindMissingRequired      Kind = "missing-required"       // a field the document requires is absent
	KindTypeChanged          Kind = "type-changed"           // a value has another JSON type (or null where not nullable)
	KindConstraint           Kind = "constraint-violated"    // format, pattern, minimum, oneOf ... broken
	KindUndocumentedStatus   Kind = "undocumented-status"    // a status the operation does not document
	KindErrorShape           Kind = "error-shape-changed"    // an error body in neither documented error shape
	KindShapeInconsistent    Kind = "shape-inconsistent"     // the API mixes response shapes
	KindIllegalTransition    Kind = "illegal-transition"     // a task moved between states the document does not link
	KindInitialState         Kind = "initial-state"          // a new task is not in its documented first state
	KindStateUnreadable      Kind = "state-unreadable"       // polls answered, but without a task state to read
	KindIDMismatch           Kind = "id-mismatch"            // GET or a callback names another task
	KindMissingAsset         Kind = "missing-asset"          // a finished task lacks a documented asset
	KindCallbackMissing      Kind = "callback-missing"       // no callback arrived (for the terminal state)
	KindCallbackOrder        Kind = "callback-order"         // callbacks arrived in an illegal order
	KindCallbackDisagrees    Kind = "callback-disagrees"     // callbacks and GET disagree on the outcome
	KindFixtureRemoved       Kind = "fixture-field-removed"  // a field of the golden response is gone
	KindFixtureTypeChanged   Kind = "fixture-type-changed"   // a field of the golden response changed type
	KindFixtureValueChanged  Kind = "fixture-value-changed"  // a stable value of the golden response changed
	KindFixtureStatusChanged Kind = "fixture-status-changed" // the golden response's status changed
)

// Additive kinds.
const (
	KindUndocumentedField Kind = "undocumented-field"  // a field the document does not name
	KindNewEnumValue      Kind = "new-enum-value"      // a value outside a documented enum (a new model or state)
	KindFixtureAdded      Kind = "fixture-field-added" // a field the golden response did not have
)

// Validation kinds.
const (
	KindAcceptsInvalid   Kind = "accepts-invalid"   // a request the document forbids was accepted
	KindRejectsValid     Kind = "rejects-valid"     // a request the document allows was rejected
	KindUnexpectedStatus Kind = "unexpected-status" // a documented status, but not the one this case calls for
	KindInvalidRequest   Kind = "invalid-request"   // a request broke the document (CheckRequest)
)

// Transport kinds.
const (
	KindUnreachable  Kind = "unreachable"    // connection refused, DNS failure, reset
	KindTLS          Kind = "tls"            // the TLS handshake or certificate failed
	KindTimeout      Kind = "timeout"        // no complete answer within the request timeout
	KindRedirect     Kind = "redirect"       // a 3xx answer; redirects are not followed
	KindContentType  Kind = "content-type"   // Content-Type is not a documented media type
	KindNotJSON      Kind = "not-json"       // the body does not parse as JSON
	KindBodyTooLarge Kind = "body-too-large" // the body is larger than the read limit
	KindSlow         Kind = "slow"           // the answer took longer than the slow threshold
	KindServerError  Kind = "server-error"   // a 5xx answer
	KindRateLimited  Kind = "rate-limited"   // a 429 answer
	KindUnauthorized Kind = "unauthorized"   // the API key was rejected on a case that needs it
	KindPollDeadline Kind = "poll-deadline"  // a task did not reach a terminal state in time
	KindPollFailed   Kind = "poll-failed"    // polls of a task failed too many times in a row to follow it
	KindRunTimeout   Kind = "run-timeout"    // the run's time limit ended the check before it finished
)

var kindClass = map[Kind]Class{
	KindMissingRequired: Breaking, KindTypeChanged: Breaking, KindConstraint: Breaking,
	KindUndocumentedStatus: Breaking, KindErrorShape: Breaking, KindShapeInconsistent: Breaking,
	KindIllegalTransition: Breaking, KindInitialState: Breaking, KindStateUnreadable: Breaking, KindIDMismatch: Breaking,
	KindMissingAsset: Breaking, KindCallbackMissing: Breaking, KindCallbackOrder: Breaking,
	KindCallbackDisagrees: Breaking, KindFixtureRemoved: Breaking, KindFixtureTypeChanged: Breaking,
	KindFixtureValueChanged: Breaking, KindFixtureStatusChanged: Breaking,

	KindUndocumentedField: Additive, KindNewEnumValue: Additive, KindFixtureAdded: Additive,

	KindAcceptsInvalid: Validation, KindRejectsValid: Validation, KindUnexpectedStatus: Validation,
	KindInvalidRequest: Validation,

	KindUnreachable: Transport, KindTLS: Transport, KindTimeout: Transport, KindRedirect: Transport,
	KindContentType: Transport, KindNotJSON: Transport, KindBodyTooLarge: Transport, KindSlow: Transport,
	KindServerError: Transport, KindRateLimited: Transport, KindUnauthorized: Transport,
	KindPollDeadline: Transport, KindPollFailed: Transport, KindRunTimeout: Transport,
}

// Class returns the class k belongs to (Transport for a kind this package does not define).
func (k Kind) Class() Class {
	if c, ok := kindClass[k]; ok {
		return c
	}
	return Transport
}

// Finding is one piece of drift: what was checked, where, what the document expects and what the API did.
type Finding struct {
	// ID is stable across runs (case, check, kind and pointer); baselines list ids.
	ID    string `json:"id"`
	Class Class  `json:"class"`
	Kind  Kind   `json:"kind"`
	// Case is the contract case that produced the finding ("" for findings of CheckResponse used on its own).
	Case string `json:"case,omitempty"`
	// Check names the check within the case: status, content-type, body, enforcement, lifecycle, ...
	Check string `json:"check"`
	// Pointer is the RFC 6901 JSON pointer of the value concerned, "" for the whole body or response.
	Pointer  string `json:"pointer,omitempty"`
	Expected string `json:"expected,omitempty"`
	Actual   string `json:"actual,omitempty"`
	Message  string `json:"message"`
	// Violation is, for findings of CheckRequest, where the request broke the document and which rule.
	Violation *lumamock.Violation `json:"violation,omitempty"`
	// Accepted is true when a baseline lists the finding; accepted findings do not count as drift.
	Accepted bool `json:"accepted,omitempty"`
}

// Key returns the finding's stable id: case.check.kind#pointer.
func (f Finding) Key() string {
	c := f.Case
	if c == "" {
		c = "-"
	}
	return c + "." + f.Check + "." + string(f.Kind) + "#" + f.Pointer
}

// NewFinding returns a finding of kind (and of its class) that check made at pointer; Case and ID are set by
// whoever runs the check.
func NewFinding(check string, kind Kind, pointer, expected, actual, message string) Finding {
	return Finding{Class: kind.Class(), Kind: kind, Check: check, Pointer: pointer, Expected: expected, Actual: actual, Message: message}
}

// Compare orders findings as reports list them: the more severe class first (breaking, validation, additive,
// transport), then by case, check, pointer and kind. Use it with slices.SortStableFunc.
func Compare(a, b Finding) int {
	return cmp.Or(
		cmp.Compare(a.Class.rank(), b.Class.rank()),
		cmp.Compare(a.Case, b.Case),
		cmp.Compare(a.Check, b.Check),
		cmp.Compare(a.Pointer, b.Pointer),
		cmp.Compare(a.Kind, b.Kind),
	)
}

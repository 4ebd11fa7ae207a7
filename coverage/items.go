package coverage

import (
	"errors"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/lumamock/lumamock"
)

// Kinds of Item.
const (
	// KindStatus: an operation answered one of the statuses it documents, forced with Prefer or not.
	KindStatus = "status"
	// KindShape: an operation answered a task, or a callback posted one that the hook acknowledged, in one of
	// the shapes the document allows (the branches of its oneOf).
	KindShape = "shape"
	// KindState: a poll (a GET that reads a task) answered the task in one of the lifecycle's states.
	KindState = "state"
	// KindEvent: a callback announcing a state the task entered was delivered (the hook answered 2xx).
	KindEvent = "event"
	// KindOutcome: a task was seen ending in one of the states a task ends in, by a poll or a delivered
	// callback.
	KindOutcome = "outcome"
	// KindFault: a webhook fault shaped a callback that reached the hook (or withheld it, for a drop).
	KindFault = "fault"
	// KindRetry: a callback was sent again after the hook answered it with a status other than 2xx.
	KindRetry = "retry"
)

// Journals a Ref points into: the mock's request journal and its callback journal.
const (
	JournalRequests  = "requests"
	JournalCallbacks = "callbacks"
)

// Ref points at one record of a journal, by its number (seq).
type Ref struct {
	Journal string    `json:"journal"`
	Seq     int64     `json:"seq"`
	At      time.Time `json:"at"`
}

func (r Ref) String() string { return r.Journal + "#" + strconv.FormatInt(r.Seq, 10) }

// before reports whether r came before o: by number in one journal, by time across the two (the request first
// when the times are equal).
func (r Ref) before(o Ref) bool {
	if r.Journal == o.Journal {
		return r.Seq < o.Seq
	}
	return r.At.Before(o.At) || r.At.Equal(o.At) && r.Journal == JournalRequests
}

// Item is one thing a client can be exposed to, and whether it was. Its Name is what reports show and what
// --ignore takes: "<operation>.<kind>.<value>" ("createGeneration.status.429", "getGeneration.state.failed",
// "notifyGeneration.fault.drop"), "<callback>.retry", or "outcome.<state>".
type Item struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Operation is the operationId of the operation or callback the item belongs to ("" for outcomes).
	Operation string `json:"operation,omitempty"`
	// Value is the status, shape, state or fault.
	Value string `json:"value,omitempty"`
	// Description says what the item is, in the document's words where it has some.
	Description string `json:"description,omitempty"`
	// Hint says how a test makes the mock expose a client to it.
	Hint    string `json:"hint,omitempty"`
	Covered bool   `json:"covered"`
	// Count is how many times the client was exposed to it.
	Count int64 `json:"count"`
	// First is the first request or callback that covered it.
	First *Ref `json:"first,omitempty"`
	// Ignored marks an item excluded from the percentage (Report.Exclude).
	Ignored bool `json:"ignored,omitempty"`
}

// Fault is a webhook fault the server can apply to callbacks, with the hint that says how to ask for it.
type Fault struct {
	Name string
	Hint string
}

// Derive lists the items of doc, in report order. For each operation (by path, then method): a status item per
// documented answer, a shape item per branch of the oneOf of its success answer, and, for a GET that reads a
// task (its answer refers to the lifecycle's state schema), a state item per state of the lifecycle. For each
// callback of an operation: a shape item per branch of the oneOf of its body, an event item per state a task
// enters, a fault item per fault, and a retry item. Then an outcome item per state a task ends in. Nothing is
// listed by hand: another document gives other items.
func Derive(doc *openapi3.T, faults []Fault) ([]Item, error) {
	if doc == nil || doc.Paths == nil {
		return nil, errors.New("coverage: no document")
	}
	life, hasLife, err := lumamock.ReadLifecycle(doc)
	if err != nil {
		return nil, fmt.Errorf("coverage: %w", err)
	}
	var items []Item
	add := func(it Item) {
		it.Name = it.Kind
		if it.Operation != "" {
			it.Name = it.Operation + "." + it.Kind
		}
		if it.Value != "" {
			it.Name += "." + it.Value
		}
		items = append(items, it)
	}
	keys := doc.Paths.Keys()
	slices.Sort(keys)
	for _, p := range keys {
		item := doc.Paths.Value(p)
		for _, method := range methods {
			op := item.GetOperation(method)
			if op == nil {
				continue
			}
			name := op.OperationID
			if name == "" {
				name = method + " " + p
			}
			for _, code := range statuses(op) {
				add(Item{Kind: KindStatus, Operation: name, Value: code, Description: responseText(op, code), Hint: statusHint(code)})
			}
			success := successSchema(op)
			for _, b := range branches(success) {
				add(Item{Kind: KindShape, Operation: name, Value: shapeName(b), Description: schemaText(b), Hint: "Prefer: schema=" + shapeName(b)})
			}
			if hasLife && method == http.MethodGet && refersTo(success, lumamock.TaskStateSchema, map[*openapi3.Schema]bool{}) {
				for _, s := range life.States {
					add(Item{Kind: KindState, Operation: name, Value: string(s), Description: "a poll answered a task " + string(s), Hint: stateHint(life, s)})
				}
			}
			for _, cb := range callbacks(op) {
				for _, b := range branches(cb.body) {
					add(Item{Kind: KindShape, Operation: cb.name, Value: shapeName(b), Description: schemaText(b),
						Hint: "submit with a notify_hook and Prefer: schema=" + shapeName(b)})
				}
				if hasLife {
					for _, s := range life.Entered() {
						add(Item{Kind: KindEvent, Operation: cb.name, Value: string(s), Description: "a callback announcing " + string(s) + " was acknowledged (2xx)",
							Hint: "a notify_hook that answers 2xx" + outcomeHint(life, s)})
					}
				}
				for _, f := range faults {
					add(Item{Kind: KindFault, Operation: cb.name, Value: f.Name, Description: "the " + f.Name + " fault shaped a callback the hook received",
						Hint: f.Hint})
				}
				add(Item{Kind: KindRetry, Operation: cb.name, Description: "a callback was sent again after the hook answered it with a status other than 2xx",
					Hint: "answer a callback with a 5xx once (the mock retries it)"})
			}
		}
	}
	if hasLife {
		for _, s := range life.Ends() {
			add(Item{Kind: KindOutcome, Value: string(s), Description: "a task was seen ending " + string(s) + " (by a poll or a delivered callback)",
				Hint: "follow a task to its end" + outcomeHint(life, s)})
		}
	}
	return items, nil
}

// methods are the methods whose operations Derive lists, in this order for one path.
var methods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// statuses lists op's documented answers: status codes in numeric order, then ranges (4XX), then default.
func statuses(op *openapi3.Operation) []string {
	codes := lumamock.DocumentedStatuses(op)
	rank := func(c string) int {
		if n, err := strconv.Atoi(c); err == nil {
			return n
		}
		if c == "default" {
			return 10000
		}
		return 1000 + int(c[0])
	}
	slices.SortFunc(codes, func(a, b string) int { return rank(a) - rank(b) })
	return codes
}

func statusHint(code string) string {
	if strings.HasPrefix(code, "2") {
		return "a valid request"
	}
	if _, err := strconv.Atoi(code); err != nil {
		return ""
	}
	return "Prefer: code=" + code
}

func stateHint(life lumamock.Lifecycle, s lumamock.TaskState) string {
	if life.Terminal[s] {
		return "poll the task once it has ended" + outcomeHint(life, s)
	}
	return "poll the task while it is " + string(s)
}

// outcomeHint says how to make a task end in s, when s is an end the mock can be asked for.
func outcomeHint(life lumamock.Lifecycle, s lumamock.TaskState) string {
	if !life.Terminal[s] {
		return ""
	}
	return " (Prefer: outcome=" + string(s) + ")"
}

// responseText is the first line of the description of op's answer code.
func responseText(op *openapi3.Operation, code string) string {
	r := op.Responses.Value(code)
	if r == nil || r.Value == nil || r.Value.Description == nil {
		return ""
	}
	line, _, _ := strings.Cut(strings.TrimSpace(*r.Value.Description), "\n")
	return line
}

// successSchema is the JSON schema of op's first 2xx answer, nil when it has none.
func successSchema(op *openapi3.Operation) *openapi3.SchemaRef {
	for _, code := range statuses(op) {
		if !strings.HasPrefix(code, "2") {
			continue
		}
		r := op.Responses.Value(code)
		if r == nil || r.Value == nil {
			continue
		}
		if mt := r.Value.Content.Get("application/json"); mt != nil {
			return mt.Schema
		}
	}
	return nil
}

// branches are the oneOf branches of s, nil when s is not a oneOf of at least two.
func branches(s *openapi3.SchemaRef) []*openapi3.SchemaRef {
	if s == nil || s.Value == nil || len(s.Value.OneOf) < 2 {
		return nil
	}
	return s.Value.OneOf
}

// shapeName names a oneOf branch: the lumamock.Shape whose task schema it is (envelope, luma), else its schema's
// name.
func shapeName(b *openapi3.SchemaRef) string {
	name := path.Base(b.Ref)
	for _, s := range []lumamock.Shape{lumamock.ShapeEnvelope, lumamock.ShapeLuma} {
		if s.TaskSchema() == name {
			return string(s)
		}
	}
	if b.Ref == "" {
		return "inline"
	}
	return name
}

func schemaText(b *openapi3.SchemaRef) string {
	if b.Value == nil {
		return ""
	}
	line, _, _ := strings.Cut(strings.TrimSpace(b.Value.Description), "\n")
	return line
}

// refersTo reports whether s is, or holds anywhere inside it, a reference to the component schema name.
func refersTo(s *openapi3.SchemaRef, name string, seen map[*openapi3.Schema]bool) bool {
	if s == nil {
		return false
	}
	if path.Base(s.Ref) == name {
		return true
	}
	v := s.Value
	if v == nil || seen[v] {
		return false
	}
	seen[v] = true
	for _, list := range [][]*openapi3.SchemaRef{v.OneOf, v.AnyOf, v.AllOf} {
		for _, x := range list {
			if refersTo(x, name, seen) {
				return true
			}
		}
	}
	for _, p := range v.Properties {
		if refersTo(p, name, seen) {
			return true
		}
	}
	return refersTo(v.Items, name, seen)
}

// callback is one callback operation of an operation: its name and the schema of its body.
type callback struct {
	key  string // its name in the operation's callbacks object
	name string // its operationId, or "<operation>.<key>"
	body *openapi3.SchemaRef
}

// callbacks lists op's callbacks, by name.
func callbacks(op *openapi3.Operation) []callback {
	var out []callback
	keys := make([]string, 0, len(op.Callbacks))
	for k := range op.Callbacks {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, key := range keys {
		ref := op.Callbacks[key]
		if ref == nil || ref.Value == nil {
			continue
		}
		exprs := ref.Value.Keys()
		slices.Sort(exprs)
		for _, expr := range exprs {
			item := ref.Value.Value(expr)
			if item == nil || item.Post == nil {
				continue
			}
			cb := callback{key: key, name: item.Post.OperationID}
			if cb.name == "" {
				cb.name = op.OperationID + "." + key
			}
			if rb := item.Post.RequestBody; rb != nil && rb.Value != nil {
				if mt := rb.Value.Content.Get("application/json"); mt != nil {
					cb.body = mt.Schema
				}
			}
			out = append(out, cb)
		}
	}
	return out
}

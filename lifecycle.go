package lumamock

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/getkin/kin-openapi/openapi3"
)

// TaskStateSchema is the component schema that lists a task's states (enum), the moves between them
// (x-transitions) and the states a task ends in (x-terminal).
const TaskStateSchema = "TaskState"

// Lifecycle is the task lifecycle a document declares in its TaskStateSchema.
type Lifecycle struct {
	// States are the states, in the document's order (the enum, then any state only x-transitions names).
	States []TaskState
	// Next lists, for each state, the states a task may move to from it (x-transitions).
	Next map[TaskState][]TaskState
	// Terminal holds the states a task ends in (x-terminal; without it, the states no transition leaves).
	Terminal map[TaskState]bool
}

// ReadLifecycle reads the lifecycle of doc's TaskStateSchema; ok is false when the schema or its x-transitions
// are missing, err says what is malformed.
func ReadLifecycle(doc *openapi3.T) (lc Lifecycle, ok bool, err error) {
	if doc == nil || doc.Components == nil {
		return Lifecycle{}, false, nil
	}
	ref := doc.Components.Schemas[TaskStateSchema]
	if ref == nil || ref.Value == nil {
		return Lifecycle{}, false, nil
	}
	s := ref.Value
	raw, found := s.Extensions["x-transitions"]
	if !found {
		return Lifecycle{}, false, nil
	}
	var transitions map[string][]string
	if err := reencode(raw, &transitions); err != nil {
		return Lifecycle{}, false, fmt.Errorf("%s x-transitions: %w", TaskStateSchema, err)
	}
	lc = Lifecycle{Next: map[TaskState][]TaskState{}, Terminal: map[TaskState]bool{}}
	for _, v := range s.Enum {
		if name, isString := v.(string); isString {
			lc.States = append(lc.States, TaskState(name))
		}
	}
	froms := make([]string, 0, len(transitions))
	for from := range transitions {
		froms = append(froms, from)
	}
	slices.Sort(froms) // states only x-transitions names come in a stable order
	for _, from := range froms {
		if !slices.Contains(lc.States, TaskState(from)) {
			lc.States = append(lc.States, TaskState(from))
		}
		for _, to := range transitions[from] {
			lc.Next[TaskState(from)] = append(lc.Next[TaskState(from)], TaskState(to))
		}
	}
	if raw, found := s.Extensions["x-terminal"]; found {
		var terminal []string
		if err := reencode(raw, &terminal); err != nil {
			return Lifecycle{}, false, fmt.Errorf("%s x-terminal: %w", TaskStateSchema, err)
		}
		for _, t := range terminal {
			lc.Terminal[TaskState(t)] = true
		}
	} else {
		for _, st := range lc.States {
			lc.Terminal[st] = len(lc.Next[st]) == 0
		}
	}
	return lc, true, nil
}

// Entered lists, in the document's order, the states a transition leads to: those a task enters after it was
// created, each of which notifies its hook.
func (l Lifecycle) Entered() []TaskState {
	var out []TaskState
	for _, s := range l.States {
		for _, next := range l.Next {
			if slices.Contains(next, s) {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

// Ends lists, in the document's order, the states a task ends in.
func (l Lifecycle) Ends() []TaskState {
	var out []TaskState
	for _, s := range l.States {
		if l.Terminal[s] {
			out = append(out, s)
		}
	}
	return out
}

// reencode decodes an extension's value, whatever Go type the loader gave it, into v.
func reencode(raw any, v any) error {
	if b, isRaw := raw.(json.RawMessage); isRaw {
		return json.Unmarshal(b, v)
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

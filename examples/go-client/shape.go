package lumaclient

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// The document's TaskResponse and Error are oneOf two shapes with no discriminator, and the generated As…
// methods do not check which shape they hold: AsGeneration on an envelope, or AsTaskEnvelope on a generation,
// returns a zero-valued struct and a nil error, because encoding/json ignores the members it does not know.
// The helpers below tell the shapes apart by the one member that only one of them has: the envelope's "data"
// (TaskResponse) and the Luma error's "detail" (Error).

// Task is a task read from a TaskResponse, in whichever shape it came.
type Task struct {
	// ID is data.task_id of an envelope, id of a generation.
	ID string
	// State is data.task_status of an envelope, state of a generation.
	State TaskState
	// Exactly one of Envelope and Generation is set.
	Envelope   *TaskEnvelope
	Generation *Generation
}

// DecodeTask reads r as an envelope if it has a "data" member, and as a Luma generation object otherwise.
func DecodeTask(r TaskResponse) (Task, error) {
	raw, err := r.MarshalJSON()
	if err != nil {
		return Task{}, err
	}
	has, err := hasMember(raw, "data")
	if err != nil {
		return Task{}, fmt.Errorf("task response: %w", err)
	}
	if has {
		env, err := r.AsTaskEnvelope()
		if err != nil {
			return Task{}, fmt.Errorf("task envelope: %w", err)
		}
		return Task{ID: env.Data.TaskId, State: env.Data.TaskStatus, Envelope: &env}, nil
	}
	gen, err := r.AsGeneration()
	if err != nil {
		return Task{}, fmt.Errorf("generation: %w", err)
	}
	return Task{ID: gen.Id, State: gen.State, Generation: &gen}, nil
}

// APIError is an error answer read from an Error, in whichever shape it came.
type APIError struct {
	// Message is the envelope's message, or the Luma error's detail (its reason when detail is an object).
	Message string
	// Violations lists, for a 400, every way the request broke the document.
	Violations []Violation
	// Exactly one of Envelope and Luma is set.
	Envelope *EnvelopeError
	Luma     *LumaError
}

func (e *APIError) Error() string { return e.Message }

// DecodeError reads e as a Luma-style error if it has a "detail" member, and as an envelope error otherwise.
func DecodeError(e Error) (*APIError, error) {
	raw, err := e.MarshalJSON()
	if err != nil {
		return nil, err
	}
	has, err := hasMember(raw, "detail")
	if err != nil {
		return nil, fmt.Errorf("error body: %w", err)
	}
	if !has {
		env, err := e.AsEnvelopeError()
		if err != nil {
			return nil, fmt.Errorf("envelope error: %w", err)
		}
		out := &APIError{Message: env.Message, Envelope: &env}
		if env.Errors != nil {
			out.Violations = *env.Errors
		}
		return out, nil
	}
	luma, err := e.AsLumaError()
	if err != nil {
		return nil, fmt.Errorf("luma error: %w", err)
	}
	out := &APIError{Luma: &luma}
	if luma.Errors != nil {
		out.Violations = *luma.Errors
	}
	// detail is itself oneOf a string and an object, again without a discriminator.
	detail, err := luma.Detail.MarshalJSON()
	if err != nil {
		return nil, err
	}
	if bytes.HasPrefix(bytes.TrimSpace(detail), []byte(`"`)) {
		out.Message, err = luma.Detail.AsLumaErrorDetail0()
	} else {
		var d ErrorDetail
		d, err = luma.Detail.AsErrorDetail()
		out.Message = d.Reason
	}
	if err != nil {
		return nil, fmt.Errorf("luma error detail: %w", err)
	}
	return out, nil
}

// hasMember reports whether the JSON object raw has a member name whose value is not null.
func hasMember(raw []byte, name string) (bool, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return false, err
	}
	v, ok := members[name]
	return ok && !bytes.Equal(bytes.TrimSpace(v), []byte("null")), nil
}

package lumamock

import (
	"encoding/json"
	"time"
)

// Shape names one of the two response shapes the document allows for a task (and the matching error shape).
type Shape string

// The two shapes of a task response.
const (
	// ShapeEnvelope is the export's 200 schema: {code, message, request_id, data{...}} (TaskEnvelope),
	// with errors as EnvelopeError.
	ShapeEnvelope Shape = "envelope"
	// ShapeLuma is the raw Luma generation object of the export's example (Generation), with errors as
	// LumaError.
	ShapeLuma Shape = "luma"
)

// TaskSchema is the component schema of a task in shape s: TaskEnvelope or Generation (the branches of
// TaskResponse), "" for an unknown shape.
func (s Shape) TaskSchema() string {
	switch s {
	case ShapeEnvelope:
		return "TaskEnvelope"
	case ShapeLuma:
		return "Generation"
	}
	return ""
}

// ParseShape parses "envelope" or "luma".
func ParseShape(s string) (Shape, bool) {
	switch Shape(s) {
	case ShapeEnvelope, ShapeLuma:
		return Shape(s), true
	}
	return "", false
}

// TaskState is a task's state (the TaskState schema).
type TaskState string

// The states of the TaskState schema.
const (
	StatePending    TaskState = "pending"
	StateProcessing TaskState = "processing"
	StateCompleted  TaskState = "completed"
	StateFailed     TaskState = "failed"
)

// Terminal reports whether a task in state s will not change again.
func (s TaskState) Terminal() bool { return s == StateCompleted || s == StateFailed }

// Notified reports whether a task entering s notifies its hook: every state it can enter after submission
// (processing, completed, failed), the states whose callback the drop fault can drop.
func (s TaskState) Notified() bool { return StatePending.CanBecome(s) }

// CanBecome reports whether the document allows a task to move from s to next (x-transitions of TaskState).
func (s TaskState) CanBecome(next TaskState) bool {
	switch s {
	case StatePending:
		return next == StateProcessing || next == StateCompleted || next == StateFailed
	case StateProcessing:
		return next == StateCompleted || next == StateFailed
	}
	return false
}

// The GenerationRequest properties Go code reads by name. A test checks each against openapi.yaml.
const (
	FieldUserPrompt = "user_prompt"
	FieldResolution = "resolution"
	FieldNotifyHook = "notify_hook"
)

// GenerationRequest is the body of POST /luma/generations (the GenerationRequest schema). Optional fields are
// pointers so that "absent" and "zero" stay distinct.
type GenerationRequest struct {
	UserPrompt   string  `json:"user_prompt"`
	ExpandPrompt *bool   `json:"expand_prompt,omitempty"`
	Loop         *bool   `json:"loop,omitempty"`
	ImageURL     *string `json:"image_url,omitempty"`
	ImageEndURL  *string `json:"image_end_url,omitempty"`
	NotifyHook   *string `json:"notify_hook,omitempty"`
	Resolution   *string `json:"resolution,omitempty"`
	Duration     *string `json:"duration,omitempty"`
	ModelName    *string `json:"model_name,omitempty"`
}

// TaskEnvelope is the envelope shape of a task (the TaskEnvelope schema).
type TaskEnvelope struct {
	Code      int      `json:"code"`
	Message   string   `json:"message"`
	RequestID string   `json:"request_id"`
	Data      TaskData `json:"data"`
}

// TaskData is the task inside a TaskEnvelope (the TaskData schema). CreatedAt and UpdatedAt are Unix seconds.
type TaskData struct {
	TaskID        string    `json:"task_id"`
	TaskStatus    TaskState `json:"task_status"`
	CreatedAt     int64     `json:"created_at"`
	UpdatedAt     int64     `json:"updated_at"`
	Video         *Video    `json:"video,omitempty"`
	VideoRaw      *Video    `json:"video_raw,omitempty"`
	Thumbnail     *Image    `json:"thumbnail,omitempty"`
	LastFrame     *Image    `json:"last_frame,omitempty"`
	FailureReason *string   `json:"failure_reason,omitempty"`
}

// Generation is the raw Luma generation object (the Generation schema). Every field but FailureReason is
// always present, null where the task has no value yet.
type Generation struct {
	ID                  string    `json:"id"`
	Prompt              string    `json:"prompt"`
	State               TaskState `json:"state"`
	QueueState          *string   `json:"queue_state"`
	CreatedAt           LumaTime  `json:"created_at"`
	BatchID             string    `json:"batch_id"`
	Video               *Video    `json:"video"`
	VideoRaw            *Video    `json:"video_raw"`
	Liked               *bool     `json:"liked"`
	EstimateWaitSeconds *int      `json:"estimate_wait_seconds"`
	Thumbnail           *Image    `json:"thumbnail"`
	LastFrame           *Image    `json:"last_frame"`
	FailureReason       *string   `json:"failure_reason,omitempty"`
}

// Video is a finished video (the Video schema).
type Video struct {
	URL         string `json:"url"`
	DownloadURL string `json:"download_url,omitempty"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
}

// Image is a still of a finished video (the Image schema).
type Image struct {
	URL    string `json:"url"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

// LumaError is the Luma-style error body (the LumaError schema). Detail is an ErrorDetail, or a string in some
// deployments; lumamock always writes an ErrorDetail.
type LumaError struct {
	Detail    ErrorDetail `json:"detail"`
	RequestID string      `json:"request_id,omitempty"`
	Errors    []Violation `json:"errors,omitempty"`
}

// ErrorDetail is the detail of a LumaError (the ErrorDetail schema).
type ErrorDetail struct {
	Reason string `json:"reason"`
	Code   int    `json:"code"`
}

// EnvelopeError is the envelope-style error body (the EnvelopeError schema); Code is the HTTP status.
type EnvelopeError struct {
	Code      int         `json:"code"`
	Message   string      `json:"message"`
	RequestID string      `json:"request_id"`
	Errors    []Violation `json:"errors,omitempty"`
}

// Violation is one way a request or response broke the document (the Violation schema).
type Violation struct {
	// In is where the offending value is: body, header, path or query.
	In string `json:"in"`
	// Field is a JSON pointer into the body ("/user_prompt"), or a parameter or header name.
	Field string `json:"field"`
	// Rule is the rule broken: a JSON Schema keyword (required, type, enum, pattern, ...) or json.
	Rule string `json:"rule"`
	// Message says what is wrong, in words.
	Message string `json:"message"`
}

// LumaTimeLayout is the layout of Generation.created_at: RFC 3339 in UTC with microseconds, as in the export's
// example ("2024-12-22T13:38:40.139409Z").
const LumaTimeLayout = "2006-01-02T15:04:05.000000Z07:00"

// LumaTime is a time written in LumaTimeLayout.
type LumaTime struct{ time.Time }

// MarshalJSON writes t in UTC with LumaTimeLayout.
func (t LumaTime) MarshalJSON() ([]byte, error) {
	return json.Marshal(t.UTC().Format(LumaTimeLayout))
}

// UnmarshalJSON reads any RFC 3339 time.
func (t *LumaTime) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	parsed, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return err
	}
	t.Time = parsed
	return nil
}

// ErrorBody is the error answer in shape: the Luma-style {detail:{reason,code}} or the envelope's
// {code,message,request_id}, each with the violations when there are some.
func ErrorBody(shape Shape, status int, reason, requestID string, violations []Violation) any {
	if shape == ShapeLuma {
		return LumaError{Detail: ErrorDetail{Reason: reason, Code: status}, RequestID: requestID, Errors: violations}
	}
	return EnvelopeError{Code: status, Message: reason, RequestID: requestID, Errors: violations}
}

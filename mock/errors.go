package mock

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/lumamock/lumamock"
)

// statusReasons is the one table of error statuses the mock answers and what each says by default.
var statusReasons = map[int]string{
	http.StatusBadRequest:            "the request does not match the API document",
	http.StatusUnauthorized:          "missing or invalid API key",
	http.StatusNotFound:              "not found",
	http.StatusMethodNotAllowed:      "method not allowed",
	http.StatusNotAcceptable:         "the API answers only application/json",
	http.StatusRequestEntityTooLarge: "request body too large",
	http.StatusUnsupportedMediaType:  "Content-Type must be application/json",
	http.StatusTooManyRequests:       "rate limit exceeded, retry later",
	http.StatusInternalServerError:   "internal server error",
	http.StatusServiceUnavailable:    "service unavailable, retry later",
}

// apiError is an error answer: a status, a reason and, for validation failures, every violation.
type apiError struct {
	status     int
	reason     string
	violations []lumamock.Violation
	header     http.Header
}

func newAPIError(status int, reason string, violations ...lumamock.Violation) *apiError {
	if reason == "" {
		reason = statusReasons[status]
		if reason == "" {
			reason = http.StatusText(status)
		}
	}
	return &apiError{status: status, reason: reason, violations: violations}
}

// body renders the error in shape: Luma-style {detail:{reason,code}} or the envelope's {code,message,request_id}.
func (e *apiError) body(shape lumamock.Shape, requestID string) any {
	if shape == lumamock.ShapeLuma {
		return lumamock.LumaError{
			Detail:    lumamock.ErrorDetail{Reason: e.reason, Code: e.status},
			RequestID: requestID,
			Errors:    e.violations,
		}
	}
	return lumamock.EnvelopeError{Code: e.status, Message: e.reason, RequestID: requestID, Errors: e.violations}
}

// encodeJSON writes v and a newline to buf without HTML escaping: bodies are read by programs.
func encodeJSON(buf *bytes.Buffer, v any) error {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// writeJSON writes v as the JSON response with status, without HTML escaping (bodies are read by programs).
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	if err := encodeJSON(&buf, v); err != nil {
		// Every value written is one of the document's types; a failure here is a programming error.
		buf.Reset()
		buf.WriteString(`{"code":500,"message":"encoding the response failed","request_id":""}` + "\n")
		status = http.StatusInternalServerError
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

package mock

import (
	"net/http"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/internal/httpjson"
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

// body renders the error in shape.
func (e *apiError) body(shape lumamock.Shape, requestID string) any {
	return lumamock.ErrorBody(shape, e.status, e.reason, requestID, e.violations)
}

// writeJSON answers status with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) { httpjson.Write(w, status, v) }

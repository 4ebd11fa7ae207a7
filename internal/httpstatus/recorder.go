// Package httpstatus remembers the status a handler answered with, for journals and logs.
package httpstatus

import "net/http"

// Recorder is an http.ResponseWriter that remembers the final status written (informational 1xx answers are
// not final). Unwrap lets http.ResponseController reach the underlying writer, to flush through it.
type Recorder struct {
	http.ResponseWriter
	// Status is the final status written, 0 before anything was.
	Status int
}

// WriteHeader records code when it is the first final status, and writes it.
func (r *Recorder) WriteHeader(code int) {
	if r.Status == 0 && code >= 200 {
		r.Status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

// Write records 200 when nothing was written before, and writes b.
func (r *Recorder) Write(b []byte) (int, error) {
	if r.Status == 0 {
		r.Status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap returns the underlying writer.
func (r *Recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

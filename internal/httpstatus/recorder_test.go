package httpstatus

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestRecorder(t *testing.T) {
	tests := []struct {
		name  string
		write func(w http.ResponseWriter)
		want  int
	}{
		{"nothing", func(http.ResponseWriter) {}, 0},
		{"body only", func(w http.ResponseWriter) { _, _ = w.Write([]byte("x")) }, 200},
		{"status", func(w http.ResponseWriter) { w.WriteHeader(404) }, 404},
		{"first status counts", func(w http.ResponseWriter) { w.WriteHeader(503); w.WriteHeader(200) }, 503},
		{"informational is not final", func(w http.ResponseWriter) { w.WriteHeader(103); w.WriteHeader(201) }, 201},
	}
	for _, tt := range tests {
		rec := &Recorder{ResponseWriter: httptest.NewRecorder()}
		tt.write(rec)
		if rec.Status != tt.want {
			t.Errorf("%s: Status %d, want %d", tt.name, rec.Status, tt.want)
		}
		if rec.Unwrap() == nil {
			t.Errorf("%s: Unwrap returned nil", tt.name)
		}
	}
}

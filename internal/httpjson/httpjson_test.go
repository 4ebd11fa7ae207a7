package httpjson

import (
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestWrite(t *testing.T) {
	tests := []struct {
		name       string
		v          any
		wantStatus int
		wantBody   string
	}{
		{"no HTML escaping", map[string]string{"url": "https://x.example/?a=1&b=<2>"}, http.StatusCreated, `{"url":"https://x.example/?a=1&b=<2>"}` + "\n"},
		{"unencodable is a 500", math.Inf(1), http.StatusInternalServerError, `{"code":500,"message":"encoding the response failed","request_id":""}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			Write(rec, http.StatusCreated, tt.v)
			if rec.Code != tt.wantStatus || rec.Body.String() != tt.wantBody {
				t.Errorf("got %d %q, want %d %q", rec.Code, rec.Body, tt.wantStatus, tt.wantBody)
			}
			if rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("Content-Length") == "" {
				t.Errorf("headers %v", rec.Header())
			}
		})
	}
	if got, _ := Marshal(map[string]int{"a": 1}); string(got) != `{"a":1}` {
		t.Errorf("Marshal = %s", got)
	}
}

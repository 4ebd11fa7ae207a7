package httpjson

import (
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
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
	big := strings.Repeat("x", 3000)
	tests = append(tests, struct {
		name       string
		v          any
		wantStatus int
		wantBody   string
	}{"larger than net/http buffers", map[string]string{"a": big}, http.StatusCreated, `{"a":"` + big + `"}` + "\n"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Over a real connection: net/http sets the Content-Length of a small answer itself.
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { Write(w, http.StatusCreated, tt.v) }))
			defer srv.Close()
			resp, err := srv.Client().Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus || string(body) != tt.wantBody {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, body, tt.wantStatus, tt.wantBody)
			}
			if resp.Header.Get("Content-Type") != "application/json" || resp.ContentLength != int64(len(tt.wantBody)) || len(resp.TransferEncoding) > 0 {
				t.Errorf("headers %v, Content-Length %d, Transfer-Encoding %v", resp.Header, resp.ContentLength, resp.TransferEncoding)
			}
		})
	}
	if got, _ := Marshal(map[string]int{"a": 1}); string(got) != `{"a":1}` {
		t.Errorf("Marshal = %s", got)
	}
}

package proxy

import (
	"net/http"
	"testing"
)

// TestProxyAdminAPIRefusesOtherOrigins: the proxy's admin endpoints are guarded like the mock's.
func TestProxyAdminAPIRefusesOtherOrigins(t *testing.T) {
	up := newUpstream(t, answer(http.StatusOK, envelope("pending")))
	_, open := startProxy(t, up, Options{})
	_, locked := startProxy(t, up, Options{AdminToken: "adm1n"})
	tests := []struct {
		name   string
		base   string
		method string
		path   string
		host   string
		header map[string]string
		want   int
	}{
		{name: "reset", base: open.URL, method: http.MethodPost, path: "/__mock/reset", want: http.StatusNoContent},
		{name: "reset through a rebound name", base: open.URL, method: http.MethodPost, path: "/__mock/reset", host: "evil.example", want: http.StatusForbidden},
		{name: "reset from another origin", base: open.URL, method: http.MethodPost, path: "/__mock/reset", header: map[string]string{"Origin": "http://evil.example"}, want: http.StatusForbidden},
		{name: "journal without the token", base: locked.URL, method: http.MethodGet, path: "/__mock/requests", want: http.StatusUnauthorized},
		{name: "journal with the token", base: locked.URL, method: http.MethodGet, path: "/__mock/requests", header: map[string]string{"Authorization": "Bearer adm1n"}, want: http.StatusOK},
		{name: "healthz without the token", base: locked.URL, method: http.MethodGet, path: "/healthz", host: "evil.example", want: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, tt.base+tt.path, nil)
			if tt.host != "" {
				req.Host = tt.host
			}
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}

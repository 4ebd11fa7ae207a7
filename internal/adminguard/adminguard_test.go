package adminguard

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestIsLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST:8080": true, "localhost.": true, "app.localhost:3000": true,
		"127.0.0.1": true, "127.8.9.10:80": true, "[::1]:8080": true, "::1": true, "[::ffff:127.0.0.1]:1": true,
		"evil.example": false, "evil.example:8080": false, "localhost.evil.example": false, "127.0.0.1.nip.io": false,
		"10.0.0.1": false, "[fe80::1]": false, "0.0.0.0": false, "": false,
	} {
		if got := IsLoopbackHost(host); got != want {
			t.Errorf("IsLoopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}

// TestGuardOverHTTP replays, on a loopback listener, the requests a web page could make: a rebound name
// (foreign Host), a cross-origin change, a cross-site fetch, and requests without or with a wrong token.
func TestGuardOverHTTP(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	open := httptest.NewServer(Guard{}.Wrap(ok))
	defer open.Close()
	locked := httptest.NewServer(Guard{Token: "s3cret"}.Wrap(ok))
	defer locked.Close()
	tests := []struct {
		name   string
		srv    *httptest.Server
		method string
		host   string
		header map[string]string
		want   int
	}{
		{name: "plain GET", srv: open, method: http.MethodGet, want: 204},
		{name: "plain POST", srv: open, method: http.MethodPost, want: 204},
		{name: "localhost Host", srv: open, method: http.MethodPost, host: "localhost:9", want: 204},
		{name: "rebound name GET", srv: open, method: http.MethodGet, host: "evil.example", want: 403},
		{name: "rebound name POST", srv: open, method: http.MethodPost, host: "evil.example:8080", want: 403},
		{name: "foreign Origin POST", srv: open, method: http.MethodPost, header: map[string]string{"Origin": "http://evil.example"}, want: 403},
		{name: "null Origin POST", srv: open, method: http.MethodPost, header: map[string]string{"Origin": "null"}, want: 403},
		{name: "foreign Origin GET is a read", srv: open, method: http.MethodGet, header: map[string]string{"Origin": "http://evil.example"}, want: 204},
		{name: "cross-site fetch POST", srv: open, method: http.MethodPost, header: map[string]string{"Sec-Fetch-Site": "cross-site"}, want: 403},
		{name: "same-origin fetch POST", srv: open, method: http.MethodPost, header: map[string]string{"Sec-Fetch-Site": "same-origin"}, want: 204},
		{name: "no token", srv: locked, method: http.MethodGet, want: 401},
		{name: "wrong token", srv: locked, method: http.MethodGet, header: map[string]string{"Authorization": "Bearer nope"}, want: 401},
		{name: "right token", srv: locked, method: http.MethodPost, header: map[string]string{"Authorization": "Bearer s3cret"}, want: 204},
		{name: "right token, foreign Host", srv: locked, method: http.MethodGet, host: "evil.example", header: map[string]string{"Authorization": "Bearer s3cret"}, want: 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, tt.srv.URL+"/__mock/reset", nil)
			if tt.host != "" {
				req.Host = tt.host
			}
			if tt.header["Origin"] == "" && tt.host == "" {
				// A browser on the server's own page sends its own origin; that must pass.
				req.Header.Set("Origin", tt.srv.URL)
			}
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := tt.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
			if tt.want >= 400 {
				var body struct{ Error string }
				if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Error == "" {
					t.Errorf("refusal without a JSON error: %v", err)
				}
			}
			if tt.want == 401 && resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

// TestHostIsNotCheckedOffLoopback: a server listening on another address (a container's 0.0.0.0) is reached
// by names the guard cannot know, so only Origin and the token apply there.
func TestHostIsNotCheckedOffLoopback(t *testing.T) {
	req := httptest.NewRequest(http.MethodGet, "http://mock.internal/__mock/tasks", nil)
	req = req.WithContext(context.WithValue(req.Context(), http.LocalAddrContextKey, &net.TCPAddr{IP: net.ParseIP("192.0.2.10"), Port: 8080}))
	if status, reason := (Guard{}).Check(req); status != 0 {
		t.Errorf("refused off loopback: %d %s", status, reason)
	}
	req = req.WithContext(context.WithValue(req.Context(), http.LocalAddrContextKey, &net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 8080}))
	if status, _ := (Guard{}).Check(req); status != http.StatusForbidden {
		t.Errorf("status %d on loopback with Host mock.internal, want 403", status)
	}
}

package mock_test

import (
	"net/http"
	"testing"

	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

// TestAdminAPIRefusesOtherOrigins replays what a web page in the developer's browser could send to a mock on
// loopback: a reset through a rebound name (foreign Host), a cross-origin reset, and, with an admin token,
// requests without it. Refused resets must leave the tasks in place; /healthz stays open.
func TestAdminAPIRefusesOtherOrigins(t *testing.T) {
	tests := []struct {
		name   string
		token  string
		method string
		path   string
		header map[string]string
		host   string
		want   int
	}{
		{name: "reset, own origin", method: http.MethodPost, path: "/__mock/reset", want: http.StatusNoContent},
		{name: "reset through a rebound name", method: http.MethodPost, path: "/__mock/reset", host: "evil.example", want: http.StatusForbidden},
		{name: "journal through a rebound name", method: http.MethodGet, path: "/__mock/requests", host: "evil.example:8080", want: http.StatusForbidden},
		{name: "reset from another origin", method: http.MethodPost, path: "/__mock/reset", header: map[string]string{"Origin": "http://evil.example"}, want: http.StatusForbidden},
		{name: "complete from another origin", method: http.MethodPost, path: "/__mock/tasks/x/complete", header: map[string]string{"Origin": "https://evil.example"}, want: http.StatusForbidden},
		{name: "healthz through any name", method: http.MethodGet, path: "/healthz", host: "evil.example", want: http.StatusOK},
		{name: "token missing", token: "adm1n", method: http.MethodGet, path: "/__mock/tasks", want: http.StatusUnauthorized},
		{name: "token given", token: "adm1n", method: http.MethodPost, path: "/__mock/reset", header: map[string]string{"Authorization": "Bearer adm1n"}, want: http.StatusNoContent},
		{name: "healthz without the token", token: "adm1n", method: http.MethodGet, path: "/healthz", want: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := mocktest.NewServer(t, mock.Options{AdminToken: tt.token})
			if status, body := submit(t, srv, map[string]any{"user_prompt": "p"}, ""); status != http.StatusOK {
				t.Fatalf("submit: %d %v", status, body)
			}
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
			if tt.host != "" {
				req.Host = tt.host
			}
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := srv.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("%s %s: status %d, want %d", tt.method, tt.path, resp.StatusCode, tt.want)
			}
			reset := tt.path == "/__mock/reset" && tt.want == http.StatusNoContent
			if kept := len(srv.Mock.Tasks()); (kept == 0) != reset {
				t.Errorf("%d tasks kept after the request (reset honoured: %v)", kept, reset)
			}
		})
	}
}

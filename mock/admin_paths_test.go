package mock_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

// TestPathTricksAreNotRedirected: gorilla/mux cleaned the admin paths and answered a 301 with an empty body to
// the cleaned one, so POST /__mock/tasks/%2F/complete was sent on to /__mock/tasks/complete and
// /__mock/tasks/a%2F..%2F..%2Freset to /__mock/reset: a path naming one admin action redirected to another.
// Every such path is a JSON 404, the admin API's {"error"} or the API's error shape, and changes nothing; one
// whose encoded segment names a task on a path that has only GET is a 405 (admin.yaml is routed as sent).
func TestPathTricksAreNotRedirected(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{})
	_, created := submit(t, srv, map[string]any{"user_prompt": "p"}, "")
	id := taskID(t, created)
	client := *srv.Client
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	tests := []struct {
		method, path string
		api          bool // the API's error shape, not the admin API's
	}{
		{http.MethodPost, "/__mock/tasks/%2F/complete", false},
		{http.MethodPost, "/__mock/tasks/%2F/fail", false},
		{http.MethodPost, "/__mock/tasks/a%2F..%2F..%2Freset", false},
		{http.MethodPost, "/__mock/tasks/a/../../reset", false},
		{http.MethodPost, "/__mock/tasks/" + id + "/..%2F..%2Freset", false},
		{http.MethodPost, "/__mock/tasks/" + id + "/./complete", false},
		{http.MethodPost, "/__mock//reset", false},
		{http.MethodPost, "/__mock/./reset", false},
		{http.MethodGet, "/__mock//tasks", false},
		{http.MethodGet, "/__mock/./tasks", false},
		{http.MethodGet, "/__mock/tasks/", false},
		{http.MethodGet, "/__mock/tasks/%2F", false},
		{http.MethodGet, "/__mock/x/../tasks", false},
		{http.MethodGet, "/__mock/../healthz", false},
		{http.MethodGet, "/__mock/requests/", false},
		{http.MethodGet, "//luma/generations/" + id, true},
		{http.MethodGet, "/luma//generations/" + id, true},
		{http.MethodGet, "/luma/./generations/" + id, true},
		{http.MethodGet, "/luma/x/../generations/" + id, true},
		{http.MethodGet, "/luma/generations/%2F", true},
		{http.MethodGet, "/luma/generations/a%2F..%2F" + id, true},
		{http.MethodGet, "/luma/generations/" + id + "/", true},
		{http.MethodPost, "/luma//generations", true},
		{http.MethodPost, "/luma/generations/", true},
		{http.MethodPost, "/luma/./generations", true},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			var body io.Reader
			if tt.method == http.MethodPost {
				body = strings.NewReader(`{"user_prompt":"p"}`)
			}
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer k")
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			data, _ := io.ReadAll(resp.Body)
			want := http.StatusNotFound
			if tt.path == "/__mock/tasks/a%2F..%2F..%2Freset" {
				want = http.StatusMethodNotAllowed // /__mock/tasks/{id}, whose id is "a/../../reset", has only GET
			}
			if resp.StatusCode != want {
				t.Fatalf("status %d (Location %q), body %q; want %d", resp.StatusCode, resp.Header.Get("Location"), data, want)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			var v map[string]any
			if err := json.Unmarshal(data, &v); err != nil {
				t.Fatalf("body is not a JSON object: %v: %q", err, data)
			}
			if tt.api {
				if v["code"] != float64(http.StatusNotFound) || v["request_id"] == nil {
					t.Errorf("body %s, want the API's envelope error", data)
				}
			} else if msg, _ := v["error"].(string); msg == "" {
				t.Errorf("body %s, want the admin API's {\"error\"}", data)
			}
		})
	}
	// Nothing was completed, failed or reset.
	if rec := srv.Task(id); rec.State != lumamock.StatePending {
		t.Errorf("task %s is %s after the path tricks, want pending", id, rec.State)
	}
}

package mock_test

import (
	"net/http"
	"testing"

	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

// TestRefusedAdminRequestCreatesNoSession: an admin request that would create its session (PUT settings, POST
// clock) but is refused with a 4xx changes nothing: the session does not come to exist, so it neither counts
// towards MaxSessions nor evicts another.
func TestRefusedAdminRequestCreatesNoSession(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{MaxSessions: 1})
	c := sess{t, srv.URL, ""}
	c.create("", mock.HeaderSession, "kept") // the one session room is for
	for _, tc := range []struct {
		method, path, body string
		header             []string
	}{
		{http.MethodPost, "/__mock/sessions/fz1/clock", `{"advance":"bad"}`, nil},
		{http.MethodPost, "/__mock/sessions/fz1/clock", `{"advance":"-1s"}`, nil},
		{http.MethodPost, "/__mock/sessions/fz1/clock", `{"advance":"25h"}`, nil},
		{http.MethodPost, "/__mock/sessions/fz1/clock", `{}`, nil},
		{http.MethodPost, "/__mock/sessions/fz1/clock", `{"advance":1}`, nil},
		{http.MethodPost, "/__mock/clock", `{"advance":"bad"}`, []string{mock.HeaderSession, "fz1"}},
		{http.MethodPut, "/__mock/sessions/fz1/settings", `{"pending":"bad"}`, nil},
		{http.MethodPut, "/__mock/sessions/fz1/settings", `{"pending":"-1s"}`, nil},
		{http.MethodPut, "/__mock/sessions/fz1/settings", `{"nope":1}`, nil},
		{http.MethodPut, "/__mock/settings", `{"pending":"bad"}`, []string{mock.HeaderSession, "fz1"}},
	} {
		if status, body := c.send(tc.method, tc.path, tc.body, tc.header...); status != http.StatusBadRequest {
			t.Errorf("%s %s %s: %d %s; want 400", tc.method, tc.path, tc.body, status, body)
		}
		if status, body := c.send(http.MethodGet, "/__mock/sessions/fz1", ""); status != http.StatusNotFound {
			t.Errorf("after the refused %s %s %s, GET /__mock/sessions/fz1: %d %s; want 404", tc.method, tc.path, tc.body, status, body)
		}
	}
	c.want(http.StatusOK, http.MethodGet, "/__mock/sessions/kept", "") // not evicted by a refused request
	// An accepted one creates the session, as documented.
	c.want(http.StatusOK, http.MethodPost, "/__mock/sessions/fz2/clock", `{"freeze":true}`)
	c.want(http.StatusOK, http.MethodGet, "/__mock/sessions/fz2", "")
	c.want(http.StatusOK, http.MethodPut, "/__mock/sessions/fz3/settings", `{"pending":"2s"}`)
	c.want(http.StatusOK, http.MethodGet, "/__mock/sessions/fz3", "")
}

package cassette_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/cassette"
)

// TestReplayedAnswersCount: what serve --replay answers from a recording counts in the mock's coverage (its
// status, and its Retry-After for the client that got it).
func TestReplayedAnswersCount(t *testing.T) {
	body := `{"user_prompt":"a fox"}`
	srv, rp := replayOver(t, cassette.Entry{Request: cassette.Request{Method: http.MethodPost, Path: lumamock.PathGenerations, Body: cassette.NewBody([]byte(body))},
		Response: cassette.Response{Status: http.StatusTooManyRequests, Header: http.Header{"Content-Type": {"application/json"}, "Retry-After": {"2"}},
			Body: cassette.NewBody([]byte(`{"detail":"slow down"}`))}})
	for range 2 {
		req := httptest.NewRequest(http.MethodPost, lumamock.PathGenerations, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer some-key-0123456789")
		w := httptest.NewRecorder()
		rp.ServeHTTP(w, req)
		if w.Code != http.StatusTooManyRequests || w.Header().Get(cassette.HeaderSource) != "replay" {
			t.Fatalf("replayed: %d from %q", w.Code, w.Header().Get(cassette.HeaderSource))
		}
	}
	rep := srv.Coverage()
	var counted int64
	for _, it := range rep.Items {
		if it.Name == "createGeneration.status.429" {
			counted = it.Count
		}
	}
	if counted != 2 || rep.Covered != 1 {
		t.Errorf("createGeneration.status.429 counted %d times, %d items covered; want 2, 1", counted, rep.Covered)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].Kind != "retry-after-ignored" || !strings.Contains(rep.Findings[0].Message, "Retry-After (2s)") {
		t.Errorf("findings %+v; want the second request's retry-after-ignored", rep.Findings)
	}
}

package cassette_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/cassette"
	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

// TestReplaySessionsAreIsolated: under serve --replay, each session walks the cassette on its own, as it has
// its own tasks: one session's requests do not use up another's recorded answers, and a reset or a delete of a
// session rewinds that session alone (and forgets only its decisions in the replay journal).
func TestReplaySessionsAreIsolated(t *testing.T) {
	_, rp := replayOver(t, pollEntry("pending"), pollEntry("completed"))
	ts := httptest.NewServer(rp)
	t.Cleanup(ts.Close)
	do := func(method, path, session string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, ts.URL+path, nil)
		req.Header.Set("Authorization", "Bearer k")
		if session != "" {
			req.Header.Set(mock.HeaderSession, session)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	// poll polls t1 in a session (by header, or by path for "/__session/NAME") and returns the state replayed.
	poll := func(session string) string {
		t.Helper()
		path, header := lumamock.PathGenerations+"/t1", session
		if strings.HasPrefix(session, "/") {
			path, header = session+path, ""
		}
		status, body := do(http.MethodGet, path, header)
		if status != http.StatusOK {
			t.Fatalf("GET in %q: %d %s", session, status, body)
		}
		return strings.TrimSuffix(strings.TrimPrefix(body, `{"state":"`), `"}`)
	}
	reset := func(method, path, session string) {
		t.Helper()
		if status, body := do(method, path, session); status != http.StatusNoContent {
			t.Fatalf("%s %s (%q): %d %s", method, path, session, status, body)
		}
	}
	for _, step := range []struct {
		session, want string
	}{
		{"", "pending"}, {"a", "pending"}, {"/__session/b", "pending"}, {"a", "completed"}, {"b", "completed"}, {"", "completed"},
	} {
		if got := poll(step.session); got != step.want {
			t.Fatalf("poll in %q: %s, want %s (each session replays the cassette from its start)", step.session, got, step.want)
		}
	}
	reset(http.MethodPost, "/__mock/sessions/b/reset", "")
	if got, other := poll("b"), poll("a"); got != "pending" || other != "completed" {
		t.Errorf("after b's reset: b %s, a %s; want pending (rewound), completed", got, other)
	}
	reset(http.MethodPost, "/__mock/reset", "a") // the session the header names
	if got, others := poll("a"), poll("b")+" "+poll(""); got != "pending" || others != "completed completed" {
		t.Errorf("after a's reset: a %s, b and default %s; want pending, completed completed", got, others)
	}
	reset(http.MethodDelete, "/__mock/sessions/a", "")
	if got := poll("a"); got != "pending" {
		t.Errorf("after a's delete, a new a replays %s, want pending", got)
	}
	reset(http.MethodPost, "/__mock/reset", "")
	if got := poll(""); got != "pending" {
		t.Errorf("after default's reset: %s, want pending", got)
	}
	// The replay journal is the server's: a session's reset leaves the others' decisions, and each names its
	// session.
	sessions := map[string]int{}
	for _, d := range rp.Journal() {
		sessions[d.Session]++
	}
	if sessions["default"] == 0 || sessions["a"] == 0 || sessions["b"] == 0 || len(sessions) != 3 {
		t.Errorf("replay journal's decisions by session: %v; want default, a and b", sessions)
	}
}

// TestReplayResetOfTheOnlySessionEmptiesTheJournal: a suite alone on the server (the session default) finds
// the replay journal empty after its reset, as it finds the mock's.
func TestReplayResetOfTheOnlySessionEmptiesTheJournal(t *testing.T) {
	_, rp := replayOver(t, pollEntry("pending"))
	for _, path := range []string{lumamock.PathGenerations + "/t1", "/__mock/reset"} {
		method := http.MethodGet
		if path == "/__mock/reset" {
			method = http.MethodPost
		}
		req := httptest.NewRequest(method, path, nil)
		req.Header.Set("Authorization", "Bearer k")
		w := httptest.NewRecorder()
		rp.ServeHTTP(w, req)
		if w.Code >= 300 {
			t.Fatalf("%s %s: %d %s", method, path, w.Code, w.Body)
		}
	}
	if n := len(rp.Journal()); n != 0 {
		t.Errorf("the replay journal keeps %d decisions after the only session's reset", n)
	}
}

// TestReplayRefusesBadSessionsAsTheMockDoes: under serve --replay, a request naming its session badly (an encoded
// "/" in the path prefix, two X-Lumamock-Session headers naming two sessions) replays nothing: the mock answers
// it, with the 400 naming the path or the header.
func TestReplayRefusesBadSessionsAsTheMockDoes(t *testing.T) {
	_, rp := replayOver(t, pollEntry("pending"))
	ts := httptest.NewServer(rp)
	t.Cleanup(ts.Close)
	for _, tt := range []struct {
		name, path string
		sessions   []string
		field      string
	}{
		{"encoded slash", "/__session/qq%2F" + lumamock.PathGenerations[1:] + "/t1", nil, `"field":"/__session/{name}"`},
		{"encoded letter", "/__session/a%41b" + lumamock.PathGenerations + "/t1", nil, `"field":"/__session/{name}"`},
		{"two headers", lumamock.PathGenerations + "/t1", []string{"a", "b"}, `"field":"X-Lumamock-Session"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, ts.URL+tt.path, nil)
			req.Header.Set("Authorization", "Bearer k")
			for _, s := range tt.sessions {
				req.Header.Add(mock.HeaderSession, s)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), tt.field) {
				t.Errorf("%d %s; want the mock's 400 naming %s", resp.StatusCode, body, tt.field)
			}
		})
	}
}

// replayOver records entries in a new cassette and returns a mock (mocktest) and a replayer of the cassette in
// front of it, closed when the test ends.
func replayOver(t *testing.T, entries ...cassette.Entry) (*mocktest.Server, *cassette.Replayer) {
	t.Helper()
	dir := t.TempDir()
	rec, err := cassette.NewRecorder(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, err := rec.Record(e); err != nil {
			t.Fatal(err)
		}
	}
	srv := mocktest.NewServer(t, mock.Options{})
	rp, err := cassette.NewReplayer(dir, srv.Mock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rp.Close)
	return srv, rp
}

// pollEntry is a recorded GET of task t1 answered 200 with a body in state.
func pollEntry(state string) cassette.Entry {
	return cassette.Entry{Request: cassette.Request{Method: http.MethodGet, Path: lumamock.PathGenerations + "/t1"},
		Response: cassette.Response{Status: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
			Body: cassette.NewBody([]byte(`{"state":"` + state + `"}`))}}
}

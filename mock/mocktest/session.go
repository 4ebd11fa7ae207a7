package mocktest

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/lumamock/lumamock/coverage"
	"github.com/lumamock/lumamock/mock"
)

// Session is one test's own session of a shared Server (see mock.Session): its own tasks, journals, settings
// and clock, so that tests running in parallel against one mock do not touch each other.
type Session struct {
	// Name is the session's name.
	Name string
	// URL is the base URL of the API in this session, for the client under test: the server's URL followed by
	// /__session/NAME. (A client that can set headers may use the server's URL with the header
	// X-Lumamock-Session: NAME instead.)
	URL string
	// Mock is the session itself, for what the helpers do not wrap.
	Mock *mock.Session

	tb TB
}

// sessionCount numbers the sessions NewSession names.
var sessionCount atomic.Int64

// NewSession gives tb a session of its own on s, named after the test, and deletes it when tb ends. Its settings
// are the server's options until SetSettings.
//
//	srv := mocktest.NewServer(t, mock.Options{})
//	for _, tc := range cases {
//		t.Run(tc.name, func(t *testing.T) {
//			t.Parallel()
//			sess := srv.NewSession(t) // this subtest's tasks, journals and clock
//			client := lumaclient.New(sess.URL)
//			...
//			sess.Advance(5 * time.Second)
//		})
//	}
func (s *Server) NewSession(tb TB) *Session {
	tb.Helper()
	name := sessionName(tb)
	ss, err := s.Mock.Session(name)
	if err != nil {
		tb.Fatalf("mocktest: %v", err)
	}
	tb.Cleanup(func() { s.Mock.DeleteSession(name) })
	return &Session{Name: name, URL: s.URL + mock.SessionPrefix + name, Mock: ss, tb: tb}
}

// sessionName makes a session name of tb's name, when it has one, and a number, so that it is unique.
func sessionName(tb TB) string {
	base := "test"
	if named, ok := tb.(interface{ Name() string }); ok {
		base = strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' {
				return r
			}
			return '_'
		}, named.Name())
	}
	suffix := fmt.Sprintf("-%d", sessionCount.Add(1))
	if len(base)+len(suffix) > 64 {
		base = base[len(base)+len(suffix)-64:]
	}
	return strings.TrimLeft(base, ".") + suffix
}

// Task returns task id of the session, failing the test if the session does not know it.
func (s *Session) Task(id string) mock.TaskRecord {
	s.tb.Helper()
	rec, err := s.Mock.Task(id)
	if err != nil {
		s.tb.Fatalf("mocktest: session %s: %v", s.Name, err)
	}
	return rec
}

// SetSettings replaces what the session's new tasks get, failing the test for invalid settings.
func (s *Session) SetSettings(st mock.Settings) {
	s.tb.Helper()
	if err := s.Mock.SetSettings(st); err != nil {
		s.tb.Fatalf("mocktest: session %s: %v", s.Name, err)
	}
}

// Advance moves the session's clock (only this session's) forward by d and returns once every callback of the
// session due by then has been delivered, retried until its next backoff, or given up; as Server.Advance does
// for the whole server. Other sessions' callbacks never hold it.
func (s *Session) Advance(d time.Duration) {
	s.tb.Helper()
	if err := s.Mock.Advance(d); err != nil {
		s.tb.Fatalf("mocktest: session %s: %v", s.Name, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := s.Mock.WaitCallbacks(ctx); err != nil {
		s.tb.Fatalf("mocktest: callbacks still in flight after %s: %v", waitLimit, err)
	}
}

// Coverage returns what the clients of the session were exposed to, and how they behaved (see package
// coverage): the report GET /__mock/sessions/NAME/coverage answers.
func (s *Session) Coverage() coverage.Report { return s.Mock.Coverage() }

// Complete ends task id of the session as completed now and waits for the callbacks that are due.
func (s *Session) Complete(id string) {
	s.tb.Helper()
	if err := s.Mock.Complete(id); err != nil {
		s.tb.Fatalf("mocktest: session %s: %v", s.Name, err)
	}
	s.Advance(0)
}

// Fail ends task id of the session as failed now, as Complete does.
func (s *Session) Fail(id string) {
	s.tb.Helper()
	if err := s.Mock.Fail(id); err != nil {
		s.tb.Fatalf("mocktest: session %s: %v", s.Name, err)
	}
	s.Advance(0)
}

package mock

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/lumamock/lumamock"
)

// lockProbe is a slog.Handler that fails the test when something is logged about a task while that task's
// dispatch lock is held: the mock logs with no lock held.
type lockProbe struct {
	t    *testing.T
	s    *Server
	mu   sync.Mutex
	seen []string
}

func (p *lockProbe) Enabled(context.Context, slog.Level) bool { return true }
func (p *lockProbe) WithAttrs([]slog.Attr) slog.Handler       { return p }
func (p *lockProbe) WithGroup(string) slog.Handler            { return p }

func (p *lockProbe) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key != "task_id" {
			return true
		}
		p.mu.Lock()
		p.seen = append(p.seen, r.Message)
		p.mu.Unlock()
		t := p.s.Default().tasks.get(a.Value.String())
		if t != nil {
			if !t.dispatchMu.TryLock() {
				p.t.Errorf("%q logged under the dispatch lock of task %s", r.Message, t.id)
			} else {
				t.dispatchMu.Unlock()
			}
		}
		return false
	})
	return nil
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// TestNothingIsLoggedUnderADispatchLock: the logs of a callback whose body breaks the document, and of
// callbacks given up at shutdown, are written with no lock of the task held.
func TestNothingIsLoggedUnderADispatchLock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		doc := strings.Replace(string(lumamock.Document), "          format: uri\n          description: Where the video can be streamed.",
			"          format: uri\n          maxLength: 3\n          description: Where the video can be streamed.", 1)
		probe := &lockProbe{t: t}
		ok := &http.Client{Transport: roundTripper(func(req *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 200, Status: "200 OK", Body: http.NoBody, Request: req}, nil
		})}
		s, err := New(Options{DocumentSource: []byte(doc), Clock: NewManualClock(time.Now()), Logger: slog.New(probe),
			CallbackClient: ok, Resolver: func(context.Context, string) ([]netip.Addr, error) { return nil, errors.New("not resolved in tests") }})
		if err != nil {
			t.Fatal(err)
		}
		probe.s = s
		defer s.Close()
		submit := func(prefer string) {
			req, _ := http.NewRequest(http.MethodPost, lumamock.PathGenerations,
				strings.NewReader(`{"user_prompt":"p","notify_hook":"http://hook.test/h"}`))
			req.Header.Set("Authorization", "Bearer k")
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Prefer", prefer)
			w := httptest.NewRecorder()
			s.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				t.Fatalf("submit: %d %s", w.Code, w.Body)
			}
		}
		submit("pending=0s, processing=1h, reorder") // held back until shutdown gives it up
		submit("pending=0s, processing=0s")          // its end breaks the document
		_ = s.WaitCallbacks(context.Background())
		s.Close()
		probe.mu.Lock()
		defer probe.mu.Unlock()
		if len(probe.seen) < 2 {
			t.Errorf("logged %q: want the invalid callback and the one given up at shutdown", probe.seen)
		}
	})
}

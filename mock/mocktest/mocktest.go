// Package mocktest runs the lumamock fake inside a Go test: a mock on httptest with a virtual clock, and a
// callback receiver that records what it gets.
package mocktest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/coverage"
	"github.com/lumamock/lumamock/mock"
)

// TB is the part of testing.TB the helpers use; *testing.T and *testing.B satisfy it.
type TB interface {
	Helper()
	Cleanup(func())
	Fatalf(format string, args ...any)
}

// Start is where the virtual clock of NewServer starts: the moment of the API source's example response.
var Start = time.Date(2024, 12, 22, 13, 38, 40, 0, time.UTC)

// Seed is the fake-data seed NewServer uses when the options give none, so that ids and URLs repeat run to run.
const Seed = 1

// waitLimit bounds, in real time, every wait of the helpers (deliveries are loopback HTTP).
const waitLimit = 10 * time.Second

// Server is a mock on an httptest server, closed when the test ends.
type Server struct {
	// URL is the mock's base URL, such as http://127.0.0.1:38291.
	URL string
	// Client is a client configured for the mock (httptest's). Any non-empty bearer token is accepted
	// unless the options list APIKeys.
	Client *http.Client
	// Clock is the virtual clock, unless the options brought a Clock that is not a *mock.ManualClock.
	Clock *mock.ManualClock
	// Mock is the mock itself, for what the helpers do not wrap.
	Mock *mock.Server

	tb TB
	hs *httptest.Server
}

// NewServer starts a mock with opts on a loopback httptest server and registers its shutdown with tb.Cleanup.
// Zero options mean those of mock.New, except Clock (a ManualClock at Start: nothing moves until Advance) and
// Seed (Seed).
func NewServer(tb TB, opts mock.Options) *Server {
	tb.Helper()
	if opts.Clock == nil {
		opts.Clock = mock.NewManualClock(Start)
	}
	if opts.Seed == 0 {
		opts.Seed = Seed
	}
	m, err := mock.New(opts)
	if err != nil {
		tb.Fatalf("mocktest: %v", err)
	}
	hs := httptest.NewServer(m)
	s := &Server{URL: hs.URL, Client: hs.Client(), Mock: m, tb: tb, hs: hs}
	s.Clock, _ = opts.Clock.(*mock.ManualClock)
	tb.Cleanup(func() {
		hs.Close()
		m.Close()
	})
	return s
}

// UIURL returns the address of the mock's dashboard (mock.UIPath), which shows its tasks, callbacks and
// requests live. A test can print it when it fails, and pause to look:
//
//	t.Cleanup(func() {
//		if t.Failed() {
//			t.Logf("dashboard: %s", srv.UIURL())
//		}
//	})
func (s *Server) UIURL() string { return s.URL + mock.UIPath }

// Task returns task id, failing the test if the mock does not know it.
func (s *Server) Task(id string) mock.TaskRecord {
	s.tb.Helper()
	rec, err := s.Mock.Task(id)
	if err != nil {
		s.tb.Fatalf("mocktest: %v", err)
	}
	return rec
}

// Complete ends task id as completed now and waits for the callbacks that are due; it fails the test if the
// task is unknown or has ended.
func (s *Server) Complete(id string) {
	s.tb.Helper()
	if err := s.Mock.Complete(id); err != nil {
		s.tb.Fatalf("mocktest: %v", err)
	}
	s.settle()
}

// Fail ends task id as failed now, as Complete does.
func (s *Server) Fail(id string) {
	s.tb.Helper()
	if err := s.Mock.Fail(id); err != nil {
		s.tb.Fatalf("mocktest: %v", err)
	}
	s.settle()
}

// Advance moves the virtual clock by d and returns once every callback due by then has been delivered, retried
// until its next backoff, or given up. Advance(0) just waits for the callbacks due now.
func (s *Server) Advance(d time.Duration) {
	s.tb.Helper()
	if s.Clock == nil {
		s.tb.Fatalf("mocktest: Advance needs the server's Clock to be a *mock.ManualClock")
	}
	s.Clock.Advance(d)
	s.settle()
}

func (s *Server) settle() {
	s.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := s.Mock.WaitCallbacks(ctx); err != nil {
		s.tb.Fatalf("mocktest: callbacks still in flight after %s: %v", waitLimit, err)
	}
}

// WaitForState moves the virtual clock to each of task id's planned state changes until the task is in state,
// then waits for the callbacks due. It fails the test if the task ends in another state, or if it takes more
// than ten seconds of real time. With a clock other than a ManualClock it waits in real time instead.
func (s *Server) WaitForState(id string, state lumamock.TaskState) {
	s.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := s.waitForState(ctx, id, state); err != nil {
		s.tb.Fatalf("mocktest: %v", err)
	}
}

func (s *Server) waitForState(ctx context.Context, id string, state lumamock.TaskState) error {
	for range 8 { // pending → processing → end: a handful of steps at most
		rec, err := s.Mock.Task(id)
		if err != nil {
			return err
		}
		if rec.State == state {
			return s.Mock.WaitCallbacks(ctx)
		}
		if rec.State.Terminal() || rec.Next == nil {
			return fmt.Errorf("task %s ended %s, never %s", id, rec.State, state)
		}
		if s.Clock != nil {
			s.Clock.Set(rec.Next.At)
			if err := s.Mock.WaitCallbacks(ctx); err != nil {
				return err
			}
			continue
		}
		timer := time.NewTimer(time.Until(rec.Next.At))
		select {
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("task %s did not reach %s: %w", id, state, ctx.Err())
		case <-timer.C:
		}
	}
	return fmt.Errorf("task %s did not reach %s", id, state)
}

// Coverage returns what the clients of the mock's session default were exposed to, item by item from the
// document, and how they behaved (see package coverage): the report GET /__mock/coverage answers.
func (s *Server) Coverage() coverage.Report { return s.Mock.Coverage() }

// CoverageReader is what RequireCoverage reads: a *Server (its session default) or a *Session.
type CoverageReader interface {
	Coverage() coverage.Report
}

// RequireCoverage fails the test unless the clients of srv (a *Server or a *Session) were exposed to at least
// min percent of the items, those that ignore names (an item's name, a pattern of names such as "*.fault.*", or
// a kind of finding) left out. The failure lists every item never covered, with how to cover it. Call it at the
// end of a test, or in a Cleanup of a suite's shared server (registered after NewSession, so that it runs before
// the session is deleted).
func RequireCoverage(tb TB, srv CoverageReader, min float64, ignore ...string) {
	tb.Helper()
	rep, err := srv.Coverage().Exclude(ignore...)
	if err != nil {
		tb.Fatalf("mocktest: RequireCoverage: ignore: %v", err)
	}
	if !rep.Below(min) {
		return
	}
	var missing strings.Builder
	for _, it := range rep.Items {
		if !it.Covered && !it.Ignored {
			fmt.Fprintf(&missing, "\n  %s (%s)", it.Name, it.Hint)
		}
	}
	tb.Fatalf("mocktest: coverage %d of %d items (%.1f%%), below %g%%; never covered:%s", rep.Covered, rep.Total, rep.Percent, min, missing.String())
}

// Delivery is one callback request a HookReceiver got.
type Delivery struct {
	Header http.Header
	Body   []byte
	// TaskID, Event, State and Attempt are read from the lumamock headers.
	TaskID  string
	Event   int
	State   lumamock.TaskState
	Attempt int
	// Status is what the receiver answered.
	Status int
}

// Decode unmarshals the delivery's body into v (a lumamock.TaskEnvelope or lumamock.Generation).
func (d Delivery) Decode(v any) error { return json.Unmarshal(d.Body, v) }

// HookReceiver is a callback receiver on an httptest server: it records every delivery and answers with the
// statuses it is told, 200 otherwise.
type HookReceiver struct {
	// URL is the receiver's address, to pass as notify_hook.
	URL string

	hs       *httptest.Server
	mu       sync.Mutex
	got      []Delivery
	statuses []int
	respond  func(Delivery) int
	changed  chan struct{}
}

// maxHookBody bounds the body a HookReceiver reads.
const maxHookBody = 1 << 20

// NewHookReceiver starts a receiver and registers its shutdown with tb.Cleanup.
func NewHookReceiver(tb TB) *HookReceiver {
	tb.Helper()
	h := &HookReceiver{changed: make(chan struct{})}
	h.hs = httptest.NewServer(http.HandlerFunc(h.serve))
	h.URL = h.hs.URL + "/hook"
	tb.Cleanup(h.hs.Close)
	return h
}

func (h *HookReceiver) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxHookBody))
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	d := Delivery{Header: r.Header.Clone(), Body: body, TaskID: r.Header.Get(mock.HeaderTaskID),
		State: lumamock.TaskState(r.Header.Get(mock.HeaderState))}
	d.Event, _ = strconv.Atoi(r.Header.Get(mock.HeaderEvent))
	d.Attempt, _ = strconv.Atoi(r.Header.Get(mock.HeaderAttempt))
	h.mu.Lock()
	switch {
	case len(h.statuses) > 0:
		d.Status, h.statuses = h.statuses[0], h.statuses[1:]
	case h.respond != nil:
		respond := h.respond
		h.mu.Unlock()
		d.Status = respond(d)
		h.mu.Lock()
	default:
		d.Status = http.StatusOK
	}
	h.got = append(h.got, d)
	close(h.changed)
	h.changed = make(chan struct{})
	h.mu.Unlock()
	w.WriteHeader(d.Status)
}

// Respond makes the next deliveries answered with statuses, in order; later ones get 200 (or RespondFunc's).
func (h *HookReceiver) Respond(statuses ...int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.statuses = append(h.statuses, statuses...)
}

// RespondFunc answers each delivery with f's status once the statuses given to Respond are used up. f may
// block, to play a slow receiver; it runs outside the receiver's lock.
func (h *HookReceiver) RespondFunc(f func(Delivery) int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.respond = f
}

// Deliveries returns what the receiver got, in arrival order.
func (h *HookReceiver) Deliveries() []Delivery {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Delivery(nil), h.got...)
}

// States returns the states of task id's deliveries, in arrival order.
func (h *HookReceiver) States(id string) []lumamock.TaskState {
	var out []lumamock.TaskState
	for _, d := range h.Deliveries() {
		if d.TaskID == id {
			out = append(out, d.State)
		}
	}
	return out
}

// Wait waits until the receiver has got at least n deliveries, and returns them all.
func (h *HookReceiver) Wait(ctx context.Context, n int) ([]Delivery, error) {
	for {
		h.mu.Lock()
		got, ch := len(h.got), h.changed
		h.mu.Unlock()
		if got >= n {
			return h.Deliveries(), nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return h.Deliveries(), fmt.Errorf("mocktest: %d deliveries of %d: %w", got, n, ctx.Err())
		}
	}
}

// Close shuts the receiver down now; deliveries to it then fail with connection errors. It is also done at
// cleanup.
func (h *HookReceiver) Close() { h.hs.Close() }

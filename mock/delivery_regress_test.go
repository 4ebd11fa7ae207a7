package mock_test

// Regression tests for the callback delivery engine: one per defect of the issue "a reset wedges the server; one
// dead receiver starves every other; the per-host limit is keyed on the URL's text". Each drives the mock only
// through its public API (mock.New, ServeHTTP on httptest, the admin endpoints, Shutdown) and bounds every
// blocking call, so that a wedged engine fails the test instead of hanging it.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

// answerLimit is the longest any API or admin request, reset, Shutdown or Close may take, whatever the state of
// the callback engine. The engine's contract is 100 ms; the rest is slack for -race on a small machine.
const answerLimit = time.Second

// hangingPrefer makes a task whose processing callback is due at once and whose end never comes during a test.
const hangingPrefer = "pending=0s, processing=1h"

// hangListener is a callback receiver that accepts connections on loopback and never answers. It counts the
// connections open, so a test can see deliveries held and deliveries cut.
type hangListener struct {
	ln   net.Listener
	port string
	wg   sync.WaitGroup
	once sync.Once

	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	accepted int
	peak     int
	closed   bool
}

// newHangListener starts a hangListener on 127.0.0.1; it is closed, with every connection, at cleanup.
func newHangListener(tb testing.TB) *hangListener {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	h := &hangListener{ln: ln, conns: make(map[net.Conn]struct{})}
	_, h.port, _ = net.SplitHostPort(ln.Addr().String())
	h.wg.Add(1)
	go h.accept()
	tb.Cleanup(h.Close)
	return h
}

func (h *hangListener) accept() {
	defer h.wg.Done()
	for {
		c, err := h.ln.Accept()
		if err != nil {
			return
		}
		h.mu.Lock()
		if h.closed {
			h.mu.Unlock()
			c.Close()
			return
		}
		h.conns[c] = struct{}{}
		h.accepted++
		h.peak = max(h.peak, len(h.conns))
		h.wg.Add(1)
		h.mu.Unlock()
		go func() {
			defer h.wg.Done()
			_, _ = io.Copy(io.Discard, c) // read the request, answer nothing; ends when the client hangs up
			h.mu.Lock()
			delete(h.conns, c)
			h.mu.Unlock()
			c.Close()
		}()
	}
}

// URL is a hook at this listener with its host[:port] spelled as hostport says ("" for 127.0.0.1:port).
func (h *hangListener) URL(hostport string) string {
	if hostport == "" {
		hostport = "127.0.0.1:" + h.port
	}
	return "http://" + hostport + "/hook"
}

// Open is how many connections are open now: deliveries the mock holds at this receiver.
func (h *hangListener) Open() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

// Accepted is how many connections were ever accepted.
func (h *hangListener) Accepted() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.accepted
}

// Peak is the most connections ever open at once.
func (h *hangListener) Peak() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.peak
}

// Close stops accepting and hangs up every connection.
func (h *hangListener) Close() {
	h.once.Do(func() {
		h.ln.Close()
		h.mu.Lock()
		h.closed = true
		for c := range h.conns {
			c.Close()
		}
		h.mu.Unlock()
		h.wg.Wait()
	})
}

// harness is a mock on a loopback httptest server whose every request is bounded by answerLimit. Its cleanup is
// bounded too: a wedged engine is reported and left behind rather than waited for.
type harness struct {
	m      *mock.Server
	hs     *httptest.Server
	client *http.Client
	shut   bool // the test shut the mock down itself
}

func startHarness(tb testing.TB, opts mock.Options) *harness {
	tb.Helper()
	m, err := mock.New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	hs := httptest.NewServer(m)
	h := &harness{m: m, hs: hs, client: hs.Client()}
	tb.Cleanup(func() { h.close(tb, 2*time.Second) })
	return h
}

// close shuts the HTTP server and the mock down, waiting at most limit; it reports whether they ended.
func (h *harness) close(tb testing.TB, limit time.Duration) bool {
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.hs.CloseClientConnections()
		h.hs.Close()
		if !h.shut {
			h.m.Close()
		}
		h.client.CloseIdleConnections()
	}()
	select {
	case <-done:
		return true
	case <-time.After(limit):
		tb.Logf("the mock did not close within %s; left behind. %s", limit, goroutineExcerpt())
		return false
	}
}

// do sends one request to the mock and returns its status and body, or an error if no answer came within
// answerLimit.
func (h *harness) do(method, path, prefer string, body []byte) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), answerLimit)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, h.hs.URL+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer chaos-key")
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if prefer != "" {
		req.Header.Set("Prefer", prefer)
	}
	start := time.Now()
	resp, err := h.client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: no answer after %s: %w", method, path, time.Since(start).Round(time.Millisecond), err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("%s %s: body unread after %s: %w", method, path, time.Since(start).Round(time.Millisecond), err)
	}
	return resp.StatusCode, data, nil
}

// submit creates a task whose callbacks go to hook and returns its id.
func (h *harness) submit(hook, prefer string) (string, error) {
	body, _ := json.Marshal(map[string]string{"user_prompt": "p", "notify_hook": hook})
	status, data, err := h.do(http.MethodPost, lumamock.PathGenerations, prefer, body)
	if err != nil {
		return "", err
	}
	var env struct {
		Data struct {
			TaskID string `json:"task_id"`
		} `json:"data"`
	}
	if status != http.StatusOK || json.Unmarshal(data, &env) != nil || env.Data.TaskID == "" {
		return "", fmt.Errorf("submit to %s: %d %s", hook, status, data)
	}
	return env.Data.TaskID, nil
}

// reset posts /__mock/reset and checks its 204.
func (h *harness) reset() error {
	status, data, err := h.do(http.MethodPost, mock.AdminPrefix+"/reset", "", nil)
	if err == nil && status != http.StatusNoContent {
		err = fmt.Errorf("reset: %d %s", status, data)
	}
	return err
}

// callbacks reads the callback journal through the admin API.
func (h *harness) callbacks() ([]mock.CallbackRecord, error) {
	status, data, err := h.do(http.MethodGet, mock.AdminPrefix+"/callbacks", "", nil)
	if err != nil {
		return nil, err
	}
	var recs []mock.CallbackRecord
	if status != http.StatusOK {
		return nil, fmt.Errorf("callbacks: %d %s", status, data)
	}
	return recs, json.Unmarshal(data, &recs)
}

// mustAnswer runs f, failing the test with an excerpt of the mock's goroutines if it takes longer than
// answerLimit, or with its error. f keeps running if it hangs: the test binary ends all the same.
func mustAnswer(tb testing.TB, what string, f func() error) {
	tb.Helper()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- f() }()
	select {
	case err := <-done:
		if errors.Is(err, context.DeadlineExceeded) {
			tb.Fatalf("%s: %v: the engine is wedged. %s", what, err, goroutineExcerpt())
		}
		if err != nil {
			tb.Fatalf("%s: %v", what, err)
		}
	case <-time.After(answerLimit + 250*time.Millisecond): // f's own timeout, if it has one, speaks first
		tb.Fatalf("%s did not return within %s (waited %s): the engine is wedged. %s", what, answerLimit,
			time.Since(start).Round(time.Millisecond), goroutineExcerpt())
	}
}

// eventually polls cond every few milliseconds for at most limit and reports whether it came true.
func eventually(limit time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// goroutineExcerpt returns the stacks of the goroutines inside the mock's package, the first few of them: enough
// to see who holds what when the engine is wedged.
func goroutineExcerpt() string {
	buf := make([]byte, 4<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var keep []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "lumamock/mock.") {
			keep = append(keep, g)
		}
	}
	// A channel send first (the wedge of old), then the rest; idle workers and goroutines queued on a mutex
	// last: the holder of a lock is rarely one of its waiters.
	rank := func(g string) int {
		head, _, _ := strings.Cut(g, "\n")
		switch {
		case strings.Contains(head, "[chan send"):
			return 0
		case strings.Contains(head, "Mutex.Lock"):
			return 3
		case strings.Contains(head, "[select") && strings.Contains(g, "dispatcher).work(") && !strings.Contains(g, "dispatcher).serve("):
			return 2
		}
		return 1
	}
	slices.SortStableFunc(keep, func(a, b string) int { return rank(a) - rank(b) })
	n := min(len(keep), 10)
	out := strings.Join(keep[:n], "\n\n")
	if len(out) > 12000 {
		out = out[:12000] + "\n…"
	}
	return fmt.Sprintf("%d goroutines in the mock's package; the first %d:\n%s", len(keep), n, out)
}

// localhostIsLoopback4 reports whether "localhost" resolves to 127.0.0.1 first: only then is a hook spelled
// with it the same receiver as one at 127.0.0.1 (the mock dials the first address a name resolves to).
func localhostIsLoopback4() bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", "localhost")
	return err == nil && len(ips) > 0 && ips[0].Unmap() == netip.MustParseAddr("127.0.0.1")
}

// TestResetUnderLoadNeverWedges reproduces defect 1: with one worker and a queue of five, deliveries to a
// receiver that accepts and never answers fill the queue; a reset then must cancel them (the in-flight one
// through its context, journaled "cancelled") and leave the engine as good as new. Today's engine keeps the dead
// queues in its ready channel while its counters drop to zero, so a few more submissions block on a channel
// send made under the dispatcher's mutex: the submit never answers, and nor do reset and shutdown.
//
// It runs on the system clock, as `lumamock serve` does: with pending=0s the processing callback falls due inside
// the submit itself, which is where the wedge bites, and Shutdown's drain is real time.
func TestResetUnderLoadNeverWedges(t *testing.T) {
	dead := newHangListener(t)
	healthy := mocktest.NewHookReceiver(t)
	h := startHarness(t, mock.Options{CallbackWorkers: 1, CallbackQueue: 5, CallbackTimeout: 30 * time.Second, Seed: 1})

	fill := func(round string, n int) {
		t.Helper()
		for i := range n {
			mustAnswer(t, fmt.Sprintf("%s: submit %d with a hook that never answers", round, i+1), func() error {
				_, err := h.submit(dead.URL(""), hangingPrefer)
				return err
			})
		}
	}

	fill("round 1", 6)
	if !eventually(answerLimit, func() bool { return dead.Open() == 1 }) {
		t.Fatalf("the dead receiver holds %d deliveries, want the single worker's one", dead.Open())
	}
	mustAnswer(t, "reset with a full queue and a delivery hanging", h.reset)
	// The reset drops every task, so the delivery in flight is cancelled through its context: the receiver sees
	// its connection closed, and the journal says so.
	if !eventually(answerLimit, func() bool { return dead.Open() == 0 }) {
		t.Errorf("%d deliveries still held %s after the reset dropped their tasks: in-flight deliveries are not cancelled",
			dead.Open(), answerLimit)
	}
	var recs []mock.CallbackRecord
	mustAnswer(t, "GET /__mock/callbacks after the reset", func() (err error) { recs, err = h.callbacks(); return err })
	if !eventually(answerLimit, func() bool {
		for _, rec := range recs {
			if rec.Outcome == mock.OutcomeCancelled {
				return true
			}
		}
		recs, _ = h.callbacks()
		return false
	}) {
		t.Errorf("no callback journaled %q after a reset cut a delivery in flight; journal: %v", mock.OutcomeCancelled, outcomesOf(recs))
	}

	fill("round 2, after the reset", 6)
	mustAnswer(t, "second reset", h.reset)

	// With the dead receiver's deliveries cancelled, the single worker is free for another receiver.
	var id string
	mustAnswer(t, "submit to a healthy receiver", func() (err error) {
		id, err = h.submit(healthy.URL, "pending=0s, processing=0s")
		return err
	})
	ctx, cancel := context.WithTimeout(context.Background(), answerLimit)
	defer cancel()
	if got, err := healthy.Wait(ctx, 2); err != nil {
		t.Errorf("healthy receiver after two resets: %v (got %v)", err, states(got))
	} else if s := healthy.States(id); len(s) != 2 || s[0] != lumamock.StateProcessing || s[1] != lumamock.StateCompleted {
		t.Errorf("healthy receiver got %v for task %s, want processing then completed", s, id)
	}

	// Shutdown with a delivery hanging and more queued: it drains for its context, cuts the rest, and returns.
	fill("round 3, before shutdown", 3)
	mustAnswer(t, "Shutdown with a delivery hanging and more queued", func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		_ = h.m.Shutdown(ctx) // an error is expected: callbacks were given up
		return nil
	})
	h.shut = true
	if !eventually(answerLimit, func() bool { return dead.Open() == 0 }) {
		t.Errorf("%d deliveries still held after Shutdown returned", dead.Open())
	}
}

// outcomesOf counts the outcomes of recs, for failure messages.
func outcomesOf(recs []mock.CallbackRecord) map[string]int {
	out := map[string]int{}
	for _, rec := range recs {
		out[rec.Outcome]++
	}
	return out
}

// TestDeadReceiverCannotStarveAHealthyOne reproduces defect 2: hundreds of tasks whose hook never answers must
// fill only their own receiver's queue (CallbackQueue bounds each receiver's), be given up there with a reason,
// and leave another receiver's callbacks untouched: they arrive at once and are never journaled abandoned.
// Today's engine shares one queue between every receiver, so the healthy callbacks are given up as
// "callback queue full".
func TestDeadReceiverCannotStarveAHealthyOne(t *testing.T) {
	deadTasks := 300
	if testing.Short() {
		deadTasks = 100
	}
	const queue = 8
	dead := newHangListener(t)
	healthy := mocktest.NewHookReceiver(t)
	h := startHarness(t, mock.Options{CallbackWorkers: 4, CallbackQueue: queue, CallbackTimeout: 30 * time.Second,
		CallbackRetries: mock.NoRetries, Seed: 1})

	var wg sync.WaitGroup
	errs := make(chan error, deadTasks)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < deadTasks; i += 4 {
				if _, err := h.submit(dead.URL(""), hangingPrefer); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("submitting to the dead receiver: %v", err)
	}
	if !eventually(answerLimit, func() bool { return dead.Open() > 0 }) {
		t.Fatal("the dead receiver never got a delivery")
	}

	start := time.Now()
	var id string
	mustAnswer(t, "submit to the healthy receiver", func() (err error) {
		id, err = h.submit(healthy.URL, "pending=0s, processing=0s")
		return err
	})
	ctx, cancel := context.WithTimeout(context.Background(), answerLimit)
	defer cancel()
	got, err := healthy.Wait(ctx, 2)
	if err != nil {
		t.Errorf("the healthy receiver starved behind %d tasks of a dead one: %v (got %v)", deadTasks, err, states(got))
	} else {
		t.Logf("healthy callbacks arrived %s after submit", time.Since(start).Round(time.Millisecond))
		if s := healthy.States(id); len(s) != 2 || s[0] != lumamock.StateProcessing || s[1] != lumamock.StateCompleted {
			t.Errorf("healthy receiver got %v, want processing then completed", s)
		}
	}

	var recs []mock.CallbackRecord
	mustAnswer(t, "GET /__mock/callbacks", func() (err error) { recs, err = h.callbacks(); return err })
	deadAbandoned := 0
	for _, rec := range recs {
		switch {
		case rec.TaskID == id && rec.Outcome != mock.OutcomeDelivered:
			t.Errorf("healthy receiver's callback journaled %s: %s", rec.Outcome, rec.Error)
		case rec.URL == dead.URL("") && rec.Outcome == mock.OutcomeAbandoned:
			deadAbandoned++
			if rec.Error == "" {
				t.Errorf("abandoned callback without a reason: %+v", rec)
			}
		}
	}
	// The dead receiver holds some in flight and queue more; far fewer than deadTasks, so the rest were given up.
	if deadAbandoned == 0 {
		t.Errorf("none of %d callbacks to the dead receiver journaled abandoned with a queue of %d; journal: %v",
			deadTasks, queue, outcomesOf(recs))
	}
}

// TestHostSpellingsAreOneReceiver reproduces defect 3: one receiver that never answers, its host spelled several
// ways. A receiver is the address a hook resolves to, so the spellings share one in-flight limit, below the
// worker count, and a healthy receiver still gets its callbacks at once. Today's engine keys the limit on the
// URL's text, so the spellings take every worker.
//
// Every spelling here passes openapi.yaml's notify_hook pattern (^https?://[^\s/?#]+[^\s]*$; `format: uri` is not
// enforced) and the mock's link-local check: localhost (only where it resolves to 127.0.0.1 first), LOCALHOST,
// 127.0.0.1, a port with a leading zero, and the IPv4-mapped IPv6 address in both notations.
func TestHostSpellingsAreOneReceiver(t *testing.T) {
	const workers, perSpelling = 4, 2
	dead := newHangListener(t)
	healthy := mocktest.NewHookReceiver(t)
	h := startHarness(t, mock.Options{CallbackWorkers: workers, CallbackTimeout: 30 * time.Second, Seed: 1})

	p := dead.port
	spellings := []struct{ name, hostport string }{
		{"name", "localhost:" + p},
		{"name in capitals", "LOCALHOST:" + p},
		{"IPv4", "127.0.0.1:" + p},
		{"port with a leading zero", "127.0.0.1:0" + p},
		{"IPv4-mapped IPv6", "[::ffff:127.0.0.1]:" + p},
		{"IPv4-mapped IPv6 in hex", "[::ffff:7f00:1]:" + p},
	}
	if !localhostIsLoopback4() {
		t.Log("localhost does not resolve to 127.0.0.1 first here; its spellings are left out")
		spellings = spellings[2:]
	}
	for _, sp := range spellings {
		for i := range perSpelling {
			mustAnswer(t, fmt.Sprintf("submit %d to the dead receiver spelled %s (%s)", i+1, sp.hostport, sp.name), func() error {
				_, err := h.submit(dead.URL(sp.hostport), hangingPrefer)
				return err
			})
		}
	}
	if !eventually(answerLimit, func() bool { return dead.Open() > 0 }) {
		t.Fatal("the dead receiver never got a delivery")
	}

	start := time.Now()
	mustAnswer(t, "submit to the healthy receiver", func() error {
		_, err := h.submit(healthy.URL, "pending=0s, processing=0s")
		return err
	})
	ctx, cancel := context.WithTimeout(context.Background(), answerLimit)
	defer cancel()
	if got, err := healthy.Wait(ctx, 2); err != nil {
		t.Errorf("the healthy receiver starved while one dead receiver, spelled %d ways, held the workers: %v (got %v)",
			len(spellings), err, states(got))
	} else {
		t.Logf("healthy callbacks arrived %s after submit", time.Since(start).Round(time.Millisecond))
	}
	if peak := dead.Peak(); peak >= workers {
		t.Errorf("the dead receiver held %d deliveries at once with %d workers: its spellings counted as different receivers",
			peak, workers)
	}
}

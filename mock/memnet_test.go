package mock_test

// An in-memory network for tests that run in a synctest bubble, where loopback servers cannot be used (a
// goroutine blocked on a socket never lets the bubble's clock move): the mock and the callback receivers are
// http.Handlers reached through memNet, an http.RoundTripper that serves each request in the caller's
// goroutine. HTTP itself is not what these tests test; the mock's handler, its delivery engine and its
// callback client (redirect rules, timeouts, contexts) are all real.

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

// memNet routes requests to handlers by host; a host with none refuses the connection.
type memNet struct {
	mu    sync.Mutex
	hosts map[string]http.Handler
	n     int
}

func newMemNet() *memNet { return &memNet{hosts: map[string]http.Handler{}} }

// serve puts h at a new host and returns its base URL, http://<name><n>.test.
func (n *memNet) serve(name string, h http.Handler) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.n++
	host := fmt.Sprintf("%s%d.test", name, n.n)
	n.hosts[host] = h
	return "http://" + host
}

// close takes the handler at base off the network: its connections are refused from now on.
func (n *memNet) close(base string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for host := range n.hosts {
		if "http://"+host == base {
			delete(n.hosts, host)
		}
	}
}

// listen puts h at 127.0.0.1:port, which every spelling of that address reaches (see addr).
func (n *memNet) listen(port int, h http.Handler) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.hosts["127.0.0.1:"+strconv.Itoa(port)] = h
}

// addr is where a request to hostport goes: an IP address and port whatever their spelling ("localhost" is
// 127.0.0.1, an IPv4-mapped IPv6 address is its IPv4 address, a port may have leading zeros), or the name.
func addr(hostport string) string {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return hostport
	}
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		host = "127.0.0.1"
	}
	p, err := strconv.Atoi(port)
	ip, ierr := netip.ParseAddr(host)
	if err != nil || ierr != nil {
		return hostport
	}
	return net.JoinHostPort(ip.Unmap().String(), strconv.Itoa(p))
}

func (n *memNet) RoundTrip(req *http.Request) (*http.Response, error) {
	n.mu.Lock()
	h := n.hosts[req.URL.Host]
	if h == nil {
		h = n.hosts[addr(req.URL.Host)]
	}
	n.mu.Unlock()
	if h == nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("dial tcp %s: connect: connection refused", req.URL.Host)
	}
	in := req.Clone(req.Context())
	if in.Body == nil {
		in.Body = http.NoBody
	}
	in.RequestURI = req.URL.RequestURI()
	in.RemoteAddr = "192.0.2.1:1234"
	in.Host = req.URL.Host
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, in)
	if err := req.Context().Err(); err != nil { // the caller gave up while the handler ran
		return nil, err
	}
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// resolver is the mock's Resolver on a memNet: localhost is 127.0.0.1; no other name is resolved, so every
// other host name is its own receiver.
func resolver(_ context.Context, host string) ([]netip.Addr, error) {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	return nil, fmt.Errorf("%s: names are not resolved in tests", host)
}

// memServer is a mock on a memNet, with a ManualClock (mocktest.Start) unless the options bring a clock. Its
// fields and methods are those of mocktest.Server.
type memServer struct {
	URL    string
	Client *http.Client
	Clock  *mock.ManualClock
	Mock   *mock.Server
	net    *memNet
	tb     testing.TB
}

// newMemServer starts a mock with opts on a new memNet; it is closed when the test ends.
func newMemServer(tb testing.TB, opts mock.Options) *memServer {
	tb.Helper()
	n := newMemNet()
	if opts.Clock == nil {
		opts.Clock = mock.NewManualClock(mocktest.Start)
	}
	if opts.Seed == 0 {
		opts.Seed = mocktest.Seed
	}
	opts.Resolver = resolver
	if opts.CallbackClient == nil {
		opts.CallbackClient = &http.Client{Transport: n}
	}
	m, err := mock.New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	s := &memServer{Client: &http.Client{Transport: n}, Mock: m, net: n, tb: tb}
	s.URL = n.serve("mock", m)
	s.Clock, _ = opts.Clock.(*mock.ManualClock)
	tb.Cleanup(m.Close)
	return s
}

// Advance moves the clock by d and waits for the callbacks due, as mocktest.Server.Advance does.
func (s *memServer) Advance(d time.Duration) {
	s.tb.Helper()
	s.Clock.Advance(d)
	s.settle()
}

func (s *memServer) settle() {
	s.tb.Helper()
	if err := s.Mock.WaitCallbacks(context.Background()); err != nil {
		s.tb.Fatal(err)
	}
}

// Task returns task id, failing the test if the mock does not know it.
func (s *memServer) Task(id string) mock.TaskRecord {
	s.tb.Helper()
	rec, err := s.Mock.Task(id)
	if err != nil {
		s.tb.Fatal(err)
	}
	return rec
}

// hook returns a new callback receiver on the server's network.
func (s *memServer) hook() *memHook { return newMemHook(s.net) }

// memHook is a callback receiver on a memNet, as mocktest.HookReceiver is on loopback: it records every
// delivery and answers with the statuses it is told, 200 otherwise.
type memHook struct {
	URL  string
	base string
	net  *memNet

	mu       sync.Mutex
	got      []mocktest.Delivery
	statuses []int
	respond  func(*http.Request, mocktest.Delivery) int
}

func newMemHook(n *memNet) *memHook {
	h := &memHook{net: n}
	h.base = n.serve("hook", h)
	h.URL = h.base + "/hook"
	return h
}

func (h *memHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	d := mocktest.Delivery{Header: r.Header.Clone(), Body: body, TaskID: r.Header.Get(mock.HeaderTaskID),
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
		d.Status = respond(r, d)
		h.mu.Lock()
	default:
		d.Status = http.StatusOK
	}
	if d.Status != 0 {
		h.got = append(h.got, d)
	}
	h.mu.Unlock()
	if d.Status != 0 {
		w.WriteHeader(d.Status)
	}
}

// Respond makes the next deliveries answered with statuses, in order; later ones get 200 (or RespondFunc's).
func (h *memHook) Respond(statuses ...int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.statuses = append(h.statuses, statuses...)
}

// RespondFunc answers each delivery with f's status once Respond's are used up; f may block (on the request's
// context, say) to play a slow or hanging receiver. A delivery f answers 0 is not recorded, and gets no
// answer (the receiver hung up).
func (h *memHook) RespondFunc(f func(*http.Request, mocktest.Delivery) int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.respond = f
}

// Deliveries returns what the receiver got, in arrival order.
func (h *memHook) Deliveries() []mocktest.Delivery {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]mocktest.Delivery(nil), h.got...)
}

// States returns the states of task id's deliveries, in arrival order.
func (h *memHook) States(id string) []lumamock.TaskState {
	var out []lumamock.TaskState
	for _, d := range h.Deliveries() {
		if d.TaskID == id {
			out = append(out, d.State)
		}
	}
	return out
}

// Close takes the receiver off the network: deliveries to it fail with connection errors.
func (h *memHook) Close() { h.net.close(h.base) }

// elapse lets d pass on the bubble's clock, which takes no real time, then waits until every goroutine of the
// bubble is blocked. Only the bubble's root goroutine may call it.
func elapse(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

// pause lets d pass on the bubble's clock for the calling goroutine alone: a client's think time.
func pause(d time.Duration) { time.Sleep(d) }

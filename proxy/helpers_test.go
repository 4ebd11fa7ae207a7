package proxy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testKey   = "sk-test-9f8e7d6c5b4a"
	validBody = `{"user_prompt":"wind in the trees","model_name":"ray-v2","duration":"5s","resolution":"720p"}`
	taskID    = "4665a07c-7641-4809-a133-10786201bb56"
)

func envelope(state string) string {
	return `{"code":200,"message":"success","request_id":"3f2b8c1e-5a47-4d0e-9c61-2b7e8f0a1d22","data":{"task_id":"` + taskID +
		`","task_status":"` + state + `","created_at":1734874720,"updated_at":1734874725}}`
}

// seen is a request as the fake upstream received it.
type seen struct {
	Method, Path, Query string
	Header              http.Header
	Body                string
}

// upstream is a fake Luma API on loopback: it answers with reply and remembers every request.
type upstream struct {
	*httptest.Server
	mu   sync.Mutex
	got  []seen
	next func(w http.ResponseWriter, r *http.Request, body []byte)
}

func newUpstream(t testing.TB, reply func(w http.ResponseWriter, r *http.Request, body []byte)) *upstream {
	t.Helper()
	u := &upstream{next: reply}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.got = append(u.got, seen{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), string(body)})
		u.mu.Unlock()
		u.next(w, r, body)
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) requests() []seen {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]seen(nil), u.got...)
}

// answer replies with status, Content-Type application/json and body.
func answer(status int, body string) func(http.ResponseWriter, *http.Request, []byte) {
	return func(w http.ResponseWriter, r *http.Request, _ []byte) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// startProxy serves a Proxy of opts (Upstream filled in from up) on loopback.
func startProxy(t testing.TB, up *upstream, opts Options) (*Proxy, *httptest.Server) {
	t.Helper()
	if opts.Upstream == "" {
		opts.Upstream = up.URL
	}
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Second
	}
	p, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return p, serve(t, p)
}

// call sends a request through the proxy; header values "" delete the default.
func call(t testing.TB, base, method, path, body string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testKey)
	req.Header.Set("Accept", "application/json")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, data
}

// brief is what the tests compare of a finding.
type brief struct{ Direction, Kind, Pointer string }

func headerFindings(t testing.TB, h http.Header) []brief {
	t.Helper()
	v := h.Get(HeaderViolations)
	if v == "" {
		return nil
	}
	var vs []Violation
	if err := json.Unmarshal([]byte(v), &vs); err != nil {
		t.Fatalf("%s is not a JSON array of violations: %v\n%s", HeaderViolations, err, v)
	}
	out := make([]brief, len(vs))
	for i, x := range vs {
		out[i] = brief{x.Direction, string(x.Kind), x.Pointer}
	}
	sortBriefs(out)
	return out
}

func briefs(fs []Finding) []brief {
	out := make([]brief, len(fs))
	for i, f := range fs {
		out[i] = brief{f.Direction, string(f.Kind), f.Pointer}
	}
	sortBriefs(out)
	if len(out) == 0 {
		return nil
	}
	return out
}

func sortBriefs(b []brief) {
	sort.Slice(b, func(i, j int) bool {
		if b[i].Direction != b[j].Direction {
			return b[i].Direction < b[j].Direction
		}
		if b[i].Kind != b[j].Kind {
			return b[i].Kind < b[j].Kind
		}
		return b[i].Pointer < b[j].Pointer
	})
}

// hookReceiver is a client's notify_hook on loopback.
type hookReceiver struct {
	*httptest.Server
	mu   sync.Mutex
	got  []seen
	cond chan struct{}
}

func newHookReceiver(t testing.TB) *hookReceiver {
	t.Helper()
	h := &hookReceiver{cond: make(chan struct{}, 100)}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.got = append(h.got, seen{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), string(body)})
		h.mu.Unlock()
		h.cond <- struct{}{}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.Close)
	return h
}

// wait waits (at most 5 s) until n callbacks arrived and returns them.
func (h *hookReceiver) wait(t testing.TB, n int) []seen {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		h.mu.Lock()
		got := append([]seen(nil), h.got...)
		h.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-h.cond:
		case <-deadline:
			t.Fatalf("%d callbacks arrived within 5s, want %d", len(got), n)
		}
	}
}

// assertNoKey fails if the API key appears in data.
func assertNoKey(t testing.TB, where string, data []byte) {
	t.Helper()
	if bytes.Contains(data, []byte(testKey)) {
		t.Errorf("the API key appears in %s:\n%s", where, data)
	}
}

// served tells the tests when the proxy has finished a request: it journals an exchange as its ServeHTTP
// returns, which may be after the client has read the answer. Servers made with serve notify it.
var served sync.Map // *Proxy → *notifier

// notifier wakes those waiting for the next request served.
type notifier struct {
	mu sync.Mutex
	ch chan struct{}
}

func (n *notifier) next() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.ch
}

func (n *notifier) notify() {
	n.mu.Lock()
	defer n.mu.Unlock()
	close(n.ch)
	n.ch = make(chan struct{})
}

// serve serves p on a loopback httptest server, closed at cleanup, whose requests waitFor sees end.
func serve(t testing.TB, p *Proxy) *httptest.Server {
	t.Helper()
	n := &notifier{ch: make(chan struct{})}
	served.Store(p, n)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer n.notify()
		p.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { srv.Close(); served.Delete(p) })
	return srv
}

// waitFor waits until cond holds, checking it as each request p serves (on a server made with serve) ends; it
// fails the test if that takes 10 s, which only a broken proxy makes it.
func waitFor(t testing.TB, p *Proxy, what string, cond func() bool) {
	t.Helper()
	v, ok := served.Load(p)
	if !ok {
		t.Fatal("waitFor: the proxy is not served by serve")
	}
	n := v.(*notifier)
	limit := time.NewTimer(10 * time.Second)
	defer limit.Stop()
	for {
		next := n.next()
		if cond() {
			return
		}
		select {
		case <-next:
		case <-limit.C:
			t.Fatalf("waited 10s for %s", what)
		}
	}
}

// waitJournal waits for n journal entries and returns them.
func waitJournal(t testing.TB, p *Proxy, n int) []Exchange {
	t.Helper()
	waitFor(t, p, fmt.Sprintf("%d journal entries", n), func() bool { return len(p.Requests()) >= n })
	got := p.Requests()
	if len(got) != n {
		t.Fatalf("journal has %d entries, want %d", len(got), n)
	}
	return got
}

type httptestServer = httptest.Server

func newTestServer(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

package check

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// callback is one delivery received by the hook listener.
type callback struct {
	at     time.Time
	header http.Header
	body   []byte
}

// maxCallbacksPerCase bounds what one case's hook keeps: an API that floods the listener cannot grow it.
const maxCallbacksPerCase = 64

// hookServer receives the callbacks of billable cases: each case's notify_hook is <base>/<case name>. Posts to
// any other path are answered 404 and forgotten.
type hookServer struct {
	srv     *http.Server
	base    string
	maxBody int64

	mu      sync.Mutex
	cases   map[string]bool // the cases whose callbacks are expected
	byCase  map[string][]callback
	waiters map[string]chan struct{} // per case, closed at its next callback (see arrived)
	done    chan struct{}
}

// listenHooks binds addr and serves callbacks; publicURL, when set, is how the API reaches it.
func listenHooks(addr, publicURL string, maxBody int64, cases []string) (*hookServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("check: hook listener: %w", err)
	}
	base := publicURL
	if base == "" {
		base = "http://" + ln.Addr().String()
	} else if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		ln.Close()
		return nil, fmt.Errorf("check: hook URL %q is not an http(s) URL", publicURL)
	}
	h := &hookServer{base: strings.TrimSuffix(base, "/"), maxBody: maxBody, byCase: map[string][]callback{}, cases: map[string]bool{},
		waiters: map[string]chan struct{}{}, done: make(chan struct{})}
	for _, c := range cases {
		h.cases[c] = true
	}
	h.srv = &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second}
	go func() {
		defer close(h.done)
		_ = h.srv.Serve(ln) // returns http.ErrServerClosed after Close
	}()
	return h, nil
}

// URL is the notify_hook of case name.
func (h *hookServer) URL(name string) string { return caseHook(h.base, name) }

// caseHook is the notify_hook of case name on a listener reached at base.
func caseHook(base, name string) string {
	return strings.TrimSuffix(base, "/") + "/" + url.PathEscape(name)
}

func (h *hookServer) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		http.Error(w, "callbacks are POSTed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, h.maxBody))
	if err != nil {
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	name := req.URL.Path[strings.LastIndexByte(req.URL.Path, '/')+1:]
	if unescaped, err := url.PathUnescape(name); err == nil {
		name = unescaped
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.cases[name] {
		http.Error(w, "no such hook", http.StatusNotFound)
		return
	}
	if len(h.byCase[name]) >= maxCallbacksPerCase {
		http.Error(w, "too many callbacks", http.StatusTooManyRequests)
		return
	}
	h.byCase[name] = append(h.byCase[name], callback{at: time.Now(), header: req.Header.Clone(), body: body})
	if ch := h.waiters[name]; ch != nil {
		close(ch)
		delete(h.waiters, name)
	}
	w.WriteHeader(http.StatusOK)
}

// received returns the callbacks of case name so far, in the order they arrived.
func (h *hookServer) received(name string) []callback {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]callback(nil), h.byCase[name]...)
}

// arrived returns a channel that is closed once case name has more than seen callbacks: at once when it already
// has.
func (h *hookServer) arrived(name string, seen int) <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.byCase[name]) > seen {
		ch := make(chan struct{})
		close(ch)
		return ch
	}
	ch := h.waiters[name]
	if ch == nil {
		ch = make(chan struct{})
		h.waiters[name] = ch
	}
	return ch
}

// wait returns the callbacks of case name once done says they are complete, or when wait has passed.
func (h *hookServer) wait(ctx context.Context, name string, wait time.Duration, done func([]callback) bool) []callback {
	deadline := time.Now().Add(wait)
	// Once done, callbacks still in flight are collected until none has arrived for settle: a reordered,
	// duplicated or late callback may follow the one that ended the task.
	settle := max(40*time.Millisecond, min(wait/4, 500*time.Millisecond))
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	seen, lastArrival, finished := 0, time.Now(), false
	for {
		got := h.received(name)
		now := time.Now()
		if len(got) != seen {
			seen, lastArrival = len(got), now
		}
		finished = finished || done(got)
		if finished && now.Sub(lastArrival) >= settle || now.After(deadline) {
			return got
		}
		select {
		case <-ctx.Done():
			return got
		case <-tick.C:
		}
	}
}

// Close stops the listener at once: by now every callback the run waits for has been read, and a graceful
// shutdown would wait for connections the API opened but never used.
func (h *hookServer) Close() error {
	err := h.srv.Close()
	<-h.done
	return err
}

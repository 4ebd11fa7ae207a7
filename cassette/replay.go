package cassette

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/internal/adminapi"
	"github.com/lumamock/lumamock/internal/deadline"
	"github.com/lumamock/lumamock/internal/httpstatus"
	"github.com/lumamock/lumamock/internal/redact"
	"github.com/lumamock/lumamock/internal/replay"
	"github.com/lumamock/lumamock/internal/ring"
	"github.com/lumamock/lumamock/internal/snip"
)

// Response headers a Replayer sets.
const (
	// HeaderSource says who answered: SourceReplay or SourceMock.
	HeaderSource = "X-Lumamock-Source"
	// HeaderCassette names the cassette file a replayed answer came from.
	HeaderCassette = "X-Lumamock-Cassette"
)

// Values of HeaderSource.
const (
	SourceReplay = "replay"
	SourceMock   = "mock"
)

// Defaults of a Replayer.
const (
	DefaultMaxBody         = 20 << 20
	DefaultJournalSize     = 1000
	DefaultCallbackTimeout = 5 * time.Second
)

// hookField is the request member that names the client's callback URL; it is not part of a request's key.
const hookField = lumamock.FieldNotifyHook

// Decision is one request a Replayer saw and who answered it.
type Decision struct {
	Seq    int64     `json:"seq"`
	At     time.Time `json:"at"`
	Method string    `json:"method"`
	Path   string    `json:"path"`
	Query  string    `json:"query,omitempty"`
	// Session is the session the request was in (X-Lumamock-Session or /__session/NAME), "default" for none.
	Session string `json:"session"`
	// Source is SourceReplay or SourceMock.
	Source string `json:"source"`
	// File is the cassette file replayed; Status its recorded status.
	File   string `json:"file,omitempty"`
	Status int    `json:"status,omitempty"`
	// Callbacks is how many recorded callbacks were sent to the request's notify_hook.
	Callbacks int `json:"callbacks,omitempty"`
}

// Replayer is an http.Handler that answers requests from a cassette and hands the rest to a fallback. It is
// safe for concurrent use.
//
// A Replayer answers a request from the cassette when method, path, query and (for requests with a body) the
// normalized JSON body match a recorded exchange; notify_hook is left out of the comparison, since it names the
// client's own address. Repeated requests with the same key (a task polled with GET) replay the recorded
// answers in order and stay on the last one once they run out. Each session (the X-Lumamock-Session header, or
// a /__session/NAME prefix, as the mock reads them) walks the cassette on its own, as it has tasks of its own:
// a reset (POST /__mock/reset, /__mock/sessions/NAME/reset) or delete of a session that the fallback carries
// out rewinds that session alone. Anything else goes to the fallback handler.
// The X-Lumamock-Source response header says which one answered: replay or mock.
// When the fallback is the mock, a recorded success answers only a request the mock admits (it answers the
// others with the error the document implies), and each replayed request is also journaled by the mock.
type Replayer struct {
	// MaxBody is the largest request body read to match; larger requests go to the fallback. Zero means
	// DefaultMaxBody.
	MaxBody int64
	// HookClient sends recorded callbacks to the notify_hook of a replayed submission; nil means a client with
	// DefaultCallbackTimeout. Only http and https hooks are called.
	HookClient *http.Client
	// Logger receives one record per replayed answer and per callback sent; nil discards them.
	Logger *slog.Logger
	// AdminToken, when set, is the bearer token GET /__mock/replay asks for, as the fallback's admin endpoints
	// do (lumamock serve --admin-token); whatever it is, the replay journal is guarded like them (a loopback
	// listener answers only a loopback Host).
	AdminToken string
	// Secrets are credentials the replay journal must not show besides each request's own (its bearer token,
	// credential headers and parameters): the fallback's accepted API keys.
	Secrets []string
	// MaxSessions bounds the sessions whose place in the cassette is kept; past it the least recently used one
	// is forgotten (it replays from the start again, and its recorded callbacks not yet sent are dropped), as
	// the mock forgets a session past its own bound. Zero means DefaultMaxSessions.
	MaxSessions int

	fallback  http.Handler
	mu        sync.Mutex
	sequences map[string]*sequence
	callbacks map[int][]Entry // by the seq of the submitting exchange
	journal   *ring.Ring[Decision]
	entries   int
	admin     func() (http.Handler, error) // GET /__mock/replay (adminapi), built on first use with AdminToken
	wg        sync.WaitGroup
	cursors   map[string]*cursor // by session (guarded by mu)
	uses      uint64             // counts the cursors' uses, to find the least recently used (guarded by mu)
	closed    bool               // guarded by mu
}

// sequence is the recorded answers to one request key.
type sequence struct {
	entries []Entry
}

// cursor is one session's place in the cassette: how many answers of each sequence it was replayed, and the
// context of the recorded callbacks sent for it, cancelled when the session is rewound or forgotten.
type cursor struct {
	next   map[*sequence]int
	ctx    context.Context
	cancel context.CancelFunc
	used   uint64
}

// DefaultMaxSessions is a Replayer's MaxSessions when it is zero: the mock's own default.
const DefaultMaxSessions = 1000

// NewReplayer loads the cassette in dir and returns a handler answering from it, passing requests it has no
// recording of (and the admin endpoints under /__mock/, except /__mock/replay) to fallback.
func NewReplayer(dir string, fallback http.Handler) (*Replayer, error) {
	entries, err := Load(dir)
	if err != nil {
		return nil, err
	}
	if fallback == nil {
		fallback = http.NotFoundHandler()
	}
	r := &Replayer{fallback: fallback, sequences: map[string]*sequence{}, callbacks: map[int][]Entry{}, cursors: map[string]*cursor{},
		journal: ring.New[Decision](DefaultJournalSize)}
	r.admin = sync.OnceValues(func() (http.Handler, error) {
		return adminapi.New(adminapi.Config{
			Kind:  adminapi.Replay,
			Token: r.AdminToken,
			Decisions: adminapi.Journal(r.journal, func(*Decision, adminapi.Filter) bool { return true },
				func(d *Decision) any { return d }),
		})
	})
	for _, e := range entries {
		switch {
		case e.Kind == KindCallback:
			r.callbacks[e.Exchange] = append(r.callbacks[e.Exchange], e)
		case e.Kind == KindExchange && e.Response.Status != 0:
			k := Key(e.Request.Method, e.Request.Path, e.Request.Query, e.Request.Body.Bytes())
			s := r.sequences[k]
			if s == nil {
				s = &sequence{}
				r.sequences[k] = s
			}
			s.entries = append(s.entries, e)
			r.entries++
		}
	}
	return r, nil
}

// Len reports how many recorded answers the Replayer holds.
func (r *Replayer) Len() int { return r.entries }

// Callbacks reports how many recorded callbacks the Replayer holds, to send to replayed submissions' hooks.
func (r *Replayer) Callbacks() int {
	n := 0
	for _, cbs := range r.callbacks {
		n += len(cbs)
	}
	return n
}

// Key is what a Replayer matches requests on: method, path, query (parameters sorted, credential values
// redacted as they are recorded) and, for a body, the body as normalized JSON without notify_hook (or the
// bytes themselves when they are not JSON).
func Key(method, path, query string, body []byte) string {
	var b strings.Builder
	b.WriteString(strings.ToUpper(method))
	b.WriteByte(' ')
	b.WriteString(path)
	if query != "" {
		query = redact.Query(query) // recorded with credentials redacted
		if v, err := url.ParseQuery(query); err == nil {
			query = v.Encode()
		}
		b.WriteByte('?')
		b.WriteString(query)
	}
	if len(bytes.TrimSpace(body)) > 0 {
		b.WriteByte(' ')
		b.Write(matchBody(body))
	}
	return b.String()
}

// matchBody normalizes a body for matching.
func matchBody(body []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil || dec.More() {
		return body
	}
	if obj, ok := v.(map[string]any); ok {
		delete(obj, hookField)
	}
	out, err := json.Marshal(v)
	if err != nil {
		return body
	}
	return out
}

// ServeHTTP answers r from the cassette when it can, else with the fallback.
func (r *Replayer) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	// A replayed answer must reach its client in time, as the mock's do (see internal/deadline); the mock's own
	// answers, under this Writer, leave the deadlines to it.
	dw := deadline.Wrap(w, deadline.Stall, deadline.Limit)
	r.serve(dw, req)
	dw.Done()
}

// serve is ServeHTTP's work.
func (r *Replayer) serve(w http.ResponseWriter, req *http.Request) {
	if req.URL.Path == "/__mock/replay" {
		admin, err := r.admin()
		if err != nil {
			adminapi.WriteError(w, fmt.Errorf("cassette: %w", err))
			return
		}
		admin.ServeHTTP(w, req) // judged by admin.yaml and guarded as the fallback's admin endpoints
		return
	}
	session, path, ok := sessionOf(req)
	if !ok {
		r.toFallback(w, req) // a malformed session name, or two: the mock says which
		return
	}
	if rewinds := resetSession(req.Method, path, session); rewinds != "" {
		// The fallback decides whether the reset is allowed (its admin guard) and whether there was such a
		// session; only one it carried out rewinds the session's cassette too.
		rec := &httpstatus.Recorder{ResponseWriter: w}
		r.fallback.ServeHTTP(rec, req)
		if rec.Status >= 200 && rec.Status < 300 {
			r.ResetSession(rewinds)
		}
		return
	}
	if path == "/healthz" || strings.HasPrefix(path, "/__mock/") {
		r.fallback.ServeHTTP(w, req)
		return
	}
	limit := r.MaxBody
	if limit <= 0 {
		limit = DefaultMaxBody
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, limit+1))
	if err != nil || int64(len(body)) > limit {
		req.Body = readCloser{io.MultiReader(bytes.NewReader(body), req.Body), req.Body}
		r.toFallback(w, req)
		return
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	// A session's requests (/__session/NAME/...) replay the recordings of the API's paths.
	k := Key(req.Method, path, req.URL.RawQuery, body)
	r.mu.Lock()
	s := r.sequences[k]
	var e Entry
	var ctx context.Context // of the session's recorded callbacks
	if s != nil {
		c := r.cursorLocked(session)
		e = s.entries[min(c.next[s], len(s.entries)-1)]
		if c.next[s] < len(s.entries) {
			c.next[s]++
		}
		ctx = c.ctx
	}
	r.mu.Unlock()
	if s == nil || e.Response.BodyNotRecorded {
		// Nothing recorded, or an answer whose body the recording could not keep: an empty body would pass
		// for the API's answer.
		r.toFallback(w, req)
		return
	}
	if j, ok := replay.JudgeOf(r.fallback); ok && e.Response.Status < 400 && !j.Admits(req, body) {
		// A recorded success must not stand in for a request the fallback refuses (no key, a bad body): the
		// fallback answers it, with the error the document implies.
		r.toFallback(w, req)
		return
	}
	hook := hookOf(body)
	cbs := r.callbacks[e.Seq]
	if hook == "" {
		cbs = nil
	}
	r.note(req, Decision{Session: session, Source: SourceReplay, File: e.file, Status: e.Response.Status, Callbacks: len(cbs)})
	h := w.Header()
	for k, vs := range e.Response.Header {
		if strings.HasPrefix(strings.ToLower(k), "x-lumamock-") {
			continue
		}
		h[k] = append([]string(nil), vs...)
	}
	h.Set(HeaderSource, SourceReplay)
	h.Set(HeaderCassette, e.file)
	data := e.Response.Body.Bytes()
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(e.Response.Status)
	if req.Method != http.MethodHead {
		_, _ = w.Write(data)
	}
	r.logger().Info("replayed", "method", req.Method, "path", req.URL.Path, "status", e.Response.Status, "file", e.file)
	if j, ok := replay.JudgeOf(r.fallback); ok {
		j.Journal(req, body, e.Response.Status, h, e.file)
	}
	if len(cbs) > 0 {
		r.wg.Add(1)
		go r.sendCallbacks(ctx, hook, cbs) // a reset of the session cancels ctx
	}
}

func (r *Replayer) toFallback(w http.ResponseWriter, req *http.Request) {
	session, _, _ := sessionOf(req)
	r.note(req, Decision{Session: session, Source: SourceMock})
	w.Header().Set(HeaderSource, SourceMock)
	r.fallback.ServeHTTP(w, req)
}

// sessionOf reads the session req is in, as the mock does: its X-Lumamock-Session header or a /__session/NAME
// prefix of its path as sent, adminapi.DefaultSession for neither. It returns too the path without the prefix; ok
// is false for a malformed name, a header sent twice with two names, or a header and a prefix that disagree (the
// mock refuses those).
func sessionOf(req *http.Request) (session, path string, ok bool) {
	header, err := adminapi.SessionHeader(req.Header)
	if err != nil {
		return adminapi.DefaultSession, req.URL.Path, false
	}
	path = req.URL.Path
	name, _, prefixed := adminapi.SplitPrefix(req.URL.EscapedPath())
	if prefixed {
		if adminapi.CheckName(name) != nil {
			return adminapi.DefaultSession, path, false
		}
		// The name is plain: the path, decoded, goes on after it.
		if path = path[len(adminapi.SessionPrefix)+len(name):]; path == "" {
			path = "/"
		}
	}
	switch {
	case prefixed && header != "" && header != name:
		return adminapi.DefaultSession, path, false
	case prefixed:
	case header != "":
		name = header
	default:
		return adminapi.DefaultSession, path, true
	}
	return name, path, adminapi.CheckName(name) == nil
}

// resetSession returns the session a request to path rewinds once the fallback carried it out: POST
// /__mock/reset (of the request's session), POST /__mock/sessions/NAME/reset, DELETE /__mock/sessions/NAME;
// "" for any other request.
func resetSession(method, path, session string) string {
	const sessions = adminapi.Prefix + "/sessions/"
	switch {
	case method == http.MethodPost && path == adminapi.Prefix+"/reset":
		return session
	case method == http.MethodPost && strings.HasPrefix(path, sessions) && strings.HasSuffix(path, "/reset"):
		name := strings.TrimSuffix(strings.TrimPrefix(path, sessions), "/reset")
		if adminapi.CheckName(name) == nil {
			return name
		}
	case method == http.MethodDelete && strings.HasPrefix(path, sessions):
		if name := strings.TrimPrefix(path, sessions); adminapi.CheckName(name) == nil {
			return name
		}
	}
	return ""
}

// cursorLocked returns session's cursor, making it (and forgetting the least recently used past MaxSessions)
// when there is none. r.mu is held.
func (r *Replayer) cursorLocked(session string) *cursor {
	r.uses++
	c := r.cursors[session]
	if c == nil {
		limit := r.MaxSessions
		if limit <= 0 {
			limit = DefaultMaxSessions
		}
		if len(r.cursors) >= limit {
			oldest := ""
			for name, o := range r.cursors {
				if oldest == "" || o.used < r.cursors[oldest].used {
					oldest = name
				}
			}
			r.cursors[oldest].cancel() // a context's cancel only marks it: nothing waits under the lock
			delete(r.cursors, oldest)
		}
		c = &cursor{next: map[*sequence]int{}}
		c.ctx, c.cancel = context.WithCancel(context.Background())
		if r.closed {
			c.cancel()
		}
		r.cursors[session] = c
	}
	c.used = r.uses
	return c
}

type readCloser struct {
	io.Reader
	io.Closer
}

// hookOf returns the request body's notify_hook when it is an http(s) URL.
func hookOf(body []byte) string {
	var v struct {
		Hook string `json:"notify_hook"`
	}
	if json.Unmarshal(body, &v) != nil {
		return ""
	}
	u, err := url.Parse(v.Hook)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return v.Hook
}

// sendCallbacks posts recorded callbacks to hook, in recorded order, once each.
func (r *Replayer) sendCallbacks(ctx context.Context, hook string, cbs []Entry) {
	defer r.wg.Done()
	client := r.HookClient
	if client == nil {
		client = &http.Client{Timeout: DefaultCallbackTimeout}
	}
	for _, cb := range cbs {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook, bytes.NewReader(cb.Request.Body.Bytes()))
		if err != nil {
			return
		}
		for k, vs := range cb.Request.Header {
			req.Header[k] = append([]string(nil), vs...)
		}
		req.Header.Set(HeaderSource, SourceReplay)
		req.Header.Set(HeaderCassette, cb.file)
		resp, err := client.Do(req)
		if err != nil {
			r.logger().Warn("replayed callback failed", "file", cb.file, "error", redact.Text(err.Error()))
			if ctx.Err() != nil {
				return
			}
			continue
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		r.logger().Info("replayed callback", "file", cb.file, "status", resp.StatusCode)
	}
}

// Reset rewinds the cassette for every session (each request's recorded answers are replayed from the first
// again), forgets the journal and stops sending the recorded callbacks not yet sent. It does not wait for a
// receiver: a callback in flight is cut through its context.
func (r *Replayer) Reset() {
	r.mu.Lock()
	cursors := r.cursors
	r.cursors = map[string]*cursor{}
	r.mu.Unlock()
	r.journal.Reset()
	for _, c := range cursors {
		c.cancel() // outside the lock: it cuts the callbacks in flight
	}
}

// ResetSession rewinds the cassette for session alone and stops sending its recorded callbacks not yet sent,
// without waiting for a receiver. The journal, which all sessions share, is emptied only when it holds no other
// session's decisions. A reset or delete of a session that the fallback carries out calls it.
func (r *Replayer) ResetSession(session string) {
	r.mu.Lock()
	c := r.cursors[session]
	delete(r.cursors, session)
	r.mu.Unlock()
	if others := r.journal.Since(0, 1, func(d *Decision) bool { return d.Session != session }); len(others) == 0 {
		r.journal.Reset()
	}
	if c != nil {
		c.cancel()
	}
}

// Close stops callbacks being sent and waits for their goroutines to end.
func (r *Replayer) Close() {
	r.mu.Lock()
	r.closed = true
	cursors := make([]*cursor, 0, len(r.cursors))
	for _, c := range r.cursors {
		cursors = append(cursors, c)
	}
	r.mu.Unlock()
	for _, c := range cursors {
		c.cancel()
	}
	r.wg.Wait()
}

// Wait waits until every recorded callback started so far has been sent.
func (r *Replayer) Wait() { r.wg.Wait() }

// maxDecisionText bounds each text of a journaled decision.
const maxDecisionText = 4 << 10

// note journals d, the decision on req, with req's method, path and query redacted: a client can send a key
// anywhere, even as a task id.
func (r *Replayer) note(req *http.Request, d Decision) {
	secrets := append(slices.Clip(r.Secrets), redact.RequestSecrets(req)...)
	// Each text is cut to maxDecisionText, so the journal's memory is bounded by its length, not by the URLs
	// clients send (up to a megabyte each).
	d.Method, _ = snip.Cut(redact.Text(req.Method, secrets...), maxDecisionText)
	d.Path, _ = snip.Cut(redact.Text(req.URL.Path, secrets...), maxDecisionText)
	d.Query, _ = snip.Cut(redact.Query(req.URL.RawQuery, secrets...), maxDecisionText)
	d.At = time.Now().UTC()
	r.journal.Add(func(seq int64) Decision { d.Seq = seq; return d })
}

// Journal returns the decisions taken, oldest first (at most DefaultJournalSize).
func (r *Replayer) Journal() []Decision { return r.journal.List() }

func (r *Replayer) logger() *slog.Logger {
	if r.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Logger
}

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
// answers in order and stay on the last one once they run out. Anything else goes to the fallback handler.
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

	fallback  http.Handler
	mu        sync.Mutex
	sequences map[string]*sequence
	callbacks map[int][]Entry // by the seq of the submitting exchange
	journal   *ring.Ring[Decision]
	entries   int
	admin     func() (http.Handler, error) // GET /__mock/replay (adminapi), built on first use with AdminToken
	wg        sync.WaitGroup
	ctx       context.Context // the recorded callbacks' context, cancelled by Reset and Close (guarded by mu)
	cancel    context.CancelFunc
}

// sequence is the recorded answers to one request key, and how many were replayed.
type sequence struct {
	entries []Entry
	next    int
}

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
	ctx, cancel := context.WithCancel(context.Background())
	r := &Replayer{fallback: fallback, sequences: map[string]*sequence{}, callbacks: map[int][]Entry{}, ctx: ctx, cancel: cancel,
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
	if req.URL.Path == "/__mock/reset" && req.Method == http.MethodPost {
		// The fallback decides whether the reset is allowed (its admin guard); only one it carried out rewinds
		// the cassette too.
		rec := &httpstatus.Recorder{ResponseWriter: w}
		r.fallback.ServeHTTP(rec, req)
		if rec.Status >= 200 && rec.Status < 300 {
			r.Reset()
		}
		return
	}
	if req.URL.Path == "/healthz" || strings.HasPrefix(req.URL.Path, "/__mock/") {
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
	path := req.URL.Path
	if _, rest, ok := adminapi.SplitPrefix(path); ok {
		path = rest // a session's requests (/__session/NAME/...) replay the recordings of the API's paths
	}
	k := Key(req.Method, path, req.URL.RawQuery, body)
	r.mu.Lock()
	s := r.sequences[k]
	var e Entry
	if s != nil {
		e = s.entries[min(s.next, len(s.entries)-1)]
		if s.next < len(s.entries) {
			s.next++
		}
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
	r.note(req, Decision{Source: SourceReplay, File: e.file, Status: e.Response.Status, Callbacks: len(cbs)})
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
		r.mu.Lock()
		ctx := r.ctx // a reset cancels this one, and makes the next
		r.mu.Unlock()
		r.wg.Add(1)
		go r.sendCallbacks(ctx, hook, cbs)
	}
}

func (r *Replayer) toFallback(w http.ResponseWriter, req *http.Request) {
	r.note(req, Decision{Source: SourceMock})
	w.Header().Set(HeaderSource, SourceMock)
	r.fallback.ServeHTTP(w, req)
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

// Reset rewinds the cassette (each request's recorded answers are replayed from the first again), forgets the
// journal and stops sending the recorded callbacks not yet sent. It does not wait for a receiver: a callback in
// flight is cut through its context. POST /__mock/reset calls it once the fallback has reset.
func (r *Replayer) Reset() {
	r.mu.Lock()
	for _, s := range r.sequences {
		s.next = 0
	}
	cancel := r.cancel
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.mu.Unlock()
	r.journal.Reset()
	cancel() // outside the lock: it cuts the callbacks in flight
}

// Close stops callbacks being sent and waits for their goroutines to end.
func (r *Replayer) Close() {
	r.mu.Lock()
	cancel := r.cancel
	r.mu.Unlock()
	cancel()
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

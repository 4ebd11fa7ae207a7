package proxy

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/admission"
	"github.com/lumamock/lumamock/cassette"
	"github.com/lumamock/lumamock/contract"
	"github.com/lumamock/lumamock/internal/adminapi"
	"github.com/lumamock/lumamock/internal/defaults"
	"github.com/lumamock/lumamock/internal/httpjson"
	"github.com/lumamock/lumamock/internal/httpstatus"
	"github.com/lumamock/lumamock/internal/redact"
	"github.com/lumamock/lumamock/internal/ring"
	"github.com/lumamock/lumamock/internal/ui"
)

// Defaults of zero Options fields.
const (
	DefaultTimeout     = 60 * time.Second
	DefaultMaxBody     = 20 << 20 // base64 images travel in request bodies
	DefaultJournalSize = 1000
	// DefaultJournalMaxBytes bounds the memory each journal (exchanges, callbacks) holds: 32 MiB, as the mock's.
	DefaultJournalMaxBytes = 32 << 20
	DefaultHookTimeout     = 10 * time.Second
	DefaultMaxHooks        = 10000
	// MaxCallbackBody is the largest callback body relayed.
	MaxCallbackBody = 1 << 20
	// journalBodyLimit is how much of each request body the journal keeps.
	journalBodyLimit = 16 << 10
)

// Paths the proxy answers itself instead of forwarding.
const (
	// HookPrefix is where the upstream delivers callbacks when hooks are relayed: HookPrefix + token.
	HookPrefix = "/__lumamock/hooks/"
	// AdminPrefix is the journal's home: GET /__mock/requests, GET /__mock/callbacks, POST /__mock/reset.
	AdminPrefix = "/__mock"
)

// Outcomes of an exchange in the journal.
const (
	OutcomeForwarded = "forwarded"      // the upstream's answer was passed on
	OutcomeRejected  = "rejected"       // strict: the request broke the document; or its body could not be read: it was not forwarded (or only its start)
	OutcomeBlocked   = "blocked"        // strict: the upstream's answer broke the document; the client got 502
	OutcomeFailed    = "upstream-error" // the upstream could not be reached or did not answer in time
	OutcomeCancelled = "cancelled"      // the client went away first
)

// Options configure a Proxy. Only Upstream is required.
type Options struct {
	// Upstream is the live API's base URL, e.g. https://api.example.com; its path, if any, prefixes every
	// forwarded path.
	Upstream string
	// Checker holds traffic to the document; nil means a Checker of the embedded openapi.yaml.
	Checker *contract.Checker
	// Strict answers a request that breaks the document with the 4xx the document implies, without forwarding
	// it, and replaces an upstream answer that breaks it with a 502 naming the violations. An answer the proxy
	// could not check (see MaxBody) is passed on.
	Strict bool
	// Schema is the shape of the proxy's own error answers (strict rejections, upstream failures); empty means
	// lumamock.ShapeEnvelope.
	Schema lumamock.Shape
	// Timeout bounds each upstream exchange, from sending the request to the end of the response body; zero
	// means DefaultTimeout.
	Timeout time.Duration
	// Transport carries requests to the upstream; nil means a clone of http.DefaultTransport with 10 s dial and
	// TLS handshake timeouts.
	Transport http.RoundTripper
	// MaxBody is the largest body (request or response) buffered to be checked. A larger request body is
	// streamed to the upstream unchecked, with an "unchecked" finding; in strict mode it is refused with 413
	// and not forwarded instead, as the mock refuses it. A larger response body is streamed to the client
	// unchecked, with an "unchecked" finding, in strict mode too: its size breaks nothing the document says,
	// so strict mode does not block it (nor a response in an encoding the proxy cannot read). Zero means
	// DefaultMaxBody.
	MaxBody int64
	// Recorder, when set, receives every forwarded exchange and relayed callback, sanitized.
	Recorder *cassette.Recorder
	// HookRelay replaces each submission's notify_hook with the proxy's own (HookURL + HookPrefix + token),
	// checks the callbacks the upstream sends there, and forwards them to the original hook.
	HookRelay bool
	// HookURL is the base URL the upstream can reach this proxy at, e.g. https://tunnel.example.com. Required
	// with HookRelay, and only meaningful with it: New refuses a HookURL without HookRelay.
	HookURL string
	// HookClient forwards callbacks to the client's hooks; nil means a client with DefaultHookTimeout.
	// Redirects are never followed.
	HookClient *http.Client
	// AdminToken, when set, is the bearer token the admin endpoints (/__mock/...) ask for; /healthz stays open.
	// Whatever it is, on a loopback listener they answer only requests whose Host is a loopback name or
	// address, and refuse changes (POST) from another Origin.
	AdminToken string
	// JournalSize bounds each journal in entries; zero means DefaultJournalSize.
	JournalSize int
	// JournalMaxBytes bounds, in bytes, the memory each journal holds (records, headers, bodies and findings as
	// kept); past it the oldest entries are forgotten first, the newest always kept. Each entry is bounded too:
	// at most MaxJournalFindings findings and a few KiB of each text (see Exchange). Zero means
	// DefaultJournalMaxBytes.
	JournalMaxBytes int64
	// Logger receives one record per exchange and per callback (never a credential); nil discards them.
	Logger *slog.Logger
}

// Proxy is the validating reverse proxy, an http.Handler. Create it with New.
type Proxy struct {
	opts      Options
	upstream  *url.URL
	checker   *contract.Checker
	rp        *httputil.ReverseProxy
	log       *slog.Logger
	judge     *admission.Validator // requests, as the mock judges them
	hooks     *hookTable
	exchanges *ring.Ring[Exchange]
	callbacks *ring.Ring[Callback]
	admin     http.Handler // the admin API, the dashboard and /healthz (adminapi)
}

// New returns a Proxy for opts.
func New(opts Options) (*Proxy, error) {
	u, err := url.Parse(opts.Upstream)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("proxy: upstream %q is not an http(s) URL", redact.URL(opts.Upstream))
	}
	u.RawQuery, u.Fragment = "", ""
	if opts.Schema == "" {
		opts.Schema = lumamock.ShapeEnvelope
	}
	if _, ok := lumamock.ParseShape(string(opts.Schema)); !ok {
		return nil, fmt.Errorf("proxy: unknown schema %q (want %s or %s)", opts.Schema, lumamock.ShapeEnvelope, lumamock.ShapeLuma)
	}
	defaults.Positive(&opts.Timeout, DefaultTimeout)
	defaults.Positive(&opts.MaxBody, DefaultMaxBody)
	defaults.Positive(&opts.JournalSize, DefaultJournalSize)
	defaults.Positive(&opts.JournalMaxBytes, DefaultJournalMaxBytes)
	if opts.HookURL != "" && !opts.HookRelay {
		return nil, fmt.Errorf("proxy: a HookURL (%q) has no effect without HookRelay; set HookRelay to relay callbacks, or leave HookURL empty",
			redact.URL(opts.HookURL))
	}
	if opts.HookRelay {
		h, err := url.Parse(opts.HookURL)
		if err != nil || (h.Scheme != "http" && h.Scheme != "https") || h.Host == "" {
			return nil, fmt.Errorf("proxy: hook relay needs the proxy's reachable base URL (HookURL), got %q", redact.URL(opts.HookURL))
		}
		opts.HookURL = strings.TrimRight(opts.HookURL, "/")
	}
	if opts.HookClient == nil {
		opts.HookClient = &http.Client{Timeout: DefaultHookTimeout}
	}
	hc := *opts.HookClient
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	opts.HookClient = &hc
	if opts.Transport == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
		t.TLSHandshakeTimeout = 10 * time.Second
		t.ResponseHeaderTimeout = opts.Timeout
		opts.Transport = t
	}
	checker := opts.Checker
	if checker == nil {
		doc, err := lumamock.Load()
		if err != nil {
			return nil, err
		}
		if checker, err = contract.NewChecker(doc, contract.CheckerOptions{}); err != nil {
			return nil, err
		}
	}
	p := &Proxy{
		opts: opts, upstream: u, checker: checker, log: opts.Logger,
		hooks:     newHookTable(DefaultMaxHooks),
		exchanges: ring.NewBudget(opts.JournalSize, opts.JournalMaxBytes, Exchange.size),
		callbacks: ring.NewBudget(opts.JournalSize, opts.JournalMaxBytes, Callback.size),
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.admin, err = adminapi.New(adminapi.Config{
		Kind:      adminapi.Proxy,
		Token:     opts.AdminToken,
		Scopes:    p,
		Dashboard: ui.Handler(ui.Config{Server: "proxy", Token: opts.AdminToken != "", Version: lumamock.Version}),
	}); err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	if p.judge, err = admission.New(admission.Options{Document: checker.Document(), MaxBody: opts.MaxBody}); err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	p.rp = &httputil.ReverseProxy{
		Rewrite:        p.rewrite,
		Transport:      opts.Transport,
		FlushInterval:  -1,
		ModifyResponse: p.modifyResponse,
		ErrorHandler:   p.errorHandler,
		ErrorLog:       slog.NewLogLogger(p.log.Handler(), slog.LevelWarn),
	}
	return p, nil
}

// exchange is one request on its way through the proxy.
type exchange struct {
	start      time.Time
	in         *http.Request // the client's request, before forwarding
	requestID  string
	secrets    []string
	body       []byte // the client's body ("" when streamed unchecked)
	findings   []Finding
	operation  string
	upstream   int
	outcome    string
	errText    string
	taskID     string
	recordSeq  int
	recordFile string
	hook       *hookTarget // set when notify_hook was replaced
	refusal    http.Header // what a strict refusal carries: Allow, WWW-Authenticate
	streamed   *clientBody // the client's body when it is streamed to the upstream unchecked
}

// clientBody is a client's request body streamed to the upstream; it remembers a failure to read it, so that
// the failure is blamed on the client (400), not on the upstream (502).
type clientBody struct {
	io.Reader
	io.Closer
	mu  sync.Mutex
	err error
	n   int64
}

func (b *clientBody) Read(p []byte) (int, error) {
	n, err := b.Reader.Read(p)
	b.mu.Lock()
	b.n += int64(n)
	if err != nil && err != io.EOF && b.err == nil {
		b.err = err
	}
	b.mu.Unlock()
	return n, err
}

// failure is how many bytes were read of the body and the error reading it met, if any.
func (b *clientBody) failure() (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.n, b.err
}

type exchangeKey struct{}

// ServeHTTP forwards r to the upstream, checking both directions, or answers the proxy's own endpoints.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, HookPrefix) && p.opts.HookRelay:
		p.serveHook(w, r)
		return
	case strings.HasPrefix(r.URL.Path, AdminPrefix+"/") || r.URL.Path == "/healthz" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		p.admin.ServeHTTP(w, r) // the admin API (adminapi), the dashboard and /healthz
		return
	}
	ex := &exchange{start: time.Now(), in: r, requestID: newID(), secrets: redact.RequestSecrets(r)}
	rec := &httpstatus.Recorder{ResponseWriter: w}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				p.finish(ex, rec)
				panic(v)
			}
			p.log.Error("proxy panicked", "method", cut(redact.Text(r.Method, ex.secrets...)), "path", cut(redact.Text(r.URL.Path, ex.secrets...)), "panic", fmt.Sprint(v))
			if rec.Status == 0 {
				p.writeError(rec, ex, http.StatusBadGateway, "the proxy failed: "+fmt.Sprint(v), nil)
			}
		}
		p.finish(ex, rec)
	}()
	body, streamed, err := p.readRequestBody(r)
	if err != nil {
		p.refuseUnreadable(ex, rec, body, err)
		return
	}
	if !streamed {
		ex.body = body // a streamed body is not kept
	} else {
		ex.streamed = r.Body.(*clientBody)
	}
	p.checkRequest(ex, body, streamed)
	if p.opts.Strict && len(ex.findings) > 0 {
		ex.outcome = OutcomeRejected
		for k, vs := range ex.refusal {
			rec.Header()[k] = vs
		}
		status := impliedStatus(ex.findings)
		p.writeError(rec, ex, status, strictRefusal+summary(ex.findings, ex.secrets), ex.findings)
		return
	}
	if p.opts.Recorder != nil {
		ex.recordSeq = p.opts.Recorder.Next()
	}
	if !streamed {
		if ex.operation == lumamock.OpCreate && p.opts.HookRelay {
			body = p.relayHook(ex, body)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		r.GetBody = nil
		if len(body) == 0 && r.ContentLength == 0 {
			r.Body = http.NoBody
		}
	}
	ctx, cancel := context.WithTimeout(context.WithValue(r.Context(), exchangeKey{}, ex), p.opts.Timeout)
	defer cancel()
	ex.outcome = OutcomeForwarded
	p.rp.ServeHTTP(rec, r.WithContext(ctx))
}

// readRequestBody buffers r's body up to MaxBody. A larger one is left to stream (as a *clientBody); streamed
// is then true and body holds its first MaxBody+1 bytes, enough to judge it too large. err is a failure to
// read the body (a broken chunk, a connection cut), body then holding what was read before it.
func (p *Proxy) readRequestBody(r *http.Request) (body []byte, streamed bool, err error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, false, nil
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, p.opts.MaxBody+1))
	if err != nil {
		return data, false, err
	}
	if int64(len(data)) > p.opts.MaxBody {
		r.Body = &clientBody{Reader: io.MultiReader(bytes.NewReader(data), r.Body), Closer: r.Body}
		return data, true, nil
	}
	return data, false, nil
}

// refuseUnreadable answers a request whose body could not be read (err, after the bytes in read) with 400
// naming the problem, as the mock does, and forwards nothing. In strict mode what the mock judges before the
// body (route, method, Accept, Content-Type) still comes first.
func (p *Proxy) refuseUnreadable(ex *exchange, w *httpstatus.Recorder, read []byte, err error) {
	r := ex.in
	reason := "reading the request body failed: " + err.Error()
	r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(read), errReader{err}))
	d := p.judge.Admit(r) // reads the body only when the operation takes one, meeting err as the mock does
	r.Body = http.NoBody
	ex.operation, ex.refusal = d.Operation(), d.Header
	if !d.Admitted() && d.Reason != reason {
		p.checkVerdict(ex, d, false)
	}
	f := newFinding(DirRequest, contract.KindInvalidRequest, contract.Validation, "", "a request body that can be read",
		"unreadable", reason)
	f.Violation = &lumamock.Violation{In: lumamock.InBody, Rule: "body", Message: reason}
	f.status = http.StatusBadRequest
	ex.findings = append(ex.findings, f)
	ex.outcome, ex.errText = OutcomeRejected, reason+"; the request was not forwarded"
	status, msg := http.StatusBadRequest, ex.errText
	if p.opts.Strict {
		if status = impliedStatus(ex.findings); status != http.StatusBadRequest {
			msg = strictRefusal + summary(ex.findings, ex.secrets)
		}
		for k, vs := range ex.refusal {
			w.Header()[k] = vs
		}
	}
	p.writeError(w, ex, status, msg, ex.findings)
}

// errReader fails every read with err.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// checkRequest judges the request with the document's one judge (package admission), as the mock would: each
// violation becomes a finding carrying the status the document implies, which strict mode answers.
func (p *Proxy) checkRequest(ex *exchange, body []byte, streamed bool) {
	d := p.judge.AdmitBody(ex.in, body) // a streamed body holds its first MaxBody+1 bytes: 413 unless a step before fails
	ex.operation, ex.refusal = d.Operation(), d.Header
	p.checkVerdict(ex, d, streamed)
}

// checkVerdict adds the findings of the judge's verdict d to ex.
func (p *Proxy) checkVerdict(ex *exchange, d admission.Verdict, streamed bool) {
	r := ex.in
	switch {
	case d.Admitted():
		return
	case d.Route == nil:
		f := newFinding(DirRequest, KindUnknownOperation, contract.Validation, "", "an operation of the document", r.Method+" "+r.URL.Path, d.Reason)
		f.status = d.Status
		ex.findings = append(ex.findings, f)
		return
	case streamed && d.Status == http.StatusRequestEntityTooLarge && !p.opts.Strict: // strict refuses it as the mock does
		f := newFinding(DirRequest, KindUnchecked, contract.Transport, "", fmt.Sprintf("a body of at most %d bytes", p.opts.MaxBody),
			"larger", fmt.Sprintf("the request body is larger than %d bytes; it was forwarded unchecked", p.opts.MaxBody))
		f.status = d.Status
		ex.findings = append(ex.findings, f)
		return
	}
	for _, f := range wrap(DirRequest, contract.RequestFindings(d)) {
		f.status = d.Status
		ex.findings = append(ex.findings, f)
	}
}

// rewrite points the outbound request at the upstream and keeps the client's forwarding headers as they were.
func (p *Proxy) rewrite(pr *httputil.ProxyRequest) {
	pr.SetURL(p.upstream)
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"} {
		if vs, ok := pr.In.Header[h]; ok {
			pr.Out.Header[h] = vs
		}
	}
}

// modifyResponse reads the upstream's answer (up to MaxBody), checks it, records it and marks it.
func (p *Proxy) modifyResponse(resp *http.Response) error {
	ex, _ := resp.Request.Context().Value(exchangeKey{}).(*exchange)
	if ex == nil {
		return nil
	}
	ex.upstream = resp.StatusCode
	data, err := io.ReadAll(io.LimitReader(resp.Body, p.opts.MaxBody+1))
	if err != nil {
		resp.Body.Close()
		return &upstreamBodyError{err: err}
	}
	truncated := int64(len(data)) > p.opts.MaxBody
	if truncated {
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(data), resp.Body), resp.Body}
	} else {
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(data))
	}
	plain, decoded := p.checkResponse(ex, resp, data, truncated)
	p.record(ex, resp, plain, decoded, truncated)
	if p.opts.Strict && len(responseViolations(ex.findings)) > 0 {
		return errStrictResponse
	}
	if v := violationsHeader(ex.findings, ex.secrets); v != "" {
		resp.Header.Set(HeaderViolations, v)
	}
	return nil
}

// checkResponse holds the upstream's answer to the document. It returns the body as checked: decoded when it
// came gzip-compressed (decoded is then true).
func (p *Proxy) checkResponse(ex *exchange, resp *http.Response, data []byte, truncated bool) (plain []byte, decoded bool) {
	plain = data
	if truncated {
		ex.findings = append(ex.findings, newFinding(DirResponse, KindUnchecked, contract.Transport, "",
			fmt.Sprintf("a body of at most %d bytes", p.opts.MaxBody), "larger",
			fmt.Sprintf("the response body is larger than %d bytes; it was streamed unchecked", p.opts.MaxBody)))
		return plain, false
	}
	body := data
	switch enc := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err == nil {
			body, err = io.ReadAll(io.LimitReader(zr, p.opts.MaxBody+1))
		}
		if err != nil || int64(len(body)) > p.opts.MaxBody {
			ex.findings = append(ex.findings, newFinding(DirResponse, KindUnchecked, contract.Transport, "", "a readable gzip body",
				"unreadable", "the gzip response body could not be read within the size limit; it was passed on unchecked"))
			return plain, false
		}
		plain, decoded = body, true
	default:
		ex.findings = append(ex.findings, newFinding(DirResponse, KindUnchecked, contract.Transport, "", "identity or gzip",
			enc, fmt.Sprintf("the response is %s-encoded, which the proxy cannot read; it was passed on unchecked", enc)))
		return plain, false
	}
	if ex.operation == "" {
		return plain, decoded // an operation the document does not have: nothing to hold the answer to
	}
	res, err := p.checker.CheckResponse(ex.in.Context(), ex.in, contract.Response{
		Status: resp.StatusCode, Header: resp.Header, Body: body, Duration: time.Since(ex.start),
	})
	if err != nil {
		return plain, decoded
	}
	if res.Task != nil {
		ex.taskID = res.Task.ID
		if ex.hook != nil {
			ex.hook.setTask(ex.taskID)
		}
	}
	ex.findings = append(ex.findings, wrap(DirResponse, res.Findings)...)
	return plain, decoded
}

// responseViolations are the findings of the response that break the document: not those that say it could
// not be checked (KindUnchecked), which strict mode passes on.
func responseViolations(findings []Finding) []Finding {
	var out []Finding
	for _, f := range findings {
		if f.Direction == DirResponse && f.Kind != KindUnchecked {
			out = append(out, f)
		}
	}
	return out
}

// strictRefusal starts the message of a strict refusal of a request.
const strictRefusal = "strict: the request does not match the API document and was not forwarded: "

var errStrictResponse = errors.New("strict: the upstream's response does not match the API document")

// upstreamBodyError is a failure while reading the upstream's response body.
type upstreamBodyError struct{ err error }

func (e *upstreamBodyError) Error() string {
	return "reading the upstream's response body: " + e.err.Error()
}
func (e *upstreamBodyError) Unwrap() error { return e.err }

// errorHandler answers when the upstream failed, or when strict mode blocks its answer.
func (p *Proxy) errorHandler(w http.ResponseWriter, r *http.Request, err error) {
	ex, _ := r.Context().Value(exchangeKey{}).(*exchange)
	if ex == nil {
		ex = &exchange{start: time.Now(), in: r, requestID: newID()}
	}
	if errors.Is(err, errStrictResponse) {
		ex.outcome = OutcomeBlocked
		resp := responseViolations(ex.findings)
		p.writeError(w, ex, http.StatusBadGateway, fmt.Sprintf("strict: the upstream answered %d in a way the API document does not allow: %s",
			ex.upstream, summary(resp, ex.secrets)), ex.findings)
		return
	}
	if ex.streamed != nil {
		if n, berr := ex.streamed.failure(); berr != nil {
			ex.outcome = OutcomeRejected
			ex.errText = fmt.Sprintf("reading the request body failed: %s; its first %d bytes had been streamed to the upstream, and the exchange was abandoned", berr, n)
			p.writeError(w, ex, http.StatusBadRequest, ex.errText, ex.findings)
			return
		}
	}
	if ex.in.Context().Err() != nil {
		ex.outcome, ex.errText = OutcomeCancelled, "the client went away: "+ex.in.Context().Err().Error()
		return
	}
	status, cause := classify(err, p.opts.Timeout)
	ex.outcome, ex.errText = OutcomeFailed, cause
	if p.opts.Recorder != nil {
		p.recordFailure(ex, cause)
	}
	p.writeError(w, ex, status, "upstream "+p.upstream.Host+": "+cause, ex.findings)
}

// writeError answers with the proxy's own error in the configured shape, the violations attached.
func (p *Proxy) writeError(w http.ResponseWriter, ex *exchange, status int, reason string, findings []Finding) {
	reason = redact.Text(reason, ex.secrets...)
	body := lumamock.ErrorBody(p.opts.Schema, status, reason, ex.requestID, apiViolations(findings, ex.secrets))
	h := w.Header()
	h.Set("X-Request-Id", ex.requestID)
	if v := violationsHeader(findings, ex.secrets); v != "" {
		h.Set(HeaderViolations, v)
	}
	if status == http.StatusUnauthorized && h.Get("WWW-Authenticate") == "" {
		h.Set("WWW-Authenticate", "Bearer")
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) { httpjson.Write(w, status, v) }

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

package proxy

import (
	"net/http"
	"slices"
	"time"
	"unsafe"

	"github.com/lumamock/lumamock/internal/adminapi"
	"github.com/lumamock/lumamock/internal/httpstatus"
	"github.com/lumamock/lumamock/internal/redact"
	"github.com/lumamock/lumamock/internal/ring"
	"github.com/lumamock/lumamock/internal/snip"
)

// Bounds of one journal entry, so that no single exchange or callback holds much memory whatever it carried.
const (
	// MaxJournalFindings is the most findings one journal entry (Exchange, Callback) keeps: the first ones
	// found, in the order the request, then the response, were checked. FindingsTotal counts them all.
	MaxJournalFindings = 100
	// maxFindingText bounds each text of a finding kept (id, pointer, expected, actual, message).
	maxFindingText = 1 << 10
	// maxJournalText bounds each other text of an entry kept (method, path, query, a header value, error, hook,
	// task id); a cut text ends in "…".
	maxJournalText = 4 << 10
	// maxJournalHeader bounds the header names and values an entry keeps in all.
	maxJournalHeader = 16 << 10
)

// Exchange is one request the proxy handled, as the journal (GET /__mock/requests) shows it. Each text is
// kept cut to a few KiB (a cut one ends in "…"), the body to 16 KiB, the headers to 16 KiB in all, and at most
// MaxJournalFindings findings.
type Exchange struct {
	Seq int64     `json:"seq"`
	At  time.Time `json:"at"`
	// Method is the request's method, redacted if it is one of the request's credentials.
	Method string `json:"method"`
	Path   string `json:"path"`
	Query  string `json:"query,omitempty"`
	// Header is the request's headers, credentials redacted; HeaderTruncated says some were left out to keep
	// the entry small.
	Header          http.Header `json:"header"`
	HeaderTruncated bool        `json:"header_truncated,omitempty"`
	// Body is the start of the request body as the client sent it, secrets redacted.
	Body          string `json:"body,omitempty"`
	BodyTruncated bool   `json:"body_truncated,omitempty"`
	Operation     string `json:"operation,omitempty"`
	// Status is what the client got; UpstreamStatus what the upstream answered (0 when it was not asked or
	// did not answer).
	Status         int    `json:"status"`
	UpstreamStatus int    `json:"upstream_status,omitempty"`
	RequestID      string `json:"request_id,omitempty"`
	TaskID         string `json:"task_id,omitempty"`
	// Source is who answered: upstream, or proxy for the proxy's own answers (strict mode, upstream errors).
	Source  string `json:"source"`
	Outcome string `json:"outcome"`
	Error   string `json:"error,omitempty"`
	// DurationMS is the time from receiving the request to the end of the answer's headers.
	DurationMS float64 `json:"duration_ms"`
	// Valid is true when neither the request nor the response broke the document.
	Valid bool `json:"valid"`
	// Findings are the first MaxJournalFindings findings of the exchange; FindingsTotal counts them all, and
	// FindingsTruncated is true when some are not kept. X-Lumamock-Violations and the log line show the same
	// first ones.
	Findings          []Finding `json:"findings,omitempty"`
	FindingsTotal     int       `json:"findings_total,omitempty"`
	FindingsTruncated bool      `json:"findings_truncated,omitempty"`
	// Cassette is the file the exchange was recorded to.
	Cassette string `json:"cassette,omitempty"`
}

// Callback is one callback the proxy relayed, as GET /__mock/callbacks shows it. It is bounded as an Exchange
// is.
type Callback struct {
	Seq    int64     `json:"seq"`
	At     time.Time `json:"at"`
	TaskID string    `json:"task_id,omitempty"`
	// Hook is the client's original notify_hook, its credentials redacted.
	Hook string `json:"hook"`
	// Forwarded is true when the callback was sent on to Hook; Status is Hook's answer.
	Forwarded bool   `json:"forwarded"`
	Status    int    `json:"status,omitempty"`
	Error     string `json:"error,omitempty"`
	Valid     bool   `json:"valid"`
	// Body is the start of the callback body.
	Body string `json:"body,omitempty"`
	// Findings, FindingsTotal and FindingsTruncated are as in Exchange.
	Findings          []Finding `json:"findings,omitempty"`
	FindingsTotal     int       `json:"findings_total,omitempty"`
	FindingsTruncated bool      `json:"findings_truncated,omitempty"`
	Cassette          string    `json:"cassette,omitempty"`
}

// Requests returns the journal of exchanges, oldest first.
func (p *Proxy) Requests() []Exchange { return p.exchanges.List() }

// Callbacks returns the journal of relayed callbacks, oldest first.
func (p *Proxy) Callbacks() []Callback { return p.callbacks.List() }

// Reset empties both journals.
func (p *Proxy) Reset() {
	p.exchanges.Reset()
	p.callbacks.Reset()
}

// Scope is what the admin API acts on in the proxy, whatever session a request names: its two journals.
func (p *Proxy) Scope(string, bool) adminapi.Scope { return proxyScope{p} }

type proxyScope struct{ p *Proxy }

func (s proxyScope) Requests() adminapi.List {
	return adminapi.Journal(s.p.exchanges, func(e *Exchange, f adminapi.Filter) bool { return f.Keeps(e.TaskID, e.Valid) },
		func(e *Exchange) any { return e })
}

func (s proxyScope) Callbacks() adminapi.List {
	return adminapi.Journal(s.p.callbacks, func(c *Callback, f adminapi.Filter) bool { return f.Keeps(c.TaskID, c.Valid) },
		func(c *Callback) any { return c })
}

func (s proxyScope) Reset() { s.p.Reset() }

// MaxJournalPage is the most records one read of GET /__mock/requests or GET /__mock/callbacks answers, and how
// many it answers when not given a limit: the oldest kept, or the page that since or before select (see the
// mock's journal reads, which page the same way).
const MaxJournalPage = adminapi.MaxJournalPage

// finish journals and logs an exchange once it is answered.
func (p *Proxy) finish(ex *exchange, w *httpstatus.Recorder) {
	r := ex.in
	rec := Exchange{
		At: ex.start.UTC(), Method: cut(redact.Text(r.Method, ex.secrets...)), Path: cut(redact.Text(r.URL.Path, ex.secrets...)),
		Query: cut(redact.Query(r.URL.RawQuery, ex.secrets...)), Operation: ex.operation, Status: w.Status, UpstreamStatus: ex.upstream,
		RequestID: ex.requestID, TaskID: cut(redact.Text(ex.taskID, ex.secrets...)), Outcome: ex.outcome, Error: cut(redact.Text(ex.errText, ex.secrets...)),
		DurationMS: float64(time.Since(ex.start).Microseconds()) / 1000, Valid: len(ex.findings) == 0,
	}
	rec.Header, rec.HeaderTruncated = journalHeader(r.Header, ex.secrets)
	rec.Findings, rec.FindingsTotal, rec.FindingsTruncated = journalFindings(ex.findings, ex.secrets)
	if ex.outcome == OutcomeForwarded {
		rec.Source, rec.RequestID = "upstream", ""
	} else {
		rec.Source = "proxy"
	}
	rec.Body, rec.BodyTruncated = snip.Cut(string(redact.Body(ex.body, ex.secrets...)), journalBodyLimit)
	if ex.recordSeq != 0 && ex.outcome != OutcomeRejected {
		rec.Cassette = ex.recordFile
	}
	p.exchanges.Add(func(seq int64) Exchange { rec.Seq = seq; return rec })
	attrs := []any{"method", rec.Method, "path", rec.Path, "status", rec.Status, "upstream_status", rec.UpstreamStatus,
		"outcome", rec.Outcome, "duration", time.Since(ex.start), "findings", rec.FindingsTotal}
	if rec.Error != "" {
		attrs = append(attrs, "error", rec.Error)
	}
	if len(rec.Findings) > 0 {
		attrs = append(attrs, "violations", violationsHeader(ex.findings, ex.secrets))
		p.log.Warn("exchange broke the document", attrs...)
		return
	}
	if rec.Outcome == OutcomeFailed {
		p.log.Warn("exchange", attrs...)
		return
	}
	p.log.Info("exchange", attrs...)
}

// journalFindings is what a journal entry keeps of fs: the first MaxJournalFindings, each text cut and every
// secret redacted; and how many there were in all.
func journalFindings(fs []Finding, secrets []string) (kept []Finding, total int, truncated bool) {
	total = len(fs)
	if total == 0 {
		return nil, 0, false
	}
	kept = scrubFindings(fs[:min(total, MaxJournalFindings)], secrets)
	for i := range kept {
		f := &kept[i]
		f.ID, f.Pointer = cutTo(f.ID, maxFindingText), cutTo(f.Pointer, maxFindingText)
		f.Expected, f.Actual, f.Message = cutTo(f.Expected, maxFindingText), cutTo(f.Actual, maxFindingText), cutTo(f.Message, maxFindingText)
		if f.Violation != nil {
			f.Violation.Field, f.Violation.Message = cutTo(f.Violation.Field, maxFindingText), cutTo(f.Violation.Message, maxFindingText)
		}
	}
	return kept, total, total > len(kept)
}

// journalHeader is what a journal entry keeps of h: credentials redacted, each value cut, and names and values
// in name order until maxJournalHeader bytes; truncated says some were left out or cut.
func journalHeader(h http.Header, secrets []string) (kept http.Header, truncated bool) {
	red := redact.Header(h, secrets...)
	names := make([]string, 0, len(red))
	for k := range red {
		names = append(names, k)
	}
	slices.Sort(names)
	kept = make(http.Header, len(names))
	room := maxJournalHeader
	for _, k := range names {
		for _, v := range red[k] {
			c, cutShort := snip.Cut(v, maxJournalText)
			if len(k)+len(c) > room {
				return kept, true
			}
			if cutShort {
				c, truncated = c+"…", true
			}
			room -= len(k) + len(c)
			kept[k] = append(kept[k], c)
		}
	}
	return kept, truncated
}

// cut is s cut to maxJournalText bytes, ending in "…" when cut.
func cut(s string) string { return cutTo(s, maxJournalText) }

func cutTo(s string, n int) string {
	if c, ok := snip.Cut(s, n); ok {
		return c + "…"
	}
	return s
}

// size estimates the memory e holds.
func (e Exchange) size() int64 {
	n := int64(unsafe.Sizeof(e)) + ring.HeaderSize(e.Header) + findingsSize(e.Findings)
	for _, s := range []string{e.Method, e.Path, e.Query, e.Body, e.Operation, e.RequestID, e.TaskID, e.Source, e.Outcome, e.Error, e.Cassette} {
		n += int64(len(s))
	}
	return n
}

// size estimates the memory c holds.
func (c Callback) size() int64 {
	n := int64(unsafe.Sizeof(c)) + findingsSize(c.Findings)
	for _, s := range []string{c.TaskID, c.Hook, c.Error, c.Body, c.Cassette} {
		n += int64(len(s))
	}
	return n
}

func findingsSize(fs []Finding) int64 {
	n := int64(cap(fs)) * int64(unsafe.Sizeof(Finding{}))
	for _, f := range fs {
		for _, s := range []string{f.Direction, f.ID, string(f.Class), string(f.Kind), f.Case, f.Check, f.Pointer, f.Expected, f.Actual, f.Message} {
			n += int64(len(s))
		}
		if v := f.Violation; v != nil {
			n += int64(unsafe.Sizeof(*v)) + int64(len(v.In)+len(v.Field)+len(v.Rule)+len(v.Message))
		}
	}
	return n
}

// scrubFindings returns fs with every secret redacted from each text: ids and pointers too, which name members
// of what the upstream sent (any name, a key included).
func scrubFindings(fs []Finding, secrets []string) []Finding {
	out := make([]Finding, len(fs))
	for i, f := range fs {
		f.ID, f.Pointer = redact.Text(f.ID, secrets...), redact.Text(f.Pointer, secrets...)
		f.Expected, f.Actual, f.Message = redact.Text(f.Expected, secrets...), redact.Text(f.Actual, secrets...), redact.Text(f.Message, secrets...)
		if f.Violation != nil {
			v := *f.Violation
			v.Field, v.Message = redact.Text(v.Field, secrets...), redact.Text(v.Message, secrets...)
			f.Violation = &v
		}
		out[i] = f
	}
	return out
}

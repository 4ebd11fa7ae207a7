package proxy

import (
	"net/http"
	"net/url"
	"time"

	"github.com/lumamock/lumamock/internal/adminpage"
	"github.com/lumamock/lumamock/internal/httpstatus"
	"github.com/lumamock/lumamock/internal/redact"
	"github.com/lumamock/lumamock/internal/ring"
	"github.com/lumamock/lumamock/internal/snip"
)

// Exchange is one request the proxy handled, as the journal (GET /__mock/requests) shows it.
type Exchange struct {
	Seq    int64     `json:"seq"`
	At     time.Time `json:"at"`
	Method string    `json:"method"`
	Path   string    `json:"path"`
	Query  string    `json:"query,omitempty"`
	// Header is the request's headers, credentials redacted.
	Header http.Header `json:"header"`
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
	Valid    bool      `json:"valid"`
	Findings []Finding `json:"findings,omitempty"`
	// Cassette is the file the exchange was recorded to.
	Cassette string `json:"cassette,omitempty"`
}

// Callback is one callback the proxy relayed, as GET /__mock/callbacks shows it.
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
	Body     string    `json:"body,omitempty"`
	Findings []Finding `json:"findings,omitempty"`
	Cassette string    `json:"cassette,omitempty"`
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

func (p *Proxy) serveAdmin(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == AdminPrefix+"/requests" && r.Method == http.MethodGet:
		servePage(w, r, p.exchanges, func(e *Exchange, q url.Values) bool { return q.Get("task_id") == "" || e.TaskID == q.Get("task_id") })
	case r.URL.Path == AdminPrefix+"/callbacks" && r.Method == http.MethodGet:
		servePage(w, r, p.callbacks, func(c *Callback, q url.Values) bool { return q.Get("task_id") == "" || c.TaskID == q.Get("task_id") })
	case r.URL.Path == AdminPrefix+"/reset" && r.Method == http.MethodPost:
		p.Reset()
		writeJSON(w, http.StatusOK, map[string]string{"status": "reset"})
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no proxy endpoint at " + r.Method + " " + r.URL.Path +
			"; the proxy has GET /__mock/requests, GET /__mock/callbacks and POST /__mock/reset"})
	}
}

// MaxJournalPage is the most records one read of GET /__mock/requests or GET /__mock/callbacks answers, and how
// many it answers when not given a limit: the oldest kept, or the page that since or before select (see the
// mock's journal reads, which page the same way).
const MaxJournalPage = 1000

// servePage answers a journal read: the page of r that the query's since, before and limit select, of the
// records keep accepts, with the journal's bounds in the adminpage headers.
func servePage[T any](w http.ResponseWriter, r *http.Request, journal *ring.Ring[T], keep func(*T, url.Values) bool) {
	q := r.URL.Query()
	page, err := adminpage.Parse(q, MaxJournalPage, MaxJournalPage)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, adminpage.Read(journal, page, func(v *T) bool { return keep(v, q) }, w.Header()))
}

// finish journals and logs an exchange once it is answered.
func (p *Proxy) finish(ex *exchange, w *httpstatus.Recorder) {
	r := ex.in
	rec := Exchange{
		At: ex.start.UTC(), Method: r.Method, Path: redact.Text(r.URL.Path, ex.secrets...), Query: redact.Query(r.URL.RawQuery, ex.secrets...),
		Header: redact.Header(r.Header, ex.secrets...), Operation: ex.operation, Status: w.Status, UpstreamStatus: ex.upstream,
		RequestID: ex.requestID, TaskID: ex.taskID, Outcome: ex.outcome, Error: redact.Text(ex.errText, ex.secrets...),
		DurationMS: float64(time.Since(ex.start).Microseconds()) / 1000, Valid: len(ex.findings) == 0, Findings: scrubFindings(ex.findings, ex.secrets),
	}
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
		"outcome", rec.Outcome, "duration", time.Since(ex.start), "findings", len(rec.Findings)}
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

func scrubFindings(fs []Finding, secrets []string) []Finding {
	out := make([]Finding, len(fs))
	for i, f := range fs {
		f.Expected, f.Actual, f.Message = redact.Text(f.Expected, secrets...), redact.Text(f.Actual, secrets...), redact.Text(f.Message, secrets...)
		if f.Violation != nil {
			v := *f.Violation
			v.Message = redact.Text(v.Message, secrets...)
			f.Violation = &v
		}
		out[i] = f
	}
	return out
}

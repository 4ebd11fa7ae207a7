package mock

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/internal/redact"
	"github.com/lumamock/lumamock/internal/ring"
)

// journal is what the mock received and what it sent, bounded.
type journal struct {
	requests  *ring.Ring[requestEntry]
	callbacks *ring.Ring[CallbackRecord]
}

func newJournal(size int) *journal {
	return &journal{requests: ring.New[requestEntry](size), callbacks: ring.New[CallbackRecord](size)}
}

func (j *journal) addCallback(rec CallbackRecord) {
	j.callbacks.Add(func(seq int64) CallbackRecord { rec.Seq = seq; return rec })
}

func (j *journal) addRequest(e requestEntry) {
	j.requests.Add(func(seq int64) requestEntry { e.rec.Seq = seq; return e })
}

// listRequests returns the request records kept, oldest first, redacted.
func (j *journal) listRequests() []RequestRecord {
	entries := j.requests.List()
	out := make([]RequestRecord, len(entries))
	for i, e := range entries {
		out[i] = e.redacted()
	}
	return out
}

// requestEntry is a journaled request as kept: its record, and what the record shows once redacted. Redacting
// when the journal is read, not on every request, keeps the request path cheap; nothing reads an entry but
// redacted.
type requestEntry struct {
	rec     RequestRecord // Header, Query and Body are filled by redacted
	header  http.Header   // the request's, which net/http leaves alone once the handler returns
	query   string
	body    []byte // cut at the journal's body limit
	hook    string // the body's notify_hook, whose password is hidden
	secrets []string
}

// redacted is the record with credentials masked everywhere: credential headers and query parameters, the
// accepted keys and the request's bearer token wherever they appear, and a hook's password.
func (e requestEntry) redacted() RequestRecord {
	rec := e.rec
	rec.Header = redact.Header(e.header)
	for k, vs := range rec.Header {
		for i, v := range vs {
			if redact.Contains(v, e.secrets...) {
				vs = append([]string(nil), vs...) // the values may be shared with the request's
				vs[i] = redact.Text(v, redact.Placeholder, e.secrets...)
				rec.Header[k] = vs
			}
		}
	}
	rec.Query = redact.Query(e.query, e.secrets...)
	rec.Body = redact.Text(hidePassword(string(e.body), e.hook), redact.Placeholder, e.secrets...)
	return rec
}

func (j *journal) reset() {
	j.requests.Reset()
	j.callbacks.Reset()
}

// RequestRecord is one API request the mock received, and its verdict.
type RequestRecord struct {
	// Seq orders records across the journal.
	Seq int64 `json:"seq"`
	// At is when the request arrived, on the server's clock.
	At     time.Time `json:"at"`
	Method string    `json:"method"`
	Path   string    `json:"path"`
	Query  string    `json:"query,omitempty"`
	// Header is the request's headers, with credentials (Authorization, API keys, cookies) redacted.
	Header http.Header `json:"header"`
	// Body is the request body as received, cut at the journal's body limit (BodyTruncated then says so).
	Body          string `json:"body,omitempty"`
	BodyTruncated bool   `json:"body_truncated,omitempty"`
	// Status is the status the mock answered.
	Status    int    `json:"status"`
	RequestID string `json:"request_id"`
	// TaskID is the task created or read, if any.
	TaskID string `json:"task_id,omitempty"`
	// Valid reports whether the request passed validation against the document; Violations say how it did not.
	Valid      bool                 `json:"valid"`
	Violations []lumamock.Violation `json:"violations,omitempty"`
	// Source says what answered: SourceMock, or SourceReplay when a recording did (lumamock serve --replay).
	Source string `json:"source"`
	// Cassette is the recorded file that answered, when Source is SourceReplay.
	Cassette string `json:"cassette,omitempty"`
}

// What answered a request, in RequestRecord.Source.
const (
	SourceMock   = "mock"
	SourceReplay = "replay"
)

// requestNote collects, on a request's way through the mock, what its journal record needs.
type requestNote struct {
	taskID     string
	rejected   bool
	violations []lumamock.Violation
	body       []byte
}

// TaskRecord is a task as the admin API shows it: its plan, its state now and the states it went through.
type TaskRecord struct {
	ID         string             `json:"id"`
	State      lumamock.TaskState `json:"state"`
	Shape      lumamock.Shape     `json:"shape"`
	Prompt     string             `json:"prompt"`
	Resolution string             `json:"resolution,omitempty"`
	NotifyHook string             `json:"notify_hook,omitempty"`
	CreatedAt  time.Time          `json:"created_at"`
	UpdatedAt  time.Time          `json:"updated_at"`
	// Pending, Processing and Outcome are the plan the task was created with.
	Pending    string             `json:"pending"`
	Processing string             `json:"processing"`
	Outcome    lumamock.TaskState `json:"outcome"`
	// Faults are the webhook faults applied to its callbacks.
	Faults FaultsRecord `json:"faults"`
	// History lists the states it has entered, oldest first.
	History []Transition `json:"history"`
	// Next is the state change planned next, if any.
	Next *Transition `json:"next,omitempty"`
}

// FaultsRecord is Faults as the admin API shows them.
type FaultsRecord struct {
	Duplicate int                `json:"duplicate,omitempty"`
	Drop      lumamock.TaskState `json:"drop,omitempty"`
	Reorder   bool               `json:"reorder,omitempty"`
	Late      string             `json:"late,omitempty"`
}

// Transition is a state a task entered and when; Forced marks an end forced through the admin API.
type Transition struct {
	State  lumamock.TaskState `json:"state"`
	At     time.Time          `json:"at"`
	Forced bool               `json:"forced,omitempty"`
}

func (t *task) record(now time.Time, secrets []string) TaskRecord {
	tl := t.timeline()
	hist := happened(tl, now)
	rec := TaskRecord{
		ID: t.id, State: hist[len(hist)-1].State, Shape: t.shape, Prompt: redact.Text(t.prompt, redact.Placeholder, secrets...), Resolution: t.resolution,
		NotifyHook: redactURL(t.notifyHook), CreatedAt: t.created, UpdatedAt: hist[len(hist)-1].At,
		Pending: t.pending.String(), Processing: t.processing.String(), Outcome: t.outcome,
		Faults: FaultsRecord{Duplicate: t.faults.Duplicate, Drop: t.faults.Drop, Reorder: t.faults.Reorder},
	}
	if t.faults.Late > 0 {
		rec.Faults.Late = t.faults.Late.String()
	}
	for _, tr := range hist {
		rec.History = append(rec.History, Transition(tr))
	}
	if len(tl) > len(hist) {
		rec.Next = &Transition{State: tl[len(hist)].State, At: tl[len(hist)].At}
	}
	return rec
}

// CallbackRecord is one line of the callback journal: an attempt to deliver a callback, or a callback that was
// never tried (dropped, abandoned, invalid).
type CallbackRecord struct {
	// Seq orders records across the journal.
	Seq int64 `json:"seq"`
	// At is when the attempt started, on the server's clock.
	At     time.Time          `json:"at"`
	TaskID string             `json:"task_id"`
	Event  int                `json:"event"`
	State  lumamock.TaskState `json:"state"`
	URL    string             `json:"url"`
	// Attempt is 1 for the first try of a delivery, 0 for a callback never tried.
	Attempt int `json:"attempt"`
	// Faults lists the faults that shaped this delivery: duplicate (an extra copy), late, reorder, drop.
	Faults  []string `json:"faults,omitempty"`
	Outcome string   `json:"outcome"`
	// Status is the receiver's HTTP status, 0 when none came.
	Status int `json:"status,omitempty"`
	// Error says why the attempt failed.
	Error string `json:"error,omitempty"`
	// LatencyMS is the attempt's round trip in real milliseconds.
	LatencyMS float64 `json:"latency_ms"`
	// Response is the start of the receiver's response body.
	Response string `json:"response,omitempty"`
	// Body is the callback body sent.
	Body json.RawMessage `json:"body"`
}

package mock

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/lumamock/lumamock"
)

// ring keeps the last len(buf) values added, numbering each.
type ring[T any] struct {
	mu   sync.Mutex
	buf  []T
	next int
	full bool
	seq  int64
}

func newRing[T any](size int) *ring[T] { return &ring[T]{buf: make([]T, size)} }

// add stores the value build(seq) makes, seq counting from 1, forgetting the oldest when full.
func (r *ring[T]) add(build func(seq int64) T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	r.buf[r.next] = build(r.seq)
	r.next++
	if r.next == len(r.buf) {
		r.next, r.full = 0, true
	}
}

// list returns the values kept, oldest first.
func (r *ring[T]) list() []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.full {
		return append([]T(nil), r.buf[:r.next]...)
	}
	return append(append(make([]T, 0, len(r.buf)), r.buf[r.next:]...), r.buf[:r.next]...)
}

func (r *ring[T]) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(r.buf)
	r.next, r.full = 0, false
}

// journal is what the mock received and what it sent, bounded.
type journal struct {
	requests  *ring[RequestRecord]
	callbacks *ring[CallbackRecord]
}

func newJournal(size int) *journal {
	return &journal{requests: newRing[RequestRecord](size), callbacks: newRing[CallbackRecord](size)}
}

func (j *journal) addCallback(rec CallbackRecord) {
	j.callbacks.add(func(seq int64) CallbackRecord { rec.Seq = seq; return rec })
}

func (j *journal) addRequest(rec RequestRecord) {
	j.requests.add(func(seq int64) RequestRecord { rec.Seq = seq; return rec })
}

func (j *journal) reset() {
	j.requests.reset()
	j.callbacks.reset()
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

// redactedHeaders names headers whose values the journal never keeps.
var redactedHeaders = map[string]bool{"Authorization": true, "Proxy-Authorization": true, "Cookie": true, "Set-Cookie": true}

// redact copies h with credential values replaced; an Authorization header keeps its scheme. Other values are
// shared with h, which net/http does not touch once the handler has returned.
func redact(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		if !isCredentialHeader(k) {
			out[k] = vs
			continue
		}
		red := make([]string, len(vs))
		for i, v := range vs {
			red[i] = "[redacted]"
			if scheme, _, ok := strings.Cut(v, " "); ok && (k == "Authorization" || k == "Proxy-Authorization") {
				red[i] = scheme + " [redacted]"
			}
		}
		out[k] = red
	}
	return out
}

// isCredentialHeader reports whether the header named k (canonical form) carries a credential.
func isCredentialHeader(k string) bool {
	if redactedHeaders[k] {
		return true
	}
	for _, word := range []string{"api-key", "apikey", "token", "secret"} {
		if containsFold(k, word) {
			return true
		}
	}
	return false
}

// containsFold reports whether s contains the lowercase ASCII word, ignoring case, without allocating.
func containsFold(s, word string) bool {
	for i := 0; i+len(word) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(word)], word) {
			return true
		}
	}
	return false
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

func (t *task) record(now time.Time) TaskRecord {
	tl := t.timeline()
	hist := happened(tl, now)
	rec := TaskRecord{
		ID: t.id, State: hist[len(hist)-1].State, Shape: t.shape, Prompt: t.prompt, Resolution: t.resolution,
		NotifyHook: t.notifyHook, CreatedAt: t.created, UpdatedAt: hist[len(hist)-1].At,
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

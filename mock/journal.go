package mock

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/coverage"
	"github.com/lumamock/lumamock/internal/httpjson"
	"github.com/lumamock/lumamock/internal/redact"
	"github.com/lumamock/lumamock/internal/ring"
)

// journal is what a session received and what it sent: at most size entries each, whose bytes count against
// budgets every session's journals share (the server trims them, Server.trimJournals).
type journal struct {
	requests  *ring.Ring[requestEntry]
	callbacks *ring.Ring[callbackEntry]
	bodyLimit int      // bytes of a body kept
	keys      []string // the accepted API keys, which no record shows
	// observe, when set, is told of each callback record once it is numbered, with no lock held (the coverage).
	observe func(*CallbackRecord)
}

// newJournal returns journals of at most size entries each, whose bytes count against requestBytes and
// callbackBytes, keeping the first bodyLimit bytes of each body, that show none of keys.
func newJournal(size, bodyLimit int, requestBytes, callbackBytes *ring.Shared, keys []string) *journal {
	return &journal{
		requests:  ring.NewShared(size, requestBytes, requestEntry.size),
		callbacks: ring.NewShared(size, callbackBytes, callbackEntry.size),
		bodyLimit: bodyLimit,
		keys:      slices.Clip(keys),
	}
}

// addCallback journals rec, whose Body is the whole callback body sent: the journal keeps it cut at its body
// limit. rec.Body must not change afterwards. secrets are its task's (see task.secrets).
func (j *journal) addCallback(rec CallbackRecord, secrets []string) {
	e := callbackEntry{secrets: secrets, keys: j.keys}
	rec.Body, rec.BodyTruncated, rec.BodyBytes = cutJSON(rec.Body, j.bodyLimit, e.all()...)
	j.callbacks.Add(func(seq int64) callbackEntry { rec.Seq = seq; e.rec = rec; return e })
	if j.observe != nil {
		j.observe(&rec)
	}
}

// addRequest journals e, whose body is already cut at the body limit, and returns its number.
func (j *journal) addRequest(e requestEntry) int64 {
	e.body = compact(e.body)
	j.requests.Add(func(seq int64) requestEntry { e.rec.Seq = seq; return e })
	return e.rec.Seq
}

// listRequests returns the request records kept, oldest first, redacted.
func (j *journal) listRequests() []RequestRecord { return j.requestsSince(0, -1) }

// requestsSince returns, redacted and oldest first, the request records numbered above since: at most limit
// of them, or all when limit is negative.
func (j *journal) requestsSince(since int64, limit int) []RequestRecord {
	entries := j.requests.Since(since, limit, nil)
	out := make([]RequestRecord, len(entries))
	for i, e := range entries {
		out[i] = e.redacted()
	}
	return out
}

// callbacksSince returns, oldest first, the callback records numbered above since, of task taskID unless it
// is empty: at most limit of them, or all when limit is negative.
func (j *journal) callbacksSince(since int64, limit int, taskID string) []CallbackRecord {
	var keep func(*callbackEntry) bool
	if taskID != "" {
		keep = func(e *callbackEntry) bool { return e.rec.TaskID == taskID }
	}
	return redactedAll(j.callbacks.Since(since, limit, keep))
}

// cutJSON returns what the journal keeps of a JSON body and its full size. A body of at most limit bytes is
// kept as it is; a longer one is cut at limit bytes (at a character boundary) and kept as a JSON string, so
// the journal stays valid JSON, and truncated is true. What it returns holds at most about twice its length
// in memory, whatever the memory behind body.
func cutJSON(body []byte, limit int, secrets ...string) (kept json.RawMessage, truncated bool, size int) {
	size = len(body)
	if size <= limit {
		return compact(body), false, size
	}
	cut := body[:cutBefore(body, limit, secrets)]
	for range utf8.UTFMax - 1 {
		if r, n := utf8.DecodeLastRune(cut); r != utf8.RuneError || n != 1 {
			break
		}
		cut = cut[:len(cut)-1]
	}
	// Without HTML escaping a JSON body's start at most doubles as a JSON string (quotes and backslashes).
	var buf bytes.Buffer
	buf.Grow(2*len(cut) + 3)
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(string(cut)) // encoding a string cannot fail
	// A copy of its own: the body's memory is not kept, nor the encoder's spare room.
	return bytes.Clone(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), true, size
}

// cutBefore is where to cut body at limit so that no secret is cut in two: the records are redacted when read,
// and the start of a secret would not be recognised as one.
func cutBefore(body []byte, limit int, secrets []string) int {
	for _, s := range secrets {
		if len(s) < 2 {
			continue
		}
		from := max(0, limit-len(s)+1)
		if i := bytes.Index(body[from:min(len(body), limit+len(s)-1)], []byte(s)); i >= 0 && from+i < limit {
			limit = from + i
		}
	}
	return limit
}

// compact returns b, or a copy of it if b holds on to much more memory than it shows.
func compact(b []byte) []byte {
	if cap(b) > 2*len(b)+64 {
		return bytes.Clone(b)
	}
	return b
}

// size estimates the memory rec holds.
func (rec CallbackRecord) size() int64 {
	n := int64(unsafe.Sizeof(rec)) + int64(cap(rec.Body))
	for _, s := range []string{rec.TaskID, string(rec.State), rec.URL, rec.Outcome, rec.Error, rec.Response} {
		n += int64(len(s))
	}
	for _, f := range rec.Faults {
		n += ring.StringHeader + int64(len(f))
	}
	return n
}

// size estimates the memory e holds: its record, the request's header, query and body as kept.
func (e requestEntry) size() int64 {
	rec := &e.rec
	n := int64(unsafe.Sizeof(e)) + int64(len(e.query)+cap(e.body))
	for _, s := range []string{rec.Method, rec.Path, rec.RequestID, rec.TaskID, rec.Source, rec.Cassette} {
		n += int64(len(s))
	}
	for _, v := range rec.Violations {
		n += int64(unsafe.Sizeof(v)) + int64(len(v.In)+len(v.Field)+len(v.Rule)+len(v.Message))
	}
	return n + ring.HeaderSize(e.header)
}

// requestEntry is a journaled request as kept: its record, and what the record shows once redacted. Redacting
// when the journal is read, not on every request, keeps the request path cheap; nothing reads an entry but
// redacted.
type requestEntry struct {
	rec    RequestRecord // Header, Query and Body are filled by redacted
	header http.Header   // the request's, which net/http leaves alone once the handler returns
	query  string
	body   []byte   // cut at the journal's body limit
	keys   []string // the accepted API keys; with the request's own credentials, the secrets it must not show
}

// redacted is the record with credentials masked everywhere (see internal/redact): credential headers, query
// parameters and URL credentials, in the body too (a notify_hook's token), and the accepted keys and the
// request's own credentials wherever they appear, violations included.
func (e requestEntry) redacted() RequestRecord {
	rec := e.rec
	secrets := append(append(slices.Clip(e.keys), redact.HeaderSecrets(e.header)...), redact.QuerySecrets(e.query)...)
	rec.Method = redact.Text(rec.Method, secrets...) // a method or a task id can be anything a client sends
	rec.Path = redact.Text(rec.Path, secrets...)
	rec.TaskID = redact.Text(rec.TaskID, secrets...)
	rec.Header = redact.Header(e.header, secrets...)
	rec.Query = redact.Query(e.query, secrets...)
	rec.Body = string(redact.Body(e.body, secrets...))
	if len(rec.Violations) > 0 {
		rec.Violations = slices.Clone(rec.Violations)
		for i := range rec.Violations {
			rec.Violations[i].Message = redact.Text(rec.Violations[i].Message, secrets...)
		}
	}
	return rec
}

func (j *journal) reset() {
	j.requests.Reset()
	j.callbacks.Reset()
}

// close forgets every entry and keeps none added afterwards: the session is gone.
func (j *journal) close() {
	j.requests.Close()
	j.callbacks.Close()
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
	Status int `json:"status"`
	// PreferApplied lists the preferences of the Prefer header the mock honoured (its Preference-Applied).
	PreferApplied []string `json:"prefer_applied,omitempty"`
	// DelayMS is the latency added before the answer (Prefer delay, Options.Delay), in milliseconds: the draw,
	// for a distribution.
	DelayMS float64 `json:"delay_ms,omitempty"`
	// Fault is the fault applied to the answer: a connection fault (reset, empty, truncated, malformed-chunk,
	// garbage, stall), whose Status is then the status the answer would have had, or the status a share of
	// Options.APIFaults forced ("503").
	Fault string `json:"fault,omitempty"`
	// RateLimited reports that the request was over its API key's rate limit (Options.RateLimit) and answered
	// 429; it is still Valid.
	RateLimited bool   `json:"rate_limited,omitempty"`
	RequestID   string `json:"request_id"`
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
	cut        bool // body holds only the start of the request's body (see Server.letBodyGo)
	// What the coverage needs: the task answered, in which shape and state, and the submission that made it.
	cov        *coverage.Task
	shape      lumamock.Shape
	state      lumamock.TaskState
	submission uint64
}

// TaskRecord is a task as the admin API shows it: its plan, its state now and the states it went through.
type TaskRecord struct {
	// Seq numbers tasks in order of creation, from 1; GET /__mock/tasks pages with it (since, before).
	Seq        int64              `json:"seq"`
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
	// QueuePosition is the task's place, from 1, among its API key's tasks waiting to start processing
	// (Options.Capacity): 0 when it is not waiting, or the server has no capacity.
	QueuePosition int `json:"queue_position,omitempty"`
	// Result is what the task brought once it ended: its assets, or why it failed.
	Result *TaskResult `json:"result,omitempty"`
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

// record is the task as the admin API shows it at now, with secrets (the accepted API keys) and its own
// redacted.
func (t *task) record(now time.Time, secrets []string) TaskRecord {
	secrets = append(secrets[:len(secrets):len(secrets)], t.secrets...)
	timeline := t.timeline()
	tl := timeline.list()
	hist := happened(tl, now)
	prompt := ""
	if t.big != nil {
		prompt = t.big.shown // redacted once, when the task was made
	} else {
		prompt = redact.Text(t.prompt, secrets...)
	}
	rec := TaskRecord{
		Seq: t.seq, ID: t.id, State: hist[len(hist)-1].State, Shape: t.shape, Prompt: prompt, Resolution: t.resolution,
		NotifyHook: redact.Text(t.notifyHook, secrets...), CreatedAt: t.created, UpdatedAt: hist[len(hist)-1].At,
		Pending: t.pending.String(), Processing: t.processing.String(), Outcome: t.outcome,
		Faults: FaultsRecord{Duplicate: t.faults.Duplicate, Drop: t.faults.Drop, Reorder: t.faults.Reorder},
	}
	if t.faults.Late > 0 {
		rec.Faults.Late = t.faults.Late.String()
	}
	rec.History = append(rec.History, hist...)
	if len(tl) > len(hist) {
		rec.Next = &Transition{State: tl[len(hist)].State, At: tl[len(hist)].At}
	}
	rec.Result = t.resultRecord(rec.State)
	if rec.State == lumamock.StatePending {
		rec.QueuePosition = t.queuePosition(now)
	}
	return rec
}

// shown is what an admin answer writes of the task's record: the record, or, for a large prompt, the record
// written from the prompt kept (see largePrompt).
func (t *task) shown(now time.Time, keys []string) any {
	rec := t.record(now, keys)
	if t.big == nil {
		return rec
	}
	rec.Prompt = httpjson.Marker
	return httpjson.Spliced{Value: rec, String: t.big.shown, Len: t.big.shownLen}
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
	// Signed reports that the attempt carried HeaderSignature (Options.CallbackSecret is set).
	Signed bool `json:"signed,omitempty"`
	// Response is the start of the receiver's response body.
	Response string `json:"response,omitempty"`
	// Body is the callback body sent, as JSON, when it fits in the journal's body limit
	// (Options.JournalBodyLimit). A longer body is cut at the limit and kept as a JSON string holding its
	// start; BodyTruncated then says so.
	Body json.RawMessage `json:"body"`
	// BodyTruncated reports that Body holds only the start of the body sent, as a JSON string.
	BodyTruncated bool `json:"body_truncated,omitempty"`
	// BodyBytes is the size in bytes of the whole body sent, cut or not.
	BodyBytes int `json:"body_bytes,omitempty"`
}

// callbackEntry is a journaled callback as kept: its record as sent, and the credentials it must not show (its
// task's). Records are redacted when read, which keeps delivery cheap; nothing reads one but through redacted.
type callbackEntry struct {
	rec     CallbackRecord
	secrets []string // its task's
	keys    []string // the accepted API keys
}

// all is every secret the record must not show: the accepted API keys and its task's secrets.
func (e callbackEntry) all() []string {
	if len(e.secrets) == 0 {
		return e.keys
	}
	return append(slices.Clip(e.keys), e.secrets...)
}

func (e callbackEntry) size() int64 { return e.rec.size() }

// redacted is the record as the journal shows it: the hook URL's credentials, and the accepted API keys, the
// task's secrets and any URL's credentials in the body, error and response (whatever the receiver repeated),
// replaced by the placeholder.
func (e callbackEntry) redacted() CallbackRecord {
	rec := e.rec
	secrets := e.all()
	rec.URL = redact.Text(rec.URL, secrets...) // the URL's credentials, and a key under any parameter name
	rec.Body = redact.Body(rec.Body, secrets...)
	rec.Error = redact.Text(rec.Error, secrets...)
	rec.Response = redact.Text(rec.Response, secrets...)
	return rec
}

// redactedAll is entries' records, redacted.
func redactedAll(entries []callbackEntry) []CallbackRecord {
	out := make([]CallbackRecord, len(entries))
	for i, e := range entries {
		out[i] = e.redacted()
	}
	return out
}

package mock

import (
	"hash/maphash"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/coverage"
	"github.com/lumamock/lumamock/internal/adminapi"
)

// webhookFaults are the faults Faults applies, by the names callback records give them, with how to ask for
// each: the fault items of coverage.
var webhookFaults = []coverage.Fault{
	{Name: "duplicate", Hint: "Prefer: duplicate=1 on a submit with a notify_hook"},
	{Name: "drop", Hint: "Prefer: drop=processing on a submit with a notify_hook"},
	{Name: "reorder", Hint: "Prefer: reorder=1 on a submit with a notify_hook"},
	{Name: "late", Hint: "Prefer: late=2s on a submit with a notify_hook"},
}

// Coverage returns what the mock's clients were exposed to, item by item from the document, and the client
// discipline findings (see package coverage). It survives Reset; ResetCoverage clears it.
func (s *Server) Coverage() coverage.Report {
	rep := s.coverage.Report()
	rep.At = s.clock.Now()
	return rep
}

// ResetCoverage forgets what the coverage counted and found.
func (s *Server) ResetCoverage() { s.coverage.Reset() }

func (sc scope) Coverage(ignore []string) (any, error) {
	rep, err := sc.ss.srv.Coverage().Exclude(ignore...)
	if err != nil {
		return nil, adminapi.Invalid(lumamock.InQuery, "ignore", "ignore", err.Error())
	}
	return rep, nil
}

func (sc scope) ResetCoverage() { sc.ss.srv.ResetCoverage() }

// newCoverage makes the Recorder of the mock's coverage.
func (s *Server) newCoverage() (*coverage.Recorder, error) {
	return coverage.New(coverage.Options{
		Document:   s.doc,
		Faults:     webhookFaults,
		Thresholds: s.opts.Discipline,
		Alive: func(id string, at time.Time) bool {
			t := s.findTask(id)
			return t != nil && !t.at(at).State.Terminal()
		},
	})
}

// bearerToken is the token of r's Authorization header, "" when it carries none: what identifies a client.
func bearerToken(r *http.Request) string {
	auth := r.Header["Authorization"] // Header.Get would canonicalize the name on every request
	if len(auth) == 0 {
		return ""
	}
	scheme, token, ok := strings.Cut(auth[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// submissionSeed hashes submissions, for the resubmitted finding.
var submissionSeed = maphash.MakeSeed()

// submission identifies a request that created a task: its Prefer header and body.
func submission(r *http.Request, body []byte) uint64 {
	h := maphash.Bytes(submissionSeed, body)
	for _, p := range r.Header["Prefer"] {
		h = h*31 ^ maphash.String(submissionSeed, p)
	}
	return h | 1
}

// coverRequest reports an answered API request, journaled as seq, to the coverage.
func (s *Server) coverRequest(w http.ResponseWriter, r *http.Request, ex *apiRequest, seq int64, status int, at time.Time) {
	note := ex.note
	ev := coverage.Request{Seq: seq, At: at, Key: bearerToken(r), Status: status, Task: note.cov, Submission: note.submission}
	if ex.route != nil {
		ev.Operation = ex.route.Operation.OperationID
	}
	if note.cov != nil {
		ev.Shape, ev.State = note.shape, note.state
	}
	if v := w.Header()["Retry-After"]; len(v) > 0 {
		if secs, err := strconv.Atoi(v[0]); err == nil && secs > 0 {
			ev.RetryAfter, ev.Answered = time.Duration(secs)*time.Second, s.clock.Now()
		}
	}
	s.coverage.Request(ev)
}

// findTask returns task id of any session, or nil: the coverage is the server's, for now, and asks of tasks by
// id. It looks in the sessions most recently used first.
func (s *Server) findTask(id string) *task {
	for _, ss := range s.sessions.list() {
		if t := ss.tasks.get(id); t != nil {
			return t
		}
	}
	return nil
}

// coverCallback reports a callback record of session ss to the coverage. It runs with no lock held (the journal
// calls it once it has numbered the record).
func (s *Server) coverCallback(ss *Session, rec *CallbackRecord) {
	ev := coverage.Callback{Seq: rec.Seq, At: rec.At, Callback: lumamock.CallbackNotify, Event: rec.Event, State: rec.State,
		Attempt: rec.Attempt, Status: rec.Status, Outcome: rec.Outcome, Error: rec.Error, Faults: rec.Faults}
	if t := ss.tasks.get(rec.TaskID); t != nil {
		ev.Task, ev.Shape, ev.Receiver = &t.cov, t.shape, t.receiver
	}
	s.coverage.Callback(ev)
}

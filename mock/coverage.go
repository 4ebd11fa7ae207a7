package mock

import (
	"hash/maphash"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
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

// DefaultCoverageClients bounds, when Options.CoverageClients is zero, the clients the coverage of all sessions
// remembers together.
const DefaultCoverageClients = 1024

// Coverage returns what the clients of the session were exposed to, item by item from the document, and the
// client discipline findings (see package coverage), on the session's clock. It survives Reset;
// ResetCoverage clears it.
func (ss *Session) Coverage() coverage.Report {
	rep := ss.coverage.Report()
	rep.Session, rep.At = ss.name, ss.clock.Now()
	return rep
}

// ResetCoverage forgets what the session's coverage counted and found.
func (ss *Session) ResetCoverage() { ss.coverage.Reset() }

// Coverage returns the coverage of DefaultSession (see Session.Coverage).
func (s *Server) Coverage() coverage.Report { return s.Default().Coverage() }

// Coverages returns the coverage of each session a client used, DefaultSession first, then the others by name;
// DefaultSession's alone when no client used any. It holds too, as they stood then, the sessions deleted or
// evicted since the server started (the most recent Options.MaxSessions of them, remembering together at most
// Options.CoverageClients clients; each given up past that is logged): a session used again after its deletion
// has a report per life, the earlier first.
func (s *Server) Coverages() []coverage.Report {
	out := s.retired.list()
	for _, ss := range s.sessions.list() {
		if rep := ss.Coverage(); used(rep) {
			out = append(out, rep)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if (out[i].Session == DefaultSession) != (out[j].Session == DefaultSession) {
			return out[i].Session == DefaultSession
		}
		return out[i].Session < out[j].Session
	})
	if len(out) == 0 {
		out = append(out, s.Coverage())
	}
	return out
}

// used reports whether a client used the session of rep.
func used(rep coverage.Report) bool {
	return rep.Clients.Seen > 0 || rep.Covered > 0 || rep.Clients.Forgotten > 0
}

// retireCoverage keeps the coverage of session ss, which is going, for Coverages, when a client used it.
func (s *Server) retireCoverage(ss *Session) {
	rep := ss.Coverage()
	if !used(rep) {
		return
	}
	for _, name := range s.retired.add(rep) {
		s.log.Warn(retiredDroppedLog, "session", name, "max_reports", s.retired.max, "max_clients", s.retired.maxClients)
	}
}

const retiredDroppedLog = "coverage of a deleted or evicted session dropped from the end-of-run report, to keep within its bound"

// retiredCoverage keeps the coverage reports of the sessions deleted or evicted after a client used them, frozen
// as they stood then: the most recent max, remembering together at most maxClients clients (so at most as many as
// the live sessions' coverage), the oldest given up first.
type retiredCoverage struct {
	max, maxClients int
	plan            *coverage.Plan // the items every report shares

	mu      sync.Mutex
	reports []retiredReport // oldest first
	clients int             // their Clients.Seen, summed
}

// retiredReport is a report kept of a session gone, without what every report of the server shares (its items'
// names, descriptions and hints, which the plan has): their counts alone. In the session flood of
// TestSessionFloodStaysWithinLimits (one task, one client a session), a session with the report it leaves took
// 19.0 KiB with the report kept whole, 12.6 KiB kept so, and 12.2 KiB before any report was kept.
type retiredReport struct {
	rep    coverage.Report // without Items
	counts []itemCount     // by item, in the plan's order
}

// itemCount is what a report says of one item.
type itemCount struct {
	n     int64
	first *coverage.Ref
}

// add keeps rep, and returns the sessions of the reports it gave up to make room.
func (rc *retiredCoverage) add(rep coverage.Report) (dropped []string) {
	kept := retiredReport{rep: rep, counts: make([]itemCount, len(rep.Items))}
	for i, it := range rep.Items {
		kept.counts[i] = itemCount{it.Count, it.First}
	}
	kept.rep.Items = nil
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.reports = append(rc.reports, kept)
	rc.clients += rep.Clients.Seen
	for len(rc.reports) > rc.max || rc.clients > rc.maxClients && len(rc.reports) > 1 {
		dropped = append(dropped, rc.reports[0].rep.Session)
		rc.clients -= rc.reports[0].rep.Clients.Seen
		rc.reports[0] = retiredReport{}
		rc.reports = rc.reports[1:]
	}
	return dropped
}

// list returns the reports kept, oldest first.
func (rc *retiredCoverage) list() []coverage.Report {
	rc.mu.Lock()
	kept := slices.Clone(rc.reports)
	rc.mu.Unlock()
	out := make([]coverage.Report, len(kept))
	for i, k := range kept {
		out[i] = k.rep
		out[i].Items = rc.plan.Items()
		for j := range out[i].Items {
			it := &out[i].Items[j]
			it.Count, it.Covered = k.counts[j].n, k.counts[j].n > 0
			if k.counts[j].first != nil {
				first := *k.counts[j].first
				it.First = &first
			}
		}
	}
	return out
}

// ResetCoverage forgets the coverage of DefaultSession.
func (s *Server) ResetCoverage() { s.Default().ResetCoverage() }

func (sc scope) Coverage(ignore []string) (any, error) {
	rep, err := sc.session().Coverage().Exclude(ignore...)
	if err != nil {
		return nil, adminapi.Invalid(lumamock.InQuery, "ignore", "ignore", err.Error())
	}
	return rep, nil
}

func (sc scope) ResetCoverage() { sc.session().ResetCoverage() }

// newCoverage makes the Recorder of session ss's coverage: the server's items (one Plan) and its bound on the
// clients remembered (one Budget), and ss's tasks.
func (s *Server) newCoverage(ss *Session) *coverage.Recorder {
	r, err := coverage.New(coverage.Options{
		Plan:       s.coveragePlan,
		Budget:     s.coverageBudget,
		Thresholds: s.opts.Discipline,
		Alive: func(id string, at time.Time) bool {
			t := ss.tasks.get(id)
			return t != nil && !t.at(at).State.Terminal()
		},
	})
	if err != nil {
		panic(err) // New fails only without a Plan, and the server made one at start
	}
	return r
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

// submission identifies a request that created a task: its body and the preferences of its Prefer header that
// shape the task (not fault nor delay, which shape only the answer: a client that resubmits after a broken
// answer sends the same request without them).
func submission(r *http.Request, body []byte) uint64 {
	h := maphash.Bytes(submissionSeed, body)
	for _, line := range r.Header["Prefer"] {
		for p := range strings.SplitSeq(line, ",") {
			p = strings.TrimSpace(p)
			if name, _, _ := strings.Cut(p, "="); strings.EqualFold(name, "fault") || strings.EqualFold(name, "delay") || p == "" {
				continue
			}
			h = h*31 ^ maphash.String(submissionSeed, p)
		}
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
	if ev.RetryAfter = retryAfter(w.Header()); ev.RetryAfter > 0 {
		ev.Answered = ex.session.clock.Now()
	}
	ex.session.coverage.Request(ev)
}

// coverReplayed reports to the coverage a request lumamock serve --replay answered from a recording, journaled
// as seq: its status and Retry-After count; the shape and state of what was replayed are not read.
func (s *Server) coverReplayed(r *http.Request, ex *apiRequest, seq int64, status int, answered http.Header, at time.Time) {
	ev := coverage.Request{Seq: seq, At: at, Key: bearerToken(r), Status: status, RetryAfter: retryAfter(answered)}
	if ex.route != nil {
		ev.Operation = ex.route.Operation.OperationID
	}
	ex.session.coverage.Request(ev)
}

// retryAfter is the Retry-After, in seconds, of an answer's header h; 0 when it has none (or a date, which the
// mock never sends).
func retryAfter(h http.Header) time.Duration {
	v := h["Retry-After"] // Header.Get would canonicalize the name on every request
	if len(v) == 0 {
		return 0
	}
	if secs, err := strconv.Atoi(v[0]); err == nil && secs > 0 {
		return time.Duration(secs) * time.Second
	}
	return 0
}

// coverCallback reports a callback record of session ss to the coverage. It runs with no lock held (the journal
// calls it once it has numbered the record).
func (s *Server) coverCallback(ss *Session, rec *CallbackRecord) {
	ev := coverage.Callback{Seq: rec.Seq, At: rec.At, Callback: lumamock.CallbackNotify, Event: rec.Event, State: rec.State,
		Attempt: rec.Attempt, Status: rec.Status, Outcome: rec.Outcome, Error: rec.Error, Faults: rec.Faults}
	if t := ss.tasks.get(rec.TaskID); t != nil {
		ev.Task, ev.Shape, ev.Receiver = &t.cov, t.shape, t.receiver
	}
	ss.coverage.Callback(ev)
}

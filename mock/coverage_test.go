package mock_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lumamock/lumamock/coverage"
	"github.com/lumamock/lumamock/internal/clientplay"
	"github.com/lumamock/lumamock/internal/redact"
	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

// readCoverage reads GET /__mock/coverage (with query) as a client of the admin API does.
func readCoverage(t *testing.T, srv *mocktest.Server, query string) (int, coverage.Report, string) {
	t.Helper()
	url := srv.URL + "/__mock/coverage"
	if strings.Contains(srv.URL, "/__mock/sessions/") {
		url = srv.URL + "/coverage"
	}
	resp, err := srv.Client.Get(url + query)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var rep coverage.Report
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(data, &rep); err != nil {
			t.Fatalf("GET /__mock/coverage: %v\n%s", err, data)
		}
	}
	return resp.StatusCode, rep, string(data)
}

// TestCoverageShowsAnEnvelopeClientWhatItMissed: a client that only submits envelope tasks that complete is
// shown exactly what it never met: the luma shape, failed, each forced status, each fault, a retry.
func TestCoverageShowsAnEnvelopeClientWhatItMissed(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{})
	clientplay.EnvelopeOnly(t, srv)
	status, rep, _ := readCoverage(t, srv, "")
	if status != http.StatusOK {
		t.Fatalf("GET /__mock/coverage: %d", status)
	}
	want := []string{
		"createGeneration.status.400", "createGeneration.status.401", "createGeneration.status.406", "createGeneration.status.413",
		"createGeneration.status.415", "createGeneration.status.429", "createGeneration.status.500", "createGeneration.status.503",
		"createGeneration.shape.luma",
		"notifyGeneration.shape.luma", "notifyGeneration.event.failed",
		"notifyGeneration.fault.duplicate", "notifyGeneration.fault.drop", "notifyGeneration.fault.reorder", "notifyGeneration.fault.late",
		"notifyGeneration.retry",
		"getGeneration.status.400", "getGeneration.status.401", "getGeneration.status.404", "getGeneration.status.406",
		"getGeneration.status.429", "getGeneration.status.500", "getGeneration.status.503",
		"getGeneration.shape.luma", "getGeneration.state.failed",
		"outcome.failed",
	}
	if diff := cmp.Diff(want, rep.Missing); diff != "" {
		t.Errorf("missing (-want +got):\n%s", diff)
	}
	if rep.Covered != 11 || rep.Total != 37 || rep.Percent != 29.7 {
		t.Errorf("%d of %d covered, %v%%; want 11 of 37, 29.7%%", rep.Covered, rep.Total, rep.Percent)
	}
	if len(rep.Findings) != 0 || rep.FindingCount() != 0 {
		t.Errorf("a well-behaved client has findings: %+v", rep.Findings)
	}
	// Each covered item names the first journal record that covered it, and that record is the right one.
	requests := srv.Mock.Requests()
	first := map[string]int64{}
	for _, it := range rep.Items {
		if it.Covered {
			first[it.Name] = it.First.Seq
		}
	}
	if seq := first["createGeneration.status.200"]; seq != requests[0].Seq || requests[0].Method != http.MethodPost {
		t.Errorf("createGeneration.status.200 first covered by request %d; the first request is %+v", seq, requests[0])
	}
	for _, r := range requests {
		if r.Seq == first["getGeneration.state.completed"] && r.Method != http.MethodGet {
			t.Errorf("getGeneration.state.completed first covered by %s %s", r.Method, r.Path)
		}
	}
	if got := srv.Coverage(); got.Covered != rep.Covered || len(got.Items) != len(rep.Items) {
		t.Errorf("Server.Coverage: %d of %d; GET /__mock/coverage: %d of %d", got.Covered, got.Total, rep.Covered, rep.Total)
	}
}

// TestEveryItemCanBeCovered: a suite that forces every item covers 100%, and its one finding is the hook it made
// refuse a callback.
func TestEveryItemCanBeCovered(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{})
	clientplay.Everything(t, srv)
	rep := srv.Coverage()
	if rep.Percent != 100 || len(rep.Missing) != 0 {
		t.Errorf("%v%%; never covered: %v", rep.Percent, rep.Missing)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].Kind != coverage.FindingHookNotAcknowledged || rep.FindingCount() != 1 {
		t.Errorf("findings %+v; want one hook-not-acknowledged", rep.Findings)
	}
	mocktest.RequireCoverage(t, srv, 100)
}

// TestDisciplineOverHTTP: a client that polls every 50 ms and ignores Retry-After gets poll-too-fast and
// retry-after-ignored, each with the journal records that show it; a patient one gets none.
func TestDisciplineOverHTTP(t *testing.T) {
	impatient := mocktest.NewServer(t, mock.Options{})
	clientplay.Impatient(t, impatient)
	rep := impatient.Coverage()
	kinds := map[string]coverage.Finding{}
	for _, f := range rep.Findings {
		kinds[f.Kind] = f
	}
	// The 19 requests 50, 100, ... 950 ms after the 429 came before its Retry-After of 1s.
	if len(rep.Findings) != 2 || kinds["poll-too-fast"].Count == 0 || kinds["retry-after-ignored"].Count != 19 {
		t.Fatalf("findings %+v; want poll-too-fast and retry-after-ignored (19 times)", rep.Findings)
	}
	records := map[int64]mock.RequestRecord{}
	for _, r := range impatient.Mock.Requests() {
		records[r.Seq] = r
	}
	for _, f := range rep.Findings {
		if f.Client != redact.Label(clientplay.Key) {
			t.Errorf("%s: client %q; want %q", f.Kind, f.Client, redact.Label(clientplay.Key))
		}
		for _, e := range f.Evidence {
			r, ok := records[e.Seq]
			if e.Journal != coverage.JournalRequests || !ok || r.Method != http.MethodGet || !r.At.Equal(e.At) {
				t.Errorf("%s: evidence %+v is not a poll in the journal (%+v)", f.Kind, e, r)
			}
		}
	}
	ra := kinds["retry-after-ignored"]
	if r := records[ra.Evidence[0].Seq]; r.Status != http.StatusTooManyRequests || records[ra.Evidence[1].Seq].At.Sub(r.At) != 50*time.Millisecond {
		t.Errorf("retry-after-ignored evidence %+v does not show a request 50ms after a 429", ra.Evidence)
	}
	if f := kinds["poll-too-fast"]; !strings.Contains(f.Message, "shortest gap 50ms") || f.TaskID == "" {
		t.Errorf("poll-too-fast: %+v", f)
	}

	patient := mocktest.NewServer(t, mock.Options{})
	clientplay.Patient(t, patient)
	if rep := patient.Coverage(); len(rep.Findings) != 0 || rep.FindingCount() != 0 {
		t.Errorf("a patient client has findings: %+v", rep.Findings)
	}
}

// TestDisciplineThresholdsAreOptions: with a poll interval of 40 ms allowed, the impatient client only ignores
// Retry-After.
func TestDisciplineThresholdsAreOptions(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{Discipline: coverage.Thresholds{PollMinInterval: 40 * time.Millisecond}})
	clientplay.Impatient(t, srv)
	rep := srv.Coverage()
	if rep.Totals["poll-too-fast"] != 0 || rep.Totals["retry-after-ignored"] != 19 || rep.Thresholds.PollMinInterval != 40*time.Millisecond {
		t.Errorf("totals %v, thresholds %+v", rep.Totals, rep.Thresholds)
	}
}

// TestCoverageOutlivesReset: POST /__mock/reset, which suites call between tests, keeps the coverage; POST
// /__mock/coverage/reset clears it.
func TestCoverageOutlivesReset(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{})
	clientplay.Impatient(t, srv)
	post := func(path string) {
		resp, err := srv.Client.Post(srv.URL+path, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("POST %s: %d", path, resp.StatusCode)
		}
	}
	before := srv.Coverage()
	post("/__mock/reset")
	after := srv.Coverage()
	if after.Covered != before.Covered || after.FindingCount() != before.FindingCount() || before.Covered == 0 {
		t.Errorf("after reset: %d covered, %d findings; before: %d, %d", after.Covered, after.FindingCount(), before.Covered, before.FindingCount())
	}
	post("/__mock/coverage/reset")
	if rep := srv.Coverage(); rep.Covered != 0 || rep.FindingCount() != 0 || len(rep.Findings) != 0 {
		t.Errorf("after coverage reset: %d covered, %d findings", rep.Covered, rep.FindingCount())
	}
}

// TestCoverageIgnore: ignore leaves items and finding kinds out of the answer and says so; one that matches
// nothing is a 400 naming it.
func TestCoverageIgnore(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{})
	clientplay.Impatient(t, srv)
	status, rep, body := readCoverage(t, srv, "?ignore=*.fault.*,*.retry&ignore=poll-too-fast")
	if status != http.StatusOK {
		t.Fatalf("%d %s", status, body)
	}
	if diff := cmp.Diff([]string{"*.fault.*", "*.retry", "poll-too-fast"}, rep.Ignore); diff != "" {
		t.Errorf("ignore (-want +got):\n%s", diff)
	}
	if rep.Total != 32 || len(rep.Ignored) != 6 || rep.Totals["poll-too-fast"] == 0 || rep.FindingCount() != 19 {
		t.Errorf("total %d, ignored %v, count %d", rep.Total, rep.Ignored, rep.FindingCount())
	}
	for _, f := range rep.Findings {
		if f.Kind == "poll-too-fast" {
			t.Errorf("an ignored kind is listed: %+v", f)
		}
	}
	status, _, body = readCoverage(t, srv, "?ignore=getGeneration.status.418")
	if status != http.StatusBadRequest || !strings.Contains(body, `query parameter ignore: \"getGeneration.status.418\" matches no item`) {
		t.Errorf("a bad ignore: %d %s", status, body)
	}
}

// TestCoverageShowsNoKey: a client is named by the label of its key; the key appears nowhere in the answer.
func TestCoverageShowsNoKey(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{})
	clientplay.Impatient(t, srv)
	_, _, body := readCoverage(t, srv, "")
	if strings.Contains(body, clientplay.Key) || redact.Contains(body, clientplay.Key) || !strings.Contains(body, redact.Label(clientplay.Key)) {
		t.Errorf("the answer shows the key, or not its label:\n%.2000s", body)
	}
}

// blockedWriter is a ResponseWriter whose Write waits until released: a reader of the admin API that never
// reads.
type blockedWriter struct {
	header  http.Header
	status  int
	writing chan struct{}
	release chan struct{}
	once    sync.Once
}

func (w *blockedWriter) Header() http.Header { return w.header }
func (w *blockedWriter) WriteHeader(s int)   { w.status = s }
func (w *blockedWriter) Write(b []byte) (int, error) {
	w.once.Do(func() { close(w.writing) })
	<-w.release
	return len(b), nil
}

// TestReadingCoverageNeverBlocksTheAPI: while a coverage answer is stuck being written, the API is answered and
// counted, and another read goes through.
func TestReadingCoverageNeverBlocksTheAPI(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{})
	clientplay.Impatient(t, srv)
	w := &blockedWriter{header: http.Header{}, writing: make(chan struct{}), release: make(chan struct{})}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Mock.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/__mock/coverage", nil))
	}()
	<-w.writing
	before := srv.Coverage().Items[0].Count
	c := clientplay.New(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go func() {
		<-ctx.Done()
		if ctx.Err() == context.DeadlineExceeded {
			close(w.release) // unstick the test rather than hang it
		}
	}()
	c.Submit("", "")
	if after := srv.Coverage().Items[0].Count; after != before+1 {
		t.Errorf("createGeneration.status.200 counted %d, then %d", before, after)
	}
	if status, _, _ := readCoverage(t, srv, ""); status != http.StatusOK {
		t.Errorf("a second read: %d", status)
	}
	if ctx.Err() != nil {
		t.Fatal("the API waited for the stuck coverage read")
	}
	cancel()
	close(w.release)
	<-done
}

// TestResubmittedOverHTTP: the same body with the same Prefer header, sent again while the first task lives, is
// resubmitted; with another Prefer header, or once the first task ended, it is another request.
func TestResubmittedOverHTTP(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{})
	c := clientplay.New(t, srv)
	first := c.SubmitBody("the same prompt", "", "")
	c.Wait(time.Second)
	c.SubmitBody("the same prompt", "", "schema=luma") // another request
	c.Wait(time.Second)
	c.SubmitBody("the same prompt", "", "") // the first still pending: resubmitted
	c.Wait(20 * time.Second)
	c.SubmitBody("the same prompt", "", "") // the window passed
	rep := srv.Coverage()
	if len(rep.Findings) != 1 || rep.Findings[0].Kind != coverage.FindingResubmitted || rep.Findings[0].TaskID != first || rep.Findings[0].Count != 1 {
		t.Fatalf("findings %+v; want one resubmitted of %s", rep.Findings, first)
	}
	if ev := rep.Findings[0].Evidence; len(ev) != 2 || ev[0].Seq != 1 || ev[1].Seq != 3 {
		t.Errorf("evidence %+v; want requests#1 and requests#3", ev)
	}

	ended := mocktest.NewServer(t, mock.Options{Pending: mock.Immediate, Processing: mock.Immediate})
	c = clientplay.New(t, ended)
	c.SubmitBody("again", "", "")
	c.Wait(time.Second)
	c.SubmitBody("again", "", "") // the first ended at once
	if rep := ended.Coverage(); rep.FindingCount() != 0 {
		t.Errorf("a resubmission after the first task ended: %+v", rep.Findings)
	}
}

// TestCoverageIsPerSession: each session has its own coverage and findings, read at /__mock/sessions/NAME/coverage
// (or with X-Lumamock-Session); resetting or deleting one session's leaves the others'.
func TestCoverageIsPerSession(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{})
	a := clientplay.New(t, srv)
	a.Session = "suite-a"
	for range 3 {
		a.Poll("no-such-task", "") // three 404s, nothing else
	}
	b := clientplay.New(t, srv)
	b.Session, b.Key = "suite-b", "another-key-0123456789"
	id := b.Submit("", "schema=luma")
	b.Poll(id, "")
	b.Poll(id, "") // too fast
	covered := func(rep coverage.Report) []string {
		var out []string
		for _, it := range rep.Items {
			if it.Covered {
				out = append(out, it.Name)
			}
		}
		return out
	}
	_, repA, _ := readCoverage(t, srv, "")
	if repA.Session != "default" || repA.Covered != 0 {
		t.Errorf("the default session: %q, %d covered", repA.Session, repA.Covered)
	}
	status, repA, body := readSessionCoverage(t, srv, "suite-a")
	if status != http.StatusOK || repA.Session != "suite-a" || len(repA.Findings) != 0 {
		t.Fatalf("suite-a: %d %s", status, body)
	}
	if diff := cmp.Diff([]string{"getGeneration.status.404"}, covered(repA)); diff != "" {
		t.Errorf("suite-a covered (-want +got):\n%s", diff)
	}
	_, repB, _ := readSessionCoverage(t, srv, "suite-b")
	if diff := cmp.Diff([]string{"createGeneration.status.200", "createGeneration.shape.luma", "getGeneration.status.200",
		"getGeneration.shape.luma", "getGeneration.state.pending"}, covered(repB)); diff != "" {
		t.Errorf("suite-b covered (-want +got):\n%s", diff)
	}
	if len(repB.Findings) != 1 || repB.Findings[0].Client != redact.Label(b.Key) || repB.Findings[0].Kind != "poll-too-fast" {
		t.Errorf("suite-b findings: %+v", repB.Findings)
	}
	// The header names the session too.
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/__mock/coverage", nil)
	req.Header.Set("X-Lumamock-Session", "suite-b")
	resp, err := srv.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var viaHeader coverage.Report
	_ = json.NewDecoder(resp.Body).Decode(&viaHeader)
	resp.Body.Close()
	if viaHeader.Session != "suite-b" || viaHeader.Covered != repB.Covered {
		t.Errorf("X-Lumamock-Session: suite-b read %q, %d covered", viaHeader.Session, viaHeader.Covered)
	}
	// Resetting suite-a's coverage, then deleting suite-b, leaves the other's.
	resp, err = srv.Client.Post(srv.URL+"/__mock/sessions/suite-a/coverage/reset", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if _, repA, _ := readSessionCoverage(t, srv, "suite-a"); repA.Covered != 0 {
		t.Errorf("suite-a after its coverage reset: %d covered", repA.Covered)
	}
	if _, repB, _ := readSessionCoverage(t, srv, "suite-b"); repB.Covered != 5 {
		t.Errorf("suite-b after suite-a's coverage reset: %d covered", repB.Covered)
	}
	if !srv.Mock.DeleteSession("suite-b") {
		t.Fatal("no session suite-b to delete")
	}
	if status, _, _ := readSessionCoverage(t, srv, "suite-b"); status != http.StatusNotFound {
		t.Errorf("the coverage of a deleted session: %d", status)
	}
}

// TestCoverageClientsAreBoundedAcrossSessions: a flood of sessions, each with its own API key, keeps the clients
// the coverage remembers within Options.CoverageClients (each session its last one).
func TestCoverageClientsAreBoundedAcrossSessions(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{CoverageClients: 20, MaxSessions: 50})
	for i := range 200 {
		c := clientplay.New(t, srv)
		c.Session, c.Key = fmt.Sprint("s", i%30), fmt.Sprint("flood-key-", i)
		c.Poll("nothing", "")
	}
	seen := 0
	for _, info := range srv.Mock.Sessions() {
		ss, err := srv.Mock.Session(info.Name)
		if err != nil {
			t.Fatal(err)
		}
		seen += ss.Coverage().Clients.Seen
	}
	if seen > 30 { // at most the budget, or one per session when there are more sessions than room
		t.Errorf("%d clients remembered across 30 sessions with room for 20", seen)
	}
}

// readSessionCoverage reads GET /__mock/sessions/NAME/coverage.
func readSessionCoverage(t *testing.T, srv *mocktest.Server, name string) (int, coverage.Report, string) {
	t.Helper()
	return readCoverage(t, &mocktest.Server{URL: srv.URL + "/__mock/sessions/" + name, Client: srv.Client}, "")
}

// TestResubmittedAfterABrokenAnswer: a client whose submission's answer was broken (the task exists all the
// same) and that submits the same request again gets resubmitted; the broken answer covers no status.
func TestResubmittedAfterABrokenAnswer(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{})
	body := `{"user_prompt":"a fox in the snow"}`
	send := func(prefer string) error {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/luma/generations", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+clientplay.Key)
		if prefer != "" {
			req.Header.Set("Prefer", prefer)
		}
		resp, err := srv.Client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	}
	if err := send("fault=reset"); err == nil {
		t.Fatal("Prefer: fault=reset answered")
	}
	srv.Advance(500 * time.Millisecond)
	if err := send(""); err != nil {
		t.Fatal(err)
	}
	rep := srv.Coverage()
	if len(rep.Findings) != 1 || rep.Findings[0].Kind != coverage.FindingResubmitted {
		t.Fatalf("findings %+v; want resubmitted", rep.Findings)
	}
	if tasks := srv.Mock.Tasks(); len(tasks) != 2 || rep.Findings[0].TaskID != tasks[0].ID {
		t.Errorf("the finding names %s; the first task is %+v", rep.Findings[0].TaskID, tasks)
	}
	for _, it := range rep.Items {
		if it.Name == "createGeneration.status.200" && it.Count != 1 {
			t.Errorf("createGeneration.status.200 counted %d times; the broken answer reached no client", it.Count)
		}
	}
}

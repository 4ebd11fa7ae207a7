package main

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lumamock/lumamock/coverage"
	"github.com/lumamock/lumamock/internal/clientplay"
	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
	"github.com/lumamock/lumamock/proxy"
)

// played returns the URL of a mock that play has been played against.
func played(t *testing.T, play func(mocktest.TB, *mocktest.Server), opts mock.Options) string {
	t.Helper()
	srv := mocktest.NewServer(t, opts)
	play(t, srv)
	return srv.URL
}

// TestCoverageMin: --min 100 exits 1 for a client that only submits envelope tasks that complete, and 0 for a
// suite that forces every item; at or under the coverage reached, it exits 0.
func TestCoverageMin(t *testing.T) {
	envelope := played(t, clientplay.EnvelopeOnly, mock.Options{})
	everything := played(t, clientplay.Everything, mock.Options{})
	tests := []struct {
		url  string
		args []string
		code int
		says string
	}{
		{envelope, []string{"--min", "100"}, 1, "lumamock: coverage: coverage 11 of 37 items (29.7%) is below --min 100%"},
		{envelope, []string{"--min", "29.7%"}, 0, "11 of 37 items covered (29.7%)"},
		{envelope, []string{"--min", "30"}, 1, "below --min 30%"},
		{envelope, nil, 0, "Never covered (26):"},
		{envelope, []string{"--min", "100", "--ignore", "*.status.4*", "--ignore", "*.status.5*", "--ignore", "*.luma", "--ignore", "*failed",
			"--ignore", "*.fault.*", "--ignore", "*.retry"}, 0, "Excluded (--ignore *.status.4* *.status.5* *.luma *failed *.fault.* *.retry)"},
		{everything, []string{"--min", "100"}, 0, "37 of 37 items covered (100%); 1 client discipline finding"},
	}
	for _, tt := range tests {
		code, out, _ := runCLI(t, nil, append([]string{"coverage", "--url", tt.url}, tt.args...)...)
		if code != tt.code || !strings.Contains(out, tt.says) {
			t.Errorf("coverage %v: exit %d; want %d, saying %q:\n%s", tt.args, code, tt.code, tt.says, out)
		}
	}
}

// TestCoverageFailOnFindings: --fail-on-findings exits 1 for a client that polls every 50 ms and ignores
// Retry-After, and 0 for a patient one; ignoring the kinds found exits 0.
func TestCoverageFailOnFindings(t *testing.T) {
	impatient := played(t, clientplay.Impatient, mock.Options{})
	patient := played(t, clientplay.Patient, mock.Options{})
	code, out, _ := runCLI(t, nil, "coverage", "--url", impatient, "--fail-on-findings")
	if code != 1 || !strings.Contains(out, "poll-too-fast  key_") || !strings.Contains(out, "retry-after-ignored  key_") ||
		!strings.Contains(out, "client discipline findings (--fail-on-findings)") {
		t.Errorf("impatient: exit %d:\n%s", code, out)
	}
	if code, out, _ := runCLI(t, nil, "coverage", "--url", impatient, "--fail-on-findings", "--ignore", "poll-too-fast", "--ignore", "retry-after-ignored"); code != 0 {
		t.Errorf("impatient, its findings ignored: exit %d:\n%s", code, out)
	}
	if code, out, _ := runCLI(t, nil, "coverage", "--url", impatient); code != 0 {
		t.Errorf("impatient without --fail-on-findings: exit %d:\n%s", code, out)
	}
	if code, out, _ := runCLI(t, nil, "coverage", "--url", patient, "--fail-on-findings"); code != 0 || !strings.Contains(out, "no client discipline finding") {
		t.Errorf("patient: exit %d:\n%s", code, out)
	}
}

// junitReport is JUnit XML as CI tools read it, declared apart from the writer.
type junitReport struct {
	XMLName xml.Name `xml:"testsuites"`
	Tests   int      `xml:"tests,attr"`
	Suites  []struct {
		Name  string `xml:"name,attr"`
		Tests int    `xml:"tests,attr"`
		Cases []struct {
			Name    string `xml:"name,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
			} `xml:"failure"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// TestCoverageFormats: each format is what its readers expect, on stdout or in --output.
func TestCoverageFormats(t *testing.T) {
	url := played(t, clientplay.Impatient, mock.Options{})
	code, out, _ := runCLI(t, nil, "coverage", "--url", url, "--format", "json")
	var rep coverage.Report
	if err := json.Unmarshal([]byte(out), &rep); code != 0 || err != nil || rep.Total != 37 || len(rep.Findings) != 2 {
		t.Errorf("json: exit %d, %v, %d items, %d findings", code, err, rep.Total, len(rep.Findings))
	}
	if code, out, _ := runCLI(t, nil, "coverage", "--url", url, "--format", "markdown"); code != 0 || !strings.HasPrefix(out, "## lumamock coverage: ") {
		t.Errorf("markdown: exit %d:\n%.300s", code, out)
	}
	file := filepath.Join(t.TempDir(), "coverage.xml")
	code, out, _ = runCLI(t, nil, "coverage", "--url", url, "--format", "junit", "--output", file)
	if code != 0 || !strings.Contains(out, "(report in "+file+")") {
		t.Errorf("junit to a file: exit %d:\n%s", code, out)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var j junitReport
	if err := xml.Unmarshal(data, &j); err != nil || len(j.Suites) != 2 || j.Suites[0].Tests != 37 {
		t.Fatalf("junit: %v, %+v", err, j)
	}
	failing := 0
	for _, c := range j.Suites[1].Cases {
		if c.Failure != nil {
			failing++
		}
	}
	if failing != 2 {
		t.Errorf("%d failing discipline cases; want poll-too-fast and retry-after-ignored", failing)
	}
}

// TestCoverageErrorsExit2: what keeps the command from reading a report is exit 2, with a clear error.
func TestCoverageErrorsExit2(t *testing.T) {
	url := played(t, clientplay.EnvelopeOnly, mock.Options{})
	token := mocktest.NewServer(t, mock.Options{AdminToken: "admin-secret-token"})
	p, err := proxy.New(proxy.Options{Upstream: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	ps := httptest.NewServer(p)
	t.Cleanup(ps.Close)
	tests := []struct {
		args []string
		says string
	}{
		{[]string{"--url", url, "--format", "html"}, `coverage: --format: unknown format "html" (want one of text, json, junit, markdown)`},
		{[]string{"--url", url, "--min", "101"}, `"101" is not a percentage from 0 to 100`},
		{[]string{"--url", url, "--min", "-1"}, `"-1" is not a percentage from 0 to 100`},
		{[]string{"--url", url, "--min", "most"}, `"most" is not a percentage from 0 to 100`},
		{[]string{"--url", url, "--ignore", "getGeneration.status.418"}, `coverage: --ignore "getGeneration.status.418" matches no item and no finding kind`},
		{[]string{"--url", "http://127.0.0.1:1"}, "coverage: read http://127.0.0.1:1/__mock/coverage: "},
		{[]string{"--url", "ftp://127.0.0.1"}, `coverage: --url "ftp://127.0.0.1": want the base URL of a lumamock serve`},
		{[]string{"--url", ps.URL}, "/__mock/coverage: 404: no admin endpoint at GET /__mock/coverage; see GET /__mock/admin.yaml (is it a lumamock serve of this version? the proxy measures no coverage)"},
		{[]string{"--url", token.URL}, "/__mock/coverage: 401: "},
		{[]string{"--url", url, "extra"}, `coverage: unexpected argument "extra"`},
	}
	for _, tt := range tests {
		code, out, _ := runCLI(t, nil, append([]string{"coverage"}, tt.args...)...)
		if code != 2 || !strings.Contains(out, tt.says) {
			t.Errorf("coverage %v: exit %d; want 2, saying %q:\n%s", tt.args, code, tt.says, out)
		}
	}
	if code, out, _ := runCLI(t, nil, "coverage", "--url", token.URL, "--admin-token", "admin-secret-token"); code != 0 {
		t.Errorf("with the admin token: exit %d:\n%s", code, out)
	}
	if code, out, _ := runCLI(t, map[string]string{"LUMAMOCK_URL": token.URL, "LUMAMOCK_ADMIN_TOKEN": "admin-secret-token", "LUMAMOCK_MIN": "0"}, "coverage"); code != 0 {
		t.Errorf("from the environment: exit %d:\n%s", code, out)
	}
}

// TestServeCoverageOut: serve --coverage-out writes the report at shutdown, in the format its name or
// --coverage-format says; bad coverage flags stop serve at start with exit 2.
func TestServeCoverageOut(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "coverage.xml")
	url, stderr, stop := startServe(t, nil, "--coverage-out", file, "--coverage-ignore", "*.fault.*", "--poll-min-interval", "250ms")
	if status, body := post(t, url, "k", example); status != http.StatusOK {
		t.Fatalf("submit: %d %s", status, body)
	}
	resp, err := http.Get(url + "/__mock/coverage")
	if err != nil {
		t.Fatal(err)
	}
	var live coverage.Report
	_ = json.NewDecoder(resp.Body).Decode(&live)
	resp.Body.Close()
	if live.Thresholds.PollMinInterval.String() != "250ms" || live.Thresholds.PollAfterEnd != 3 {
		t.Errorf("thresholds %+v; want --poll-min-interval 250ms", live.Thresholds)
	}
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("--coverage-out is not opened at start: %v", err)
	}
	if err := stop(); err != nil {
		t.Fatalf("serve: %v\n%s", err, stderr)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var j junitReport
	if err := xml.Unmarshal(data, &j); err != nil || len(j.Suites) != 2 {
		t.Fatalf("--coverage-out %s is not JUnit: %v\n%s", file, err, data)
	}
	passed := map[string]bool{}
	for _, c := range j.Suites[0].Cases {
		passed[c.Name] = c.Failure == nil
	}
	if !passed["createGeneration.status.200"] || passed["createGeneration.status.400"] {
		t.Errorf("the report does not show the submit: %s", data)
	}
	if !strings.Contains(string(data), `name="notifyGeneration.fault.drop"`) || !strings.Contains(string(data), "excluded by --ignore") {
		t.Errorf("the ignored faults are not shown as excluded")
	}
	if !strings.Contains(stderr.String(), "coverage report written") {
		t.Errorf("serve did not log the report: %s", stderr)
	}

	md := filepath.Join(dir, "coverage.txt")
	_, _, stop = startServe(t, nil, "--coverage-out", md, "--coverage-format", "markdown")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(md); !strings.HasPrefix(string(data), "## lumamock coverage: 0 of 37 items covered (0%)") {
		t.Errorf("--coverage-format markdown: %.200s", data)
	}

	for _, tt := range []struct {
		args []string
		says string
	}{
		{[]string{"--coverage-out", filepath.Join(dir, "c.json"), "--coverage-format", "yaml"}, `--coverage-format: unknown format "yaml"`},
		{[]string{"--coverage-format", "json"}, "--coverage-format needs --coverage-out"},
		{[]string{"--coverage-ignore", "x"}, "--coverage-ignore needs --coverage-out"},
		{[]string{"--coverage-out", filepath.Join(dir, "c.json"), "--coverage-ignore", "nothing.like.it"}, `--coverage-ignore "nothing.like.it" matches no item`},
		{[]string{"--coverage-out", filepath.Join(dir, "no", "such", "dir", "c.json")}, "--coverage-out: open "},
		{[]string{"--poll-min-interval", "0s"}, "--poll-min-interval 0s: must be positive"},
		{[]string{"--poll-after-end", "-1"}, "must be positive"},
	} {
		code, out, _ := runCLI(t, nil, append([]string{"serve", "--addr", "127.0.0.1:0"}, tt.args...)...)
		if code != 2 || !strings.Contains(out, tt.says) {
			t.Errorf("serve %v: exit %d; want 2, saying %q:\n%s", tt.args, code, tt.says, out)
		}
	}
}

// TestCoverageOfASession: --session reads one session's coverage; an unknown or malformed one is exit 2.
func TestCoverageOfASession(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{})
	c := clientplay.New(t, srv)
	c.Session = "suite-b"
	clientplay.Impatient(t, srv) // in the session default
	c.Submit("", "")
	code, out, _ := runCLI(t, nil, "coverage", "--url", srv.URL, "--session", "suite-b", "--fail-on-findings")
	if code != 0 || !strings.HasPrefix(out, "lumamock coverage of session suite-b: 2 of 37 items covered (5.4%); no client discipline finding") {
		t.Errorf("--session suite-b: exit %d:\n%.300s", code, out)
	}
	if code, out, _ := runCLI(t, nil, "coverage", "--url", srv.URL, "--fail-on-findings"); code != 1 {
		t.Errorf("the session default: exit %d:\n%.300s", code, out)
	}
	gone := clientplay.New(t, srv)
	gone.Session = "gone"
	gone.Submit("", "")
	if !srv.Mock.DeleteSession("gone") {
		t.Fatal("session gone was not there to delete")
	}
	for args, says := range map[string]string{
		"nobody": `/__mock/sessions/nobody/coverage: 404: no session "nobody"`,
		"gone":   `/__mock/sessions/gone/coverage: 404: no session "gone"`,
		"a b":    `coverage: --session: session name "a b" has " " at byte 1`,
		"../etc": `coverage: --session: session name "../etc" has "/" at byte 2`,
	} {
		code, out, _ := runCLI(t, nil, "coverage", "--url", srv.URL, "--session", args)
		if code != 2 || !strings.Contains(out, says) {
			t.Errorf("--session %q: exit %d; want 2, saying %q:\n%s", args, code, says, out)
		}
		// An unknown session is no sign of another server.
		if hint := `(no client has used session "` + args + `" on this server, or it was deleted or evicted)`; strings.HasPrefix(says, "/") &&
			(!strings.Contains(out, hint) || strings.Contains(out, "is it a lumamock serve")) {
			t.Errorf("--session %q: %s\nwant the hint %s, and no doubt about the server", args, out, hint)
		}
	}
}

// TestServeCoverageOutOfSessions: --coverage-out writes the coverage of every session a client used, default
// first; with {session} in its name, a file per session.
func TestServeCoverageOutOfSessions(t *testing.T) {
	dir := t.TempDir()
	all, per := filepath.Join(dir, "all.json"), filepath.Join(dir, "cov-{session}.md")
	for _, out := range []string{all, per} {
		url, stderr, stop := startServe(t, nil, "--coverage-out", out)
		for _, session := range []string{"suite-a", "suite-b"} {
			pollIn(t, url, session)
		}
		if err := stop(); err != nil {
			t.Fatalf("serve: %v\n%s", err, stderr)
		}
	}
	if reps := readReports(t, all); len(reps) != 2 || reps[0].Session != "suite-a" || reps[1].Session != "suite-b" || reps[0].Covered != 1 {
		t.Errorf("%s: %+v", all, reps)
	}
	for _, session := range []string{"suite-a", "suite-b"} {
		data, err := os.ReadFile(filepath.Join(dir, "cov-"+session+".md"))
		if err != nil || !strings.HasPrefix(string(data), "## lumamock coverage of session "+session+": 1 of 37 items covered (2.7%)") {
			t.Errorf("the file of %s: %v\n%.200s", session, err, data)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "cov-default.md")); err == nil {
		t.Error("a file for the session default, which no client used")
	}
	code, out, _ := runCLI(t, nil, "serve", "--addr", "127.0.0.1:0", "--coverage-out", filepath.Join(dir, "missing", "{session}.xml"))
	if code != 2 || !strings.Contains(out, "is not a directory") {
		t.Errorf("a {session} path in a missing directory: exit %d\n%s", code, out)
	}
}

// TestServeCoverageOutKeepsDeletedSessions: a session deleted before shutdown (as mocktest.NewSession and the
// TypeScript session.remove() do at the end of a test) is still in --coverage-out, in the one file and in a file
// of its own; a session used again after its deletion gives its file a report per life.
func TestServeCoverageOutKeepsDeletedSessions(t *testing.T) {
	dir := t.TempDir()
	all, per := filepath.Join(dir, "all.json"), filepath.Join(dir, "cov-{session}.json")
	for _, out := range []string{all, per} {
		url, stderr, stop := startServe(t, nil, "--coverage-out", out)
		poll := func(session string) { pollIn(t, url, session) }
		remove := func(session string) {
			req, _ := http.NewRequest(http.MethodDelete, url+"/__mock/sessions/"+session, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNoContent {
				t.Fatalf("DELETE /__mock/sessions/%s: %d", session, resp.StatusCode)
			}
		}
		poll("s1")
		poll("s2")
		remove("s2")
		poll("s3")
		remove("s3")
		poll("s3") // s3 again, a new session of the same name
		if err := stop(); err != nil {
			t.Fatalf("serve: %v\n%s", err, stderr)
		}
	}
	var names []string
	for _, r := range readReports(t, all) {
		names = append(names, r.Session)
		if r.Covered != 1 {
			t.Errorf("%s: session %s covers %d items, want 1", all, r.Session, r.Covered)
		}
	}
	if !slices.Equal(names, []string{"s1", "s2", "s3", "s3"}) {
		t.Errorf("%s holds sessions %v, want [s1 s2 s3 s3]", all, names)
	}
	for session, want := range map[string]int{"s1": 1, "s2": 1, "s3": 2} {
		data, err := os.ReadFile(filepath.Join(dir, "cov-"+session+".json"))
		if err != nil {
			t.Errorf("the file of %s: %v", session, err)
			continue
		}
		var got []coverage.Report
		if want == 1 {
			var one coverage.Report
			err = json.Unmarshal(data, &one)
			got = append(got, one)
		} else {
			err = json.Unmarshal(data, &got)
		}
		if err != nil || len(got) != want || got[0].Session != session {
			t.Errorf("the file of %s: %v, %d reports, want %d:\n%.300s", session, err, len(got), want, data)
		}
	}
}

// readReports reads the coverage reports --coverage-out wrote to one JSON file.
func readReports(t *testing.T, path string) []coverage.Report {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var reps []coverage.Report
	if err := json.Unmarshal(data, &reps); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, data)
	}
	return reps
}

// pollIn polls a task that does not exist, in session, on the serve at url: a request its coverage counts.
func pollIn(t *testing.T, url, session string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url+"/luma/generations/nothing", nil)
	req.Header.Set("Authorization", "Bearer k")
	req.Header.Set("X-Lumamock-Session", session)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

package coverage_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/coverage"
)

var update = flag.Bool("update", false, "rewrite the golden reports in testdata/")

// sampleReport is a report of a client that submitted an envelope task with a hook, polled it too fast, saw it
// complete, and whose hook refused a callback once.
func sampleReport(t testing.TB) coverage.Report {
	t.Helper()
	r := newRecorder(t, coverage.Options{})
	var seq int64
	c := &client{r: r, key: "sk-test-0123456789", seq: &seq}
	tk := c.submit("0b6e5d7c-7e0a-4f5e-9d1b-2f3c4a5b6c7d", 0, 200)
	for range 3 {
		c.wait(200 * time.Millisecond)
		c.poll(tk, "pending")
	}
	c.wait(7 * time.Second)
	c.poll(tk, "completed")
	for i, ev := range []coverage.Callback{
		{Event: 1, State: "processing", Attempt: 1, Status: 200, Outcome: "delivered"},
		{Event: 2, State: "completed", Attempt: 1, Status: 500, Outcome: "retrying"},
		{Event: 2, State: "completed", Attempt: 2, Status: 200, Outcome: "delivered"},
	} {
		ev.Seq, ev.At, ev.Task, ev.Shape, ev.Receiver = int64(i+1), at(time.Duration(2+5*i)*time.Second), tk, lumamock.ShapeEnvelope, "127.0.0.1:9000"
		r.Callback(ev)
	}
	rep := r.Report()
	rep.At = at(10 * time.Second)
	return rep
}

// TestReportFormats: each format of the sample report is its golden file (go test ./coverage -update rewrites
// them).
func TestReportFormats(t *testing.T) {
	rep, err := sampleReport(t).Exclude("*.status.413", "getGeneration.status.406")
	if err != nil {
		t.Fatal(err)
	}
	for format, file := range map[string]string{"text": "report.txt", "json": "report.json", "junit": "report.xml", "markdown": "report.md"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := rep.Write(&buf, format); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", file)
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), buf.String()); diff != "" {
				t.Errorf("%s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

// TestReportJSONRoundTrips: what GET /__mock/coverage answers decodes back into the same Report, which is how
// lumamock coverage reads it.
func TestReportJSONRoundTrips(t *testing.T) {
	rep := sampleReport(t)
	data, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var back coverage.Report
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rep, back); diff != "" {
		t.Errorf("round trip (-sent +read):\n%s", diff)
	}
	if !bytes.Contains(data, []byte(`"thresholds":{"poll_min_interval":"1s","poll_after_end":3,"resubmit_window":"10s"}`)) {
		t.Errorf("thresholds not as documented: %s", data)
	}
}

// JUnit XML as CI tools read it (the de facto schema of Ant's JUnit task, as Jenkins, GitLab and GitHub
// reporters parse it), declared here apart from the writer so that a writer bug cannot hide.
type junitTestsuites struct {
	XMLName    xml.Name         `xml:"testsuites"`
	Tests      int              `xml:"tests,attr"`
	Failures   int              `xml:"failures,attr"`
	Skipped    int              `xml:"skipped,attr"`
	Testsuites []junitTestsuite `xml:"testsuite"`
}

type junitTestsuite struct {
	Name      string          `xml:"name,attr"`
	Tests     int             `xml:"tests,attr"`
	Failures  int             `xml:"failures,attr"`
	Errors    int             `xml:"errors,attr"`
	Skipped   int             `xml:"skipped,attr"`
	Testcases []junitTestcase `xml:"testcase"`
}

type junitTestcase struct {
	Name      string `xml:"name,attr"`
	Classname string `xml:"classname,attr"`
	Failure   *struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Body    string `xml:",chardata"`
	} `xml:"failure"`
	Skipped *struct {
		Message string `xml:"message,attr"`
	} `xml:"skipped"`
}

// TestJUnitIsReadByAJUnitParser: the JUnit report has a test case per item, failing when the item was never
// covered and skipped when it is ignored, and one per finding, failing; the counts add up.
func TestJUnitIsReadByAJUnitParser(t *testing.T) {
	rep, err := sampleReport(t).Exclude("createGeneration.status.413", "resubmitted")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := rep.Write(&buf, "junit"); err != nil {
		t.Fatal(err)
	}
	var got junitTestsuites
	if err := xml.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("not JUnit XML: %v\n%s", err, buf.String())
	}
	if len(got.Testsuites) != 2 {
		t.Fatalf("%d test suites; want coverage and client discipline", len(got.Testsuites))
	}
	items, discipline := got.Testsuites[0], got.Testsuites[1]
	if len(items.Testcases) != len(rep.Items) || items.Tests != len(rep.Items) {
		t.Errorf("%d item test cases (tests=%d); want %d", len(items.Testcases), items.Tests, len(rep.Items))
	}
	failed, skipped := map[string]bool{}, map[string]bool{}
	for _, tc := range items.Testcases {
		if tc.Failure != nil {
			failed[tc.Name] = true
			if !strings.Contains(tc.Failure.Body, "how to cover it") {
				t.Errorf("%s: the failure does not say how to cover it: %q", tc.Name, tc.Failure.Body)
			}
		}
		if tc.Skipped != nil {
			skipped[tc.Name] = true
		}
	}
	for _, name := range rep.Missing {
		if !failed[name] {
			t.Errorf("%s is missing but its test case passes", name)
		}
	}
	if len(failed) != len(rep.Missing) || items.Failures != len(rep.Missing) {
		t.Errorf("%d failing item cases (failures=%d); want %d", len(failed), items.Failures, len(rep.Missing))
	}
	if !skipped["createGeneration.status.413"] || len(skipped) != 1 || items.Skipped != 1 {
		t.Errorf("skipped %v (skipped=%d); want createGeneration.status.413", skipped, items.Skipped)
	}
	var findings []junitTestcase
	for _, tc := range discipline.Testcases {
		if tc.Failure != nil {
			findings = append(findings, tc)
		}
	}
	if len(findings) != len(rep.Findings) || discipline.Failures != len(rep.Findings) {
		t.Fatalf("%d failing discipline cases (failures=%d); want %d", len(findings), discipline.Failures, len(rep.Findings))
	}
	for i, f := range rep.Findings {
		if findings[i].Failure.Type != f.Kind || findings[i].Failure.Message != f.Message || !strings.Contains(findings[i].Failure.Body, f.Advice) {
			t.Errorf("finding %d: %+v; want %s %q", i, findings[i].Failure, f.Kind, f.Message)
		}
	}
	// A failing case per finding (poll-too-fast, hook-not-acknowledged), a passing one per kind without any, the
	// ignored kind skipped.
	var passing []string
	for _, tc := range discipline.Testcases {
		if tc.Failure == nil && tc.Skipped == nil {
			passing = append(passing, tc.Name)
		}
	}
	if diff := cmp.Diff([]string{"retry-after-ignored", "poll-after-end"}, passing); diff != "" || discipline.Tests != 5 || discipline.Skipped != 1 {
		t.Errorf("%d discipline cases, %d skipped; passing (-want +got):\n%s", discipline.Tests, discipline.Skipped, diff)
	}
	if got.Tests != items.Tests+discipline.Tests || got.Failures != items.Failures+discipline.Failures || got.Skipped != items.Skipped+discipline.Skipped {
		t.Errorf("totals %d/%d/%d do not add up", got.Tests, got.Failures, got.Skipped)
	}
}

// TestExclude: patterns exclude items and finding kinds from the counts, the report says so, and a pattern that
// matches nothing is an error.
func TestExclude(t *testing.T) {
	rep := sampleReport(t)
	total, covered := rep.Total, rep.Covered
	ex, err := rep.Exclude("*.fault.*", "createGeneration.status.4*", "poll-too-fast")
	if err != nil {
		t.Fatal(err)
	}
	wantIgnored := []string{
		"notifyGeneration.fault.duplicate", "notifyGeneration.fault.drop", "notifyGeneration.fault.reorder", "notifyGeneration.fault.late",
		"createGeneration.status.400", "createGeneration.status.401", "createGeneration.status.406", "createGeneration.status.413",
		"createGeneration.status.415", "createGeneration.status.429", "poll-too-fast",
	}
	if diff := cmp.Diff(wantIgnored, ex.Ignored); diff != "" {
		t.Errorf("ignored (-want +got):\n%s", diff)
	}
	if ex.Total != total-10 || ex.Covered != covered {
		t.Errorf("%d of %d after excluding; want %d of %d", ex.Covered, ex.Total, covered, total-10)
	}
	for _, f := range ex.Findings {
		if f.Kind == "poll-too-fast" {
			t.Errorf("an ignored finding is listed: %+v", f)
		}
	}
	if ex.FindingCount() != rep.FindingCount()-rep.Totals["poll-too-fast"] {
		t.Errorf("%d findings counted after excluding poll-too-fast, of %d", ex.FindingCount(), rep.FindingCount())
	}
	if rep.Total != total || len(rep.Ignored) != 0 {
		t.Error("Exclude changed the report it was called on")
	}
	for _, bad := range []string{"createGeneration.status.418", "[", "poll-too-slow"} {
		if _, err := rep.Exclude(bad); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("Exclude(%q): %v; want an error naming it", bad, err)
		}
	}
}

// TestPercentAndBelow: the percentage is never rounded up to 100, and Below compares the counts.
func TestPercentAndBelow(t *testing.T) {
	rep := sampleReport(t)
	var all []string
	for _, it := range rep.Items[1:] {
		all = append(all, it.Name)
	}
	one, err := rep.Exclude(all...) // only createGeneration.status.200 counts: covered
	if err != nil {
		t.Fatal(err)
	}
	if one.Percent != 100 || one.Below(100) {
		t.Errorf("1 of 1: %v%%, below 100 %v", one.Percent, one.Below(100))
	}
	items := make([]coverage.Item, 1000)
	for i := range items {
		items[i] = coverage.Item{Name: "x", Covered: i > 0}
	}
	many, err := coverage.Report{Items: items}.Exclude("x") // all ignored: 100
	if err != nil || many.Percent != 100 || many.Total != 0 || many.Below(100) {
		t.Errorf("nothing counted: %v%% of %d, %v", many.Percent, many.Total, err)
	}
	if rep.Below(rep.Percent) || !rep.Below(rep.Percent+0.1) || rep.Below(0) {
		t.Errorf("Below around %v%% is wrong", rep.Percent)
	}
}

// TestUnknownFormat is an error naming the formats.
func TestUnknownFormat(t *testing.T) {
	err := sampleReport(t).Write(&bytes.Buffer{}, "html")
	if err == nil || !strings.Contains(err.Error(), "text, json, junit, markdown") {
		t.Fatalf("Write(html): %v", err)
	}
	for name, want := range map[string]string{"c.json": "json", "c.xml": "junit", "c.MD": "markdown", "c.txt": "text", "c": "text"} {
		if got := coverage.FormatOf(name); got != want {
			t.Errorf("FormatOf(%s) = %s; want %s", name, got, want)
		}
	}
}

// TestWriteAll: several sessions' reports in one file: JUnit suites named after each session, a JSON array, texts
// one after the other.
func TestWriteAll(t *testing.T) {
	a, b := sampleReport(t), sampleReport(t)
	a.Session, b.Session = "default", "suite-b"
	var buf bytes.Buffer
	if err := coverage.WriteAll(&buf, "junit", []coverage.Report{a, b}); err != nil {
		t.Fatal(err)
	}
	var j junitTestsuites
	if err := xml.Unmarshal(buf.Bytes(), &j); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range j.Testsuites {
		names = append(names, s.Name)
	}
	if diff := cmp.Diff([]string{"session default: coverage", "session default: client discipline", "session suite-b: coverage",
		"session suite-b: client discipline"}, names); diff != "" || j.Tests != 2*(len(a.Items)+5) {
		t.Errorf("suites (-want +got):\n%s\ntests %d", diff, j.Tests)
	}
	buf.Reset()
	if err := coverage.WriteAll(&buf, "json", []coverage.Report{a, b}); err != nil {
		t.Fatal(err)
	}
	var back []coverage.Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil || len(back) != 2 || back[1].Session != "suite-b" {
		t.Errorf("json: %v, %d reports", err, len(back))
	}
	buf.Reset()
	if err := coverage.WriteAll(&buf, "text", []coverage.Report{a, b}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "lumamock coverage: ") || !strings.Contains(buf.String(), "\nlumamock coverage of session suite-b: ") {
		t.Errorf("text:\n%.300s", buf.String())
	}
	if err := coverage.WriteAll(&buf, "yaml", nil); err == nil {
		t.Error("WriteAll(yaml) did not fail")
	}
}

// FuzzExclude: whatever the patterns, Exclude fails or returns a report whose counts add up, each pattern
// listed, and the report it was called on unchanged.
func FuzzExclude(f *testing.F) {
	for _, p := range []string{"*.fault.*", "createGeneration.status.4*", "poll-too-fast", "[", "", "*", "outcome.?ailed", `\`} {
		f.Add(p)
	}
	base := sampleReport(f)
	f.Fuzz(func(t *testing.T, pattern string) {
		total := base.Total
		rep, err := base.Exclude(pattern)
		if base.Total != total || len(base.Ignored) != 0 {
			t.Fatal("Exclude changed the report it was called on")
		}
		if err != nil {
			if !strings.Contains(err.Error(), strconv.Quote(pattern)) {
				t.Fatalf("Exclude(%q): %v does not name the pattern", pattern, err)
			}
			return
		}
		ignored := 0
		for _, it := range rep.Items {
			if it.Ignored {
				ignored++
			}
		}
		if rep.Total+ignored != len(rep.Items) || rep.Covered > rep.Total || len(rep.Missing) != rep.Total-rep.Covered || len(rep.Ignored) == 0 ||
			len(rep.Ignore) != 1 || rep.Percent < 0 || rep.Percent > 100 {
			t.Fatalf("Exclude(%q): %d of %d covered, %d ignored, %d missing, %v%%", pattern, rep.Covered, rep.Total, ignored, len(rep.Missing), rep.Percent)
		}
	})
}

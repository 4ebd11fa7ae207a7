package check

import (
	"bytes"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/contract"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// sampleReport is a fixed report with one finding of each class, an accepted one and a skipped case. The
// secret hides in a finding, so the golden files also prove redaction.
func sampleReport() *Report {
	fs := []contract.Finding{
		contract.NewFinding(contract.CheckBody, contract.KindMissingRequired, "/data/task_status", "one of [pending processing completed failed]", "absent", `property "task_status" is missing`),
		contract.NewFinding(contract.CheckBody, contract.KindUndocumentedField, "/data/status", "no such field", `"pending"`, `field "status" is not in the document`),
		contract.NewFinding(CheckEnforcement, contract.KindAcceptsInvalid, "/user_prompt", "status 400", "200", "the API accepted a request the document forbids"),
		contract.NewFinding("poll."+contract.CheckTime, contract.KindSlow, "", "at most 5s", "7.2s", "the answer took longer than the slow threshold (key sk-golden-secret)"),
	}
	fs = append(finalize("create-source-example", fs[:2]), finalize("empty-user_prompt", fs[2:3])...)
	fs = append(fs, finalize("create-source-example", []contract.Finding{contract.NewFinding("poll."+contract.CheckTime, contract.KindSlow, "", "at most 5s", "7.2s", "slow (key sk-golden-secret)")})...)
	fs[len(fs)-1].Accepted = true
	slices.SortStableFunc(fs, contract.Compare)
	return &Report{
		Target: "https://proxy.example.com", Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Duration: "1.234s",
		Answered: 2,
		Facts:    []Fact{{"response shape", "envelope ×3"}, {"error shape", "envelope ×1"}, {"required-reading", "not probed"}},
		Cases: []CaseResult{
			{Name: "empty-user_prompt", Description: "user_prompt is an empty string", Request: "POST /luma/generations", Status: 200, Answered: true, Duration: "12ms", Checks: []string{contract.CheckStatus, contract.CheckBody, CheckEnforcement}},
			{Name: "create-source-example", Description: "the document's example request", Billable: true, Request: "POST /luma/generations", Status: 200, Answered: true, Duration: "80ms",
				Checks: []string{contract.CheckStatus, contract.CheckBody, CheckLifecycle}, TaskID: "t-1", States: []lumamock.TaskState{"pending", "completed"}},
			{Name: "create-required-only", Billable: true, Request: "POST /luma/generations", Skipped: "billable: creates a real task; allow it with --billable N", Checks: []string{contract.CheckStatus}},
		},
		Findings: fs,
		secrets:  []string{"sk-golden-secret"},
	}
}

func TestReportGolden(t *testing.T) {
	rep := sampleReport()
	if got := rep.ExitCode(); got != ExitDrift {
		t.Errorf("ExitCode = %d, want %d", got, ExitDrift)
	}
	for _, format := range Formats() {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := rep.Write(&buf, format); err != nil {
				t.Fatal(err)
			}
			got := buf.String()
			if strings.Contains(got, "sk-golden-secret") {
				t.Errorf("the secret appears in the %s report", format)
			}
			if format == "junit" {
				var v any
				if err := xml.Unmarshal(buf.Bytes(), &v); err != nil {
					t.Errorf("junit is not XML: %v", err)
				}
			}
			path := filepath.Join("testdata", "report."+format)
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./contract -update)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("%s report (-want +got):\n%s", format, diff)
			}
		})
	}
	if err := rep.Write(&bytes.Buffer{}, "yaml"); err == nil {
		t.Error("unknown format: want an error")
	}
}

func TestExitCodes(t *testing.T) {
	answered := CaseResult{Name: "a", Answered: true}
	tests := []struct {
		name string
		rep  Report
		want int
	}{
		{"no drift", Report{Answered: 1, Cases: []CaseResult{answered}}, ExitOK},
		{"drift", Report{Answered: 1, Cases: []CaseResult{answered}, Findings: []contract.Finding{{Kind: contract.KindSlow}}}, ExitDrift},
		{"drift accepted", Report{Answered: 1, Cases: []CaseResult{answered}, Findings: []contract.Finding{{Kind: contract.KindSlow, Accepted: true}}}, ExitOK},
		{"nothing answered", Report{Cases: []CaseResult{{Name: "a"}}, Findings: []contract.Finding{{Kind: contract.KindUnreachable}}}, ExitNotChecked},
	}
	for _, tt := range tests {
		if got := tt.rep.ExitCode(); got != tt.want {
			t.Errorf("%s: ExitCode = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestFindingIDsAreStable(t *testing.T) {
	f := contract.Finding{Case: "create-source-example", Check: "poll.body", Kind: contract.KindUndocumentedField, Pointer: "/data/x"}
	if got, want := f.Key(), "create-source-example.poll.body.undocumented-field#/data/x"; got != want {
		t.Errorf("Key() = %q, want %q", got, want)
	}
}

package diff

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sampleReport is a fixed report with a finding of each class, a settled one and an accepted one, failing on
// warning.
func sampleReport(t *testing.T) *Report {
	t.Helper()
	return &Report{Base: "main:openapi.yaml", Revision: "openapi.yaml", FailOn: Warning, Findings: []Finding{
		{ID: "request-property-required-added#/components/schemas/GenerationRequest/properties/seed", Rule: "request-property-required-added", Class: Breaking,
			Pointer: "/components/schemas/GenerationRequest/properties/seed", In: InRevision, Where: []string{"POST /luma/generations request"},
			Reason: "a new required field GenerationRequest.seed: clients that do not send it are refused", File: "openapi.yaml", Line: 240},
		{ID: "response-enum-value-added#/components/schemas/Generation/properties/kind/enum@audio", Rule: "response-enum-value-added", Class: Warning,
			Pointer: "/components/schemas/Generation/properties/kind/enum", In: InRevision, Subject: "audio", Where: []string{"GET /luma/generations/{task_id} 200", "POST /luma/generations 200"},
			Reason: `Generation.kind may be "audio": clients switching on its value meet one they do not know`, File: "openapi.yaml", Line: 401},
		{ID: "response-property-added#/components/schemas/TaskData/properties/eta", Rule: "response-property-added", Class: Info,
			Pointer: "/components/schemas/TaskData/properties/eta", In: InRevision, Reason: "a new field TaskData.eta", File: "openapi.yaml", Line: 377},
		{ID: "lifecycle-transition-added#/components/schemas/TaskState/x-transitions/pending@pending → completed", Rule: "lifecycle-transition-added", Class: Warning,
			Pointer: "/components/schemas/TaskState/x-transitions/pending", In: InRevision, Subject: "pending → completed", Accepted: true,
			Reason: "a task may move pending → completed: clients that check moves refuse it", File: "openapi.yaml", Line: 327},
		{ID: "known-settled#/components/schemas/TaskResponse/x-settled/shape", Rule: "known-settled", Class: Info, Settled: "/components/schemas/TaskResponse/x-settled/shape",
			Pointer: "/components/schemas/TaskResponse/x-settled/shape", In: InBase,
			Reason: "known, settled: the page's schema is TaskEnvelope while its example is Generation | either is valid"},
	}}
}

func TestReportGolden(t *testing.T) {
	r := sampleReport(t)
	if got := r.ExitCode(); got != ExitChanged {
		t.Errorf("ExitCode = %d, want %d", got, ExitChanged)
	}
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := r.Write(&buf, format); err != nil {
				t.Fatal(err)
			}
			switch format {
			case "json":
				var v map[string]any
				if err := json.Unmarshal(buf.Bytes(), &v); err != nil {
					t.Errorf("json: %v", err)
				}
			case "junit":
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
				t.Fatalf("%v (run go test ./contract/diff -update)", err)
			}
			if diff := cmp.Diff(string(want), buf.String()); diff != "" {
				t.Errorf("%s report (-want +got):\n%s", format, diff)
			}
		})
	}
	if err := r.Write(&bytes.Buffer{}, "yaml"); err == nil {
		t.Error("unknown format: want an error")
	}
}

func TestExitCodes(t *testing.T) {
	f := func(class Class, settled string, accepted bool) Finding {
		return Finding{Class: class, Settled: settled, Accepted: accepted}
	}
	tests := []struct {
		name     string
		failOn   Class
		findings []Finding
		want     int
	}{
		{"nothing", "", nil, ExitOK},
		{"breaking, default", "", []Finding{f(Breaking, "", false)}, ExitChanged},
		{"warning, default", "", []Finding{f(Warning, "", false)}, ExitOK},
		{"warning, fail on warning", Warning, []Finding{f(Warning, "", false)}, ExitChanged},
		{"info, fail on warning", Warning, []Finding{f(Info, "", false)}, ExitOK},
		{"info, fail on info", Info, []Finding{f(Info, "", false)}, ExitChanged},
		{"settled breaking", Info, []Finding{f(Breaking, "/x-settled", false)}, ExitOK},
		{"accepted breaking", "", []Finding{f(Breaking, "", true)}, ExitOK},
	}
	for _, tc := range tests {
		r := &Report{FailOn: tc.failOn, Findings: tc.findings}
		if got := r.ExitCode(); got != tc.want {
			t.Errorf("%s: exit %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestGitHubEscaping: workflow commands escape what would end or split them.
func TestGitHubEscaping(t *testing.T) {
	r := &Report{Findings: []Finding{{Rule: "r", Class: Breaking, File: "a,b:c.yaml", Line: 3, Reason: "50% done\nnext", Pointer: "/x"}}}
	var buf bytes.Buffer
	if err := r.Write(&buf, "github"); err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(buf.String(), "\n")
	if want := "::error file=a%2Cb%3Ac.yaml,line=3,title=breaking%3A r::50%25 done%0Anext (/x, )"; first != want {
		t.Errorf("got  %s\nwant %s", first, want)
	}
}

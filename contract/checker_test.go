package contract_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/contract"
)

func newChecker(tb testing.TB) *contract.Checker {
	tb.Helper()
	c, err := contract.NewChecker(lumamock.MustLoad(), contract.CheckerOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func TestCheckRequestNamesEachViolation(t *testing.T) {
	req, _ := http.NewRequest(http.MethodPost, "http://api.example.com/luma/generations", nil)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer k")
	got, err := newChecker(t).CheckRequest(context.Background(), req, []byte(`{"user_prompt":"","resolution":"4k","loop":"yes"}`))
	if err != nil {
		t.Fatal(err)
	}
	var pointers []string
	for _, f := range got {
		pointers = append(pointers, f.Pointer)
	}
	slices.Sort(pointers)
	if diff := cmp.Diff([]string{"/loop", "/resolution", "/user_prompt"}, pointers); diff != "" {
		t.Errorf("pointers (-want +got):\n%s", diff)
	}
	if _, err := newChecker(t).CheckRequest(context.Background(), mustRequest(t, "DELETE", "/luma/generations"), nil); err == nil ||
		!strings.Contains(err.Error(), "no operation") {
		t.Errorf("DELETE: err %v, want ErrUnknownOperation", err)
	}
}

func mustRequest(tb testing.TB, method, path string) *http.Request {
	tb.Helper()
	req, err := http.NewRequest(method, "http://api.example.com"+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return req
}

// TestNamesTheCheckerReadsExist proves the component schemas and fields the checker names are in the document.
func TestNamesTheCheckerReadsExist(t *testing.T) {
	doc := lumamock.MustLoad()
	for name, path := range map[string][]string{
		"TaskEnvelope": {"data"}, "Generation": {"id", "state", "failure_reason"}, "TaskData": {"task_id", "task_status", "failure_reason"},
		"LumaError": {"detail", "request_id"}, "EnvelopeError": {"code", "message", "request_id"},
	} {
		s := doc.Components.Schemas[name]
		if s == nil {
			t.Errorf("schema %s not in the document", name)
			continue
		}
		for _, p := range path {
			if s.Value.Properties[p] == nil {
				t.Errorf("%s has no property %s", name, p)
			}
		}
	}
	if doc.Components.Headers["X-Request-Id"] == nil {
		t.Error("header X-Request-Id not in the document")
	}
	for _, ref := range []string{"Generation", "TaskData"} {
		var state string
		for name, p := range doc.Components.Schemas[ref].Value.Properties {
			if p.Ref == "#/components/schemas/TaskState" {
				state = name
			}
		}
		if want := map[string]string{"Generation": "state", "TaskData": "task_status"}[ref]; state != want {
			t.Errorf("%s: the TaskState field is %q, want %q", ref, state, want)
		}
	}
}

func TestEveryKindHasAClass(t *testing.T) {
	kinds := []contract.Kind{
		contract.KindMissingRequired, contract.KindTypeChanged, contract.KindConstraint, contract.KindUndocumentedStatus,
		contract.KindErrorShape, contract.KindShapeInconsistent, contract.KindIllegalTransition, contract.KindInitialState,
		contract.KindIDMismatch, contract.KindMissingAsset, contract.KindCallbackMissing, contract.KindCallbackOrder,
		contract.KindCallbackDisagrees, contract.KindFixtureRemoved, contract.KindFixtureTypeChanged,
		contract.KindFixtureValueChanged, contract.KindFixtureStatusChanged,
		contract.KindUndocumentedField, contract.KindNewEnumValue, contract.KindFixtureAdded,
		contract.KindAcceptsInvalid, contract.KindRejectsValid, contract.KindUnexpectedStatus, contract.KindInvalidRequest,
	}
	wantClass := []contract.Class{}
	for range 17 {
		wantClass = append(wantClass, contract.Breaking)
	}
	for range 3 {
		wantClass = append(wantClass, contract.Additive)
	}
	for range 4 {
		wantClass = append(wantClass, contract.Validation)
	}
	for i, k := range kinds {
		if got := k.Class(); got != wantClass[i] {
			t.Errorf("%s.Class() = %s, want %s", k, got, wantClass[i])
		}
	}
}

// TestCheckFinished holds finished tasks from the golden answers, and the same with a field taken away, to what
// the document says a finished task carries.
func TestCheckFinished(t *testing.T) {
	tests := []struct {
		name    string
		fixture string
		edit    func(body map[string]any)
		want    []string // pointers of missing-asset findings
	}{
		{"completed envelope", "source-example.completed.envelope.json", nil, nil},
		{"completed luma", "source-example.completed.luma.json", nil, nil},
		{"failed envelope", "source-example.failed.envelope.json", nil, nil},
		{"failed luma", "source-example.failed.luma.json", nil, nil},
		{"pending: nothing to carry", "source-example.pending.envelope.json", nil, nil},
		{"completed envelope without video", "source-example.completed.envelope.json",
			func(b map[string]any) { delete(b["data"].(map[string]any), "video") }, []string{"/data/video"}},
		{"completed luma with null thumbnail and video_raw", "source-example.completed.luma.json",
			func(b map[string]any) { b["thumbnail"], b["video_raw"] = nil, nil }, []string{"/thumbnail", "/video_raw"}},
		{"failed envelope without a reason", "source-example.failed.envelope.json",
			func(b map[string]any) { delete(b["data"].(map[string]any), "failure_reason") }, []string{"/data/failure_reason"}},
		{"failed luma with an empty reason", "source-example.failed.luma.json",
			func(b map[string]any) { b["failure_reason"] = "" }, []string{"/failure_reason"}},
	}
	checker := newChecker(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("..", "fixtures", tt.fixture))
			if err != nil {
				t.Fatal(err)
			}
			if tt.edit != nil {
				var body map[string]any
				if err := json.Unmarshal(data, &body); err != nil {
					t.Fatal(err)
				}
				tt.edit(body)
				if data, err = json.Marshal(body); err != nil {
					t.Fatal(err)
				}
			}
			res := checker.CheckCallback(http.Header{"Content-Type": {"application/json"}}, data)
			if res.Task == nil {
				t.Fatalf("no task read from %s", tt.fixture)
			}
			var got []string
			for _, f := range checker.CheckFinished(res) {
				if f.Kind != contract.KindMissingAsset || f.Class != contract.Breaking || f.Check != contract.CheckAssets {
					t.Errorf("finding %+v: want a breaking missing-asset of check assets", f)
				}
				got = append(got, f.Pointer)
			}
			slices.Sort(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("pointers (-want +got):\n%s", diff)
			}
		})
	}
	if got := checker.CheckFinished(contract.Result{}); got != nil {
		t.Errorf("a result without a task: %v", got)
	}
}

func TestTaskPointers(t *testing.T) {
	for _, tt := range []struct{ schema, id, state string }{
		{"TaskEnvelope", "/data/task_id", "/data/task_status"},
		{"Generation", "/id", "/state"},
		{"LumaError", "", ""},
		{"", "", ""},
	} {
		if id, state := contract.TaskPointers(tt.schema); id != tt.id || state != tt.state {
			t.Errorf("TaskPointers(%q) = %q, %q; want %q, %q", tt.schema, id, state, tt.id, tt.state)
		}
	}
}

// TestCompareOrdersBySeverity: reports list breaking drift first, then validation, additive and transport.
func TestCompareOrdersBySeverity(t *testing.T) {
	fs := []contract.Finding{
		contract.NewFinding("time", contract.KindSlow, "", "", "", ""),
		contract.NewFinding("body", contract.KindUndocumentedField, "/b", "", "", ""),
		contract.NewFinding("body", contract.KindUndocumentedField, "/a", "", "", ""),
		contract.NewFinding("enforcement", contract.KindAcceptsInvalid, "", "", "", ""),
		contract.NewFinding("body", contract.KindMissingRequired, "", "", "", ""),
	}
	slices.SortStableFunc(fs, contract.Compare)
	var got []string
	for _, f := range fs {
		got = append(got, string(f.Class)+" "+f.Pointer)
	}
	want := []string{"breaking ", "validation ", "additive /a", "additive /b", "transport "}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

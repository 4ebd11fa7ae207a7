package lumamock_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/lumamock/lumamock"
)

// TestViolationOfAHugeNumber: a number no float64 holds (1e999) is named as what is wrong with it, not with
// kin-openapi's "cannot convert json.Number to float64".
func TestViolationOfAHugeNumber(t *testing.T) {
	for _, tt := range []struct {
		schema *openapi3.Schema
		want   string
	}{
		{openapi3.NewBoolSchema(), "value must be a boolean"},
		{openapi3.NewIntegerSchema(), "the number 1e999 is out of range"},
		{openapi3.NewFloat64Schema(), "the number 1e999 is out of range"},
	} {
		err := tt.schema.VisitJSON(json.Number("1e999"))
		vs := lumamock.Violations(err)
		if len(vs) != 1 || vs[0].Message != tt.want || vs[0].Rule != "type" {
			t.Errorf("%s schema: %+v (err %v), want one type violation %q", tt.schema.Type.Slice(), vs, err, tt.want)
		}
	}
}

// TestBranchPicksTheMatchingOrClosestBranch: a task body is judged by the TaskResponse branch it matches, or by
// the one it breaks least; a schema without branches is its own.
func TestBranchPicksTheMatchingOrClosestBranch(t *testing.T) {
	doc := lumamock.MustLoad()
	task := doc.Components.Schemas["TaskResponse"]
	envelope := map[string]any{"code": 200.0, "message": "success", "request_id": "r",
		"data": map[string]any{"task_id": "t", "task_status": "pending", "created_at": 1.0, "updated_at": 1.0}}
	brokenEnvelope := map[string]any{"code": 200.0, "message": "success", "request_id": "r",
		"data": map[string]any{"task_id": "t", "task_status": "no-such-state", "created_at": 1.0, "updated_at": 1.0}}
	var generation any
	wait := 3
	data, _ := json.Marshal(lumamock.Generation{ID: "g", Prompt: "p", State: lumamock.StatePending, EstimateWaitSeconds: &wait})
	if err := json.Unmarshal(data, &generation); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		ref        *openapi3.SchemaRef
		value      any
		branch     string
		violations bool
	}{
		{"an envelope", task, envelope, "TaskEnvelope", false},
		{"a broken envelope", task, brokenEnvelope, "TaskEnvelope", true},
		{"a generation", task, generation, "Generation", false},
		{"no branches", doc.Components.Schemas["TaskState"], "pending", "", false},
		{"no branches, broken", doc.Components.Schemas["TaskState"], "no-such-state", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, vs := lumamock.Branch(tt.ref, tt.value)
			if b == nil {
				t.Fatal("no branch")
			}
			if tt.branch != "" && !strings.HasSuffix(b.Ref, "/"+tt.branch) {
				t.Errorf("branch %q, want %s", b.Ref, tt.branch)
			}
			if tt.branch == "" && b != tt.ref {
				t.Errorf("branch %q, want the schema itself", b.Ref)
			}
			if (len(vs) > 0) != tt.violations {
				t.Errorf("violations %v, want some: %v", vs, tt.violations)
			}
		})
	}
	if b, vs := lumamock.Branch(nil, 1); b != nil || vs != nil {
		t.Errorf("lumamock.Branch(nil) = %v, %v", b, vs)
	}
}

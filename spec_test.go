package lumamock_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"

	"github.com/lumamock/lumamock"
)

func TestDocumentValidates(t *testing.T) {
	doc, err := lumamock.LoadDocument(context.Background(), lumamock.Document)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("doc.Validate: %v", err)
	}
}

func TestLoadFileRejectsInvalidDocument(t *testing.T) {
	path := t.TempDir() + "/bad.yaml"
	if _, err := lumamock.LoadFile(context.Background(), path); err == nil {
		t.Fatal("LoadFile of a missing file: want an error")
	}
	bad := []byte("openapi: 3.0.3\ninfo: {title: x}\npaths: {}\n") // info.version missing
	if _, err := lumamock.LoadDocument(context.Background(), bad); err == nil {
		t.Fatal("LoadDocument of a document without info.version: want an error")
	}
	// An example that breaks its schema: the error names the value and the rule in one line, without
	// kin-openapi's dump of the schema; the details stay available through errors.As.
	broken := bytes.Replace(lumamock.Document, []byte("                  duration: 5s\n"), []byte("                  duration: 10s\n"), 1)
	_, err := lumamock.LoadDocument(context.Background(), broken)
	if err == nil || !strings.Contains(err.Error(), `"/duration": value is not one of the allowed values`) ||
		strings.Contains(err.Error(), "\n") {
		t.Errorf("LoadDocument of an invalid example: %v", err)
	}
	var se *openapi3.SchemaError
	if !errors.As(err, &se) {
		t.Errorf("the schema error is not reachable with errors.As: %v", err)
	}
}

func TestRoutedNamesExistInDocument(t *testing.T) {
	doc := lumamock.MustLoad()
	for _, field := range []string{lumamock.FieldUserPrompt, lumamock.FieldResolution, lumamock.FieldNotifyHook} {
		if doc.Components.Schemas["GenerationRequest"].Value.Properties[field] == nil {
			t.Errorf("GenerationRequest has no property %q", field)
		}
	}
	create := doc.Paths.Value(lumamock.PathGenerations)
	if create == nil || create.Post == nil || create.Post.OperationID != lumamock.OpCreate {
		t.Fatalf("POST %s with operationId %s not in document", lumamock.PathGenerations, lumamock.OpCreate)
	}
	get := doc.Paths.Value(lumamock.PathGeneration)
	if get == nil || get.Get == nil || get.Get.OperationID != lumamock.OpGet {
		t.Fatalf("GET %s with operationId %s not in document", lumamock.PathGeneration, lumamock.OpGet)
	}
	if create.Post.Callbacks[lumamock.CallbackNotify] == nil {
		t.Fatalf("callback %q not declared on %s", lumamock.CallbackNotify, lumamock.OpCreate)
	}
}

// TestSourceRequiredListKept proves the export's literal required list survives as x-source-required while only
// user_prompt is required (SPEC.md point 1).
func TestSourceRequiredListKept(t *testing.T) {
	s := schema(t, "GenerationRequest")
	if diff := cmp.Diff([]string{"user_prompt"}, s.Required); diff != "" {
		t.Errorf("required (-want +got):\n%s", diff)
	}
	raw, ok := s.Extensions["x-source-required"].([]any)
	if !ok || len(raw) != 9 {
		t.Fatalf("x-source-required = %v, want the nine fields of the export", s.Extensions["x-source-required"])
	}
	for _, name := range raw {
		if s.Properties[name.(string)] == nil {
			t.Errorf("x-source-required names %v, which is not a property", name)
		}
	}
}

func TestStatesMatchDocument(t *testing.T) {
	s := schema(t, "TaskState")
	var enum []string
	for _, v := range s.Enum {
		enum = append(enum, v.(string))
	}
	goStates := []string{string(lumamock.StatePending), string(lumamock.StateProcessing), string(lumamock.StateCompleted), string(lumamock.StateFailed)}
	if diff := cmp.Diff(enum, goStates); diff != "" {
		t.Errorf("TaskState enum vs Go constants (-doc +go):\n%s", diff)
	}
	transitions := s.Extensions["x-transitions"].(map[string]any)
	for _, from := range goStates {
		allowed := transitions[from].([]any)
		for _, to := range goStates {
			want := slices.Contains(allowed, any(to))
			if got := lumamock.TaskState(from).CanBecome(lumamock.TaskState(to)); got != want {
				t.Errorf("%s.CanBecome(%s) = %v, document says %v", from, to, got, want)
			}
		}
		wantTerminal := slices.Contains(s.Extensions["x-terminal"].([]any), any(from))
		if got := lumamock.TaskState(from).Terminal(); got != wantTerminal {
			t.Errorf("%s.Terminal() = %v, document says %v", from, got, wantTerminal)
		}
	}
}

// TestGoTypesMatchSchemas proves each Go type names exactly the properties of its schema, and that values of
// the types validate against the schema.
func TestGoTypesMatchSchemas(t *testing.T) {
	created := time.Date(2024, 12, 22, 13, 38, 40, 139409000, time.UTC)
	str := func(s string) *string { return &s }
	boolean := func(b bool) *bool { return &b }
	video := &lumamock.Video{URL: "https://cdn.example.com/v.mp4", DownloadURL: "https://cdn.example.com/v.mp4?download=1", Width: 1280, Height: 720}
	image := &lumamock.Image{URL: "https://cdn.example.com/t.jpg", Width: 1280, Height: 720}
	tests := []struct {
		schema string
		value  any
	}{
		{"GenerationRequest", lumamock.GenerationRequest{
			UserPrompt: "wind", ExpandPrompt: boolean(true), Loop: boolean(false),
			ImageURL: str("https://example.com/a.png"), ImageEndURL: str("data:image/png;base64,iVBORw0KGgo="),
			NotifyHook: str("http://127.0.0.1:9/hook"), Resolution: str("1080p"), Duration: str("5s"), ModelName: str("ray-v1"),
		}},
		{"TaskEnvelope", lumamock.TaskEnvelope{Code: 200, Message: "success", RequestID: "r1", Data: lumamock.TaskData{
			TaskID: "t1", TaskStatus: lumamock.StateCompleted, CreatedAt: created.Unix(), UpdatedAt: created.Unix() + 7,
			Video: video, VideoRaw: video, Thumbnail: image, LastFrame: image, FailureReason: str("x"),
		}}},
		{"Generation", lumamock.Generation{
			ID: "4665a07c-7641-4809-a133-10786201bb56", State: lumamock.StatePending, CreatedAt: lumamock.LumaTime{Time: created},
			QueueState: str("queued"), Video: video, VideoRaw: video, Liked: boolean(true), Thumbnail: image, LastFrame: image,
			FailureReason: str("x"), EstimateWaitSeconds: new(int),
		}},
		{"Video", video},
		{"Image", image},
		{"LumaError", lumamock.LumaError{Detail: lumamock.ErrorDetail{Reason: "bad", Code: 400}, RequestID: "r",
			Errors: []lumamock.Violation{{In: "body", Field: "/user_prompt", Rule: "required", Message: "m"}}}},
		{"ErrorDetail", lumamock.ErrorDetail{Reason: "bad", Code: 1}},
		{"EnvelopeError", lumamock.EnvelopeError{Code: 429, Message: "slow down", RequestID: "r",
			Errors: []lumamock.Violation{{In: "header", Field: "Accept", Rule: "media-type", Message: "m"}}}},
		{"Violation", lumamock.Violation{In: "query", Field: "x", Rule: "type", Message: "m"}},
	}
	for _, tt := range tests {
		t.Run(tt.schema, func(t *testing.T) {
			s := schema(t, tt.schema)
			var props []string
			for name := range s.Properties {
				props = append(props, name)
			}
			sort.Strings(props)
			if diff := cmp.Diff(props, jsonFields(reflect.TypeOf(tt.value))); diff != "" {
				t.Errorf("schema properties vs Go json fields (-schema +go):\n%s", diff)
			}
			if err := s.VisitJSON(roundTrip(t, tt.value)); err != nil {
				t.Errorf("value does not validate: %v", err)
			}
		})
	}
}

// TestSourceExamplesValidate proves the export's example request and response are valid, and decode into the
// Go types without loss.
func TestSourceExamplesValidate(t *testing.T) {
	doc := lumamock.MustLoad()
	op := doc.Paths.Value(lumamock.PathGenerations).Post
	for name, ex := range op.RequestBody.Value.Content.Get("application/json").Examples {
		if err := schema(t, "GenerationRequest").VisitJSON(ex.Value.Value); err != nil {
			t.Errorf("request example %s: %v", name, err)
		}
	}
	for name, ex := range op.Responses.Status(200).Value.Content.Get("application/json").Examples {
		if err := schema(t, "TaskResponse").VisitJSON(ex.Value.Value); err != nil {
			t.Errorf("response example %s: %v", name, err)
		}
	}
	src := op.Responses.Status(200).Value.Content.Get("application/json").Examples["source"].Value.Value
	raw, _ := json.Marshal(src)
	var g lumamock.Generation
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	again, _ := json.Marshal(g)
	var a, b any
	_ = json.Unmarshal(raw, &a)
	_ = json.Unmarshal(again, &b)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("source example through Generation (-want +got):\n%s", diff)
	}
}

func TestParseShape(t *testing.T) {
	for _, s := range []string{"envelope", "luma"} {
		if got, ok := lumamock.ParseShape(s); !ok || string(got) != s {
			t.Errorf("ParseShape(%q) = %q, %v", s, got, ok)
		}
	}
	if _, ok := lumamock.ParseShape("raw"); ok {
		t.Error(`ParseShape("raw") accepted`)
	}
}

// TestTaskSchemasAreTheBranchesOfTaskResponse: each shape names a schema TaskResponse offers.
func TestTaskSchemasAreTheBranchesOfTaskResponse(t *testing.T) {
	var branches []string
	for _, b := range schema(t, "TaskResponse").OneOf {
		branches = append(branches, b.Ref)
	}
	for _, s := range []lumamock.Shape{lumamock.ShapeEnvelope, lumamock.ShapeLuma} {
		if want := "#/components/schemas/" + s.TaskSchema(); !slices.Contains(branches, want) {
			t.Errorf("%s.TaskSchema() = %q: not a branch of TaskResponse %v", s, s.TaskSchema(), branches)
		}
	}
	if got := lumamock.Shape("raw").TaskSchema(); got != "" {
		t.Errorf("unknown shape: TaskSchema() = %q", got)
	}
}

func schema(t *testing.T, name string) *openapi3.Schema {
	t.Helper()
	ref := lumamock.MustLoad().Components.Schemas[name]
	if ref == nil {
		t.Fatalf("schema %s not in document", name)
	}
	return ref.Value
}

func jsonFields(typ reflect.Type) []string {
	if typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	var names []string
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func roundTrip(t *testing.T, v any) any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

package adminapi_test

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/cassette"
	"github.com/lumamock/lumamock/coverage"
	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/proxy"
)

// jsonFields lists the JSON names of t's fields, those of embedded structs included.
func jsonFields(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// schemaFields lists the properties of a schema, through allOf.
func schemaFields(s *openapi3.Schema) []string {
	var out []string
	for name := range s.Properties {
		out = append(out, name)
	}
	for _, ref := range s.AllOf {
		out = append(out, schemaFields(ref.Value)...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestRecordsMatchTheirSchemas: every Go type the admin API answers has exactly the fields its admin.yaml schema
// has, so that a field added in Go and not in the document (or the reverse) fails here, before any answer does.
func TestRecordsMatchTheirSchemas(t *testing.T) {
	doc, err := lumamock.LoadAdmin()
	if err != nil {
		t.Fatal(err)
	}
	for schema, v := range map[string]any{
		"RequestRecord":   mock.RequestRecord{},
		"CallbackRecord":  mock.CallbackRecord{},
		"Task":            mock.TaskRecord{},
		"Transition":      mock.Transition{},
		"ProxyExchange":   proxy.Exchange{},
		"ProxyCallback":   proxy.Callback{},
		"Finding":         proxy.Finding{}, // contract.Finding and its direction
		"Violation":       lumamock.Violation{},
		"Decision":        cassette.Decision{},
		"CoverageReport":  coverage.Report{},
		"CoverageItem":    coverage.Item{},
		"CoverageRef":     coverage.Ref{},
		"CoverageFinding": coverage.Finding{},
		"Session":         mock.SessionInfo{},
	} {
		ref := doc.Components.Schemas[schema]
		if ref == nil {
			t.Errorf("admin.yaml has no schema %s", schema)
			continue
		}
		got, want := jsonFields(reflect.TypeOf(v)), schemaFields(ref.Value)
		if !slices.Equal(got, want) {
			t.Errorf("%s: Go %T has fields %v, admin.yaml %v", schema, v, got, want)
		}
	}
	clients := doc.Components.Schemas["CoverageReport"].Value.Properties["clients"].Value
	if got, want := jsonFields(reflect.TypeOf(coverage.Clients{})), schemaFields(clients); !slices.Equal(got, want) {
		t.Errorf("CoverageReport.clients: Go has fields %v, admin.yaml %v", got, want)
	}
	settings, err := json.Marshal(mock.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(settings, &fields); err != nil {
		t.Fatal(err)
	}
	got := slices.Sorted(maps.Keys(fields))
	if want := schemaFields(doc.Components.Schemas["Settings"].Value); !slices.Equal(got, want) {
		t.Errorf("Settings: Go answers %v, admin.yaml has %v", got, want)
	}
	if want := doc.Components.Schemas["SettingsState"].Value.AllOf[1].Value.Required; !slices.Equal(got, slices.Sorted(slices.Values(want))) {
		t.Errorf("Settings: Go answers %v, admin.yaml's SettingsState requires %v", got, want)
	}
	task := doc.Components.Schemas["Task"].Value
	for prop, v := range map[string]any{"result": mock.TaskResult{}, "faults": mock.FaultsRecord{}} {
		if got, want := jsonFields(reflect.TypeOf(v)), schemaFields(task.Properties[prop].Value); !slices.Equal(got, want) {
			t.Errorf("Task.%s: Go %T has fields %v, admin.yaml %v", prop, v, got, want)
		}
	}
}

package coverage_test

import (
	"context"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/coverage"
)

// faults are the webhook faults the tests give a Recorder, as the mock does.
var faults = []coverage.Fault{
	{Name: "duplicate", Hint: "Prefer: duplicate=1"}, {Name: "drop", Hint: "Prefer: drop=completed"},
	{Name: "reorder", Hint: "Prefer: reorder=1"}, {Name: "late", Hint: "Prefer: late=2s"},
}

// embeddedItems are the items of the embedded openapi.yaml, in report order.
var embeddedItems = []string{
	"createGeneration.status.200", "createGeneration.status.400", "createGeneration.status.401", "createGeneration.status.406",
	"createGeneration.status.413", "createGeneration.status.415", "createGeneration.status.429", "createGeneration.status.500",
	"createGeneration.status.503", "createGeneration.shape.envelope", "createGeneration.shape.luma",
	"notifyGeneration.shape.envelope", "notifyGeneration.shape.luma",
	"notifyGeneration.event.processing", "notifyGeneration.event.completed", "notifyGeneration.event.failed",
	"notifyGeneration.fault.duplicate", "notifyGeneration.fault.drop", "notifyGeneration.fault.reorder", "notifyGeneration.fault.late",
	"notifyGeneration.retry",
	"getGeneration.status.200", "getGeneration.status.400", "getGeneration.status.401", "getGeneration.status.404",
	"getGeneration.status.406", "getGeneration.status.429", "getGeneration.status.500", "getGeneration.status.503",
	"getGeneration.shape.envelope", "getGeneration.shape.luma",
	"getGeneration.state.pending", "getGeneration.state.processing", "getGeneration.state.completed", "getGeneration.state.failed",
	"outcome.completed", "outcome.failed",
}

func names(items []coverage.Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.Name
	}
	return out
}

// edited loads the embedded document with each old text replaced by the new one after it.
func edited(t *testing.T, pairs ...string) *openapi3.T {
	t.Helper()
	data := string(lumamock.Document)
	for i := 0; i < len(pairs); i += 2 {
		if !strings.Contains(data, pairs[i]) {
			t.Fatalf("openapi.yaml lacks %q", pairs[i])
		}
		data = strings.Replace(data, pairs[i], pairs[i+1], 1)
	}
	doc, err := lumamock.LoadDocument(context.Background(), []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestDeriveReadsTheDocument: the items are the document's, and another document gives other items.
func TestDeriveReadsTheDocument(t *testing.T) {
	insert := func(list []string, after string, more ...string) []string {
		for i, n := range list {
			if n == after {
				return append(append(append([]string(nil), list[:i+1]...), more...), list[i+1:]...)
			}
		}
		t.Fatalf("no item %s", after)
		return nil
	}
	remove := func(list []string, gone ...string) []string {
		var out []string
		for _, n := range list {
			if !strings.Contains(strings.Join(gone, " "), n) {
				out = append(out, n)
			}
		}
		return out
	}
	tests := []struct {
		name string
		doc  *openapi3.T
		want []string
	}{
		{name: "embedded", doc: lumamock.MustLoad(), want: embeddedItems},
		{
			name: "a 409 and a 4XX range on submit",
			doc: edited(t, "        '413':\n          $ref: '#/components/responses/PayloadTooLarge'\n",
				"        '409':\n          $ref: '#/components/responses/NotFound'\n        '413':\n          $ref: '#/components/responses/PayloadTooLarge'\n        '4XX':\n          $ref: '#/components/responses/NotFound'\n"),
			want: insert(insert(embeddedItems, "createGeneration.status.406", "createGeneration.status.409"),
				"createGeneration.status.503", "createGeneration.status.4XX"),
		},
		{
			name: "a queued state",
			doc: edited(t, "enum: [pending, processing, completed, failed]", "enum: [queued, pending, processing, completed, failed]",
				"        pending: [processing, completed, failed]\n", "        queued: [pending]\n        pending: [processing, completed, failed]\n"),
			want: insert(insert(embeddedItems, "notifyGeneration.shape.luma", "notifyGeneration.event.pending"),
				"getGeneration.shape.luma", "getGeneration.state.queued"),
		},
		{
			name: "no lifecycle",
			doc:  edited(t, "      x-transitions:\n", "      x-moves:\n"),
			want: remove(embeddedItems, "notifyGeneration.event.processing", "notifyGeneration.event.completed", "notifyGeneration.event.failed",
				"getGeneration.state.pending", "getGeneration.state.processing", "getGeneration.state.completed", "getGeneration.state.failed",
				"outcome.completed", "outcome.failed"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := coverage.Derive(tt.doc, faults)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, names(items)); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
			for _, it := range items {
				if it.Description == "" || it.Hint == "" && it.Kind != coverage.KindStatus {
					t.Errorf("%s: description %q, hint %q", it.Name, it.Description, it.Hint)
				}
			}
		})
	}
}

// TestDeriveDescribesStatusesInTheDocumentsWords: a status item says what the document says of the answer.
func TestDeriveDescribesStatusesInTheDocumentsWords(t *testing.T) {
	items, err := coverage.Derive(lumamock.MustLoad(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.Name == "createGeneration.status.429" {
			if want := "Rate limited; retry after `Retry-After` seconds."; it.Description != want || it.Hint != "Prefer: code=429" {
				t.Errorf("429: description %q, hint %q; want %q, Prefer: code=429", it.Description, it.Hint, want)
			}
			return
		}
	}
	t.Fatal("no createGeneration.status.429")
}

func TestDeriveNeedsADocument(t *testing.T) {
	if _, err := coverage.Derive(nil, nil); err == nil {
		t.Fatal("Derive(nil) did not fail")
	}
	if _, err := coverage.New(coverage.Options{}); err == nil {
		t.Fatal("New without a document did not fail")
	}
}

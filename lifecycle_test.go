package lumamock_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lumamock/lumamock"
)

// TestReadLifecycle reads the embedded document's lifecycle, and one a document changes.
func TestReadLifecycle(t *testing.T) {
	tests := []struct {
		name            string
		doc             []byte
		ok              bool
		states, entered []lumamock.TaskState
		ends            []lumamock.TaskState
	}{
		{
			name: "embedded", doc: lumamock.Document, ok: true,
			states:  []lumamock.TaskState{"pending", "processing", "completed", "failed"},
			entered: []lumamock.TaskState{"processing", "completed", "failed"},
			ends:    []lumamock.TaskState{"completed", "failed"},
		},
		{
			name: "a queued state and no x-terminal",
			doc: []byte(strings.NewReplacer(
				"enum: [pending, processing, completed, failed]", "enum: [queued, pending, processing, completed, failed]",
				"        pending: [processing, completed, failed]\n", "        queued: [pending]\n        pending: [processing, completed, failed]\n",
				"      x-terminal: [completed, failed]\n", "").Replace(string(lumamock.Document))),
			ok:      true,
			states:  []lumamock.TaskState{"queued", "pending", "processing", "completed", "failed"},
			entered: []lumamock.TaskState{"pending", "processing", "completed", "failed"},
			ends:    []lumamock.TaskState{"completed", "failed"},
		},
		{
			name: "no x-transitions",
			doc:  bytes.Replace(lumamock.Document, []byte("      x-transitions:\n"), []byte("      x-moves:\n"), 1),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := lumamock.LoadDocument(context.Background(), tt.doc)
			if err != nil {
				t.Fatal(err)
			}
			lc, ok, err := lumamock.ReadLifecycle(doc)
			if err != nil || ok != tt.ok {
				t.Fatalf("ReadLifecycle: ok %v, err %v; want ok %v", ok, err, tt.ok)
			}
			if diff := cmp.Diff(tt.states, lc.States); diff != "" {
				t.Errorf("States (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.entered, lc.Entered()); diff != "" {
				t.Errorf("Entered (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.ends, lc.Ends()); diff != "" {
				t.Errorf("Ends (-want +got):\n%s", diff)
			}
		})
	}
}

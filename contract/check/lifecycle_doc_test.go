package check

import (
	"bytes"
	"context"
	"testing"

	"github.com/lumamock/lumamock"
)

// TestLifecycleIsTheDocuments proves the checker reads the lifecycle from the document it is given: the
// embedded one agrees with lumamock.TaskState (itself held to openapi.yaml), and a document that says otherwise
// changes the verdicts.
func TestLifecycleIsTheDocuments(t *testing.T) {
	edit := func(pairs ...string) []byte {
		data := lumamock.Document
		for i := 0; i < len(pairs); i += 2 {
			if !bytes.Contains(data, []byte(pairs[i])) {
				t.Fatalf("openapi.yaml lacks %q", pairs[i])
			}
			data = bytes.Replace(data, []byte(pairs[i]), []byte(pairs[i+1]), 1)
		}
		return data
	}
	type move struct {
		from, to lumamock.TaskState
		illegal  bool
	}
	tests := []struct {
		name     string
		doc      []byte
		ok       bool
		terminal []lumamock.TaskState
		moves    []move
	}{
		{
			name: "embedded", doc: lumamock.Document, ok: true,
			terminal: []lumamock.TaskState{"completed", "failed"},
			moves: []move{
				{"pending", "processing", false}, {"processing", "completed", false}, {"pending", "failed", false},
				{"processing", "pending", true}, {"completed", "processing", true}, {"completed", "failed", true},
				{"completed", "completed", false}, {"pending", "queued", false}, {"", "completed", false},
			},
		},
		{
			name: "a document that lets completed tasks be redone, without x-terminal",
			doc:  edit("        completed: []\n", "        completed: [processing]\n", "      x-terminal: [completed, failed]\n", ""),
			ok:   true, terminal: []lumamock.TaskState{"failed"},
			moves: []move{{"completed", "processing", false}, {"processing", "pending", true}},
		},
		{
			name: "a document without x-transitions",
			doc:  edit("      x-transitions:\n        pending: [processing, completed, failed]\n        processing: [completed, failed]\n        completed: []\n        failed: []\n", ""),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := lumamock.LoadDocument(context.Background(), tt.doc)
			if err != nil {
				t.Fatal(err)
			}
			life, ok, err := readLifecycle(doc)
			if err != nil || ok != tt.ok {
				t.Fatalf("readLifecycle: ok %v, err %v; want ok %v", ok, err, tt.ok)
			}
			if !ok {
				return
			}
			for _, s := range life.states {
				want := false
				for _, term := range tt.terminal {
					want = want || s == term
				}
				if got := life.isTerminal(s); got != want {
					t.Errorf("isTerminal(%s) = %v, want %v", s, got, want)
				}
			}
			for _, m := range tt.moves {
				if got := life.illegal(m.from, m.to); got != m.illegal {
					t.Errorf("illegal(%q, %q) = %v, want %v", m.from, m.to, got, m.illegal)
				}
			}
			if tt.name != "embedded" {
				return
			}
			for _, from := range life.states {
				if life.isTerminal(from) != from.Terminal() {
					t.Errorf("%s: terminal %v, lumamock.TaskState says %v", from, life.isTerminal(from), from.Terminal())
				}
				for _, to := range life.states {
					if want := from != to && !from.CanBecome(to); life.illegal(from, to) != want {
						t.Errorf("illegal(%s, %s) = %v, lumamock.TaskState says %v", from, to, !want, want)
					}
				}
			}
		})
	}
}

// TestRunnerFallsBackToTheEmbeddedLifecycle: a document without a lifecycle is judged by the embedded one.
func TestRunnerFallsBackToTheEmbeddedLifecycle(t *testing.T) {
	data := bytes.Replace(lumamock.Document, []byte("      x-transitions:\n"), []byte("      x-moves:\n"), 1)
	doc, err := lumamock.LoadDocument(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	life, err := documentLifecycle(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !life.illegal(lumamock.StateCompleted, lumamock.StateProcessing) || !life.isTerminal(lumamock.StateFailed) {
		t.Errorf("the runner does not judge by the embedded lifecycle: %+v", life)
	}
}

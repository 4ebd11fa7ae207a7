package mock_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/internal/sanitize"
	"github.com/lumamock/lumamock/mock"
)

var update = flag.Bool("update", false, "rewrite golden files with the mock's current answers")

// TestSourceExampleGolden pins, under a fixed seed and clock, the mock's answers to the export's example
// request in both shapes: when submitted (pending), mid-way (processing) and at the end (completed, failed).
// Refresh with: go test ./mock -run Golden -update
func TestSourceExampleGolden(t *testing.T) {
	for _, shape := range []lumamock.Shape{lumamock.ShapeEnvelope, lumamock.ShapeLuma} {
		for _, outcome := range []lumamock.TaskState{lumamock.StateCompleted, lumamock.StateFailed} {
			clock := mock.NewManualClock(epoch)
			ts := newServer(t, mock.Options{Schema: shape, Seed: 20241222, Clock: clock, Outcome: outcome})
			created := send(t, ts, call{body: sourceExample})
			path := "/luma/generations/" + taskIDOf(t, created.body)
			steps := []struct {
				name string
				resp response
			}{{"pending", created}}
			clock.Advance(mock.DefaultPending)
			steps = append(steps, struct {
				name string
				resp response
			}{"processing", send(t, ts, call{method: "GET", path: path})})
			clock.Advance(mock.DefaultProcessing + time.Second)
			steps = append(steps, struct {
				name string
				resp response
			}{string(outcome), send(t, ts, call{method: "GET", path: path})})
			for _, step := range steps {
				if outcome == lumamock.StateFailed && step.name != string(outcome) {
					continue // the same as for completed
				}
				name := "source-example." + step.name + "." + string(shape) + ".json"
				t.Run(name, func(t *testing.T) {
					if step.resp.status != 200 {
						t.Fatalf("status %d\n%s", step.resp.status, step.resp.body)
					}
					validateResponse(t, step.resp)
					golden(t, filepath.Join("..", "fixtures", name), step.resp.body)
				})
			}
		}
	}
}

// golden compares got with the JSON file at path, or rewrites it under -update as indented, key-sorted JSON.
// Both are compared decoded and sanitized (ids, times and URLs replaced by placeholders), so a difference is a
// change of shape, never of the seeded ids: the files keep the real values, as examples to read.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	var gotValue any
	if err := json.Unmarshal(got, &gotValue); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, got)
	}
	if *update {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(gotValue); err != nil { // maps encode with sorted keys
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./mock -update to create it)", err)
	}
	var wantValue any
	if err := json.Unmarshal(want, &wantValue); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if diff := cmp.Diff(sanitize.Value(wantValue), sanitize.Value(gotValue)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

package coverage_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/coverage"
)

// BenchmarkRecorder measures what the mock adds to a request: a poll (a poll-too-fast finding each time, the
// load test's case), a submission (the same request again each time: a resubmitted finding), and a request
// that covers no item, from a few clients at once:
//
//	go test ./coverage -run '^$' -bench Recorder -benchmem -cpu 1,2
func BenchmarkRecorder(b *testing.B) {
	for _, tt := range []struct {
		name string
		ev   func(tk *coverage.Task) coverage.Request
	}{
		{"poll", func(tk *coverage.Task) coverage.Request {
			return coverage.Request{Operation: lumamock.OpGet, Status: 200, Shape: lumamock.ShapeEnvelope, State: lumamock.StateProcessing, Task: tk}
		}},
		{"submit", func(tk *coverage.Task) coverage.Request {
			return coverage.Request{Operation: lumamock.OpCreate, Status: 200, Shape: lumamock.ShapeEnvelope, State: lumamock.StatePending, Task: tk, Submission: 42}
		}},
		{"unrouted", func(*coverage.Task) coverage.Request { return coverage.Request{Status: 404} }},
	} {
		b.Run(tt.name, func(b *testing.B) {
			r := newRecorder(b, coverage.Options{Alive: func(string, time.Time) bool { return true }})
			keys := []string{"key-a-0123456789", "key-b-0123456789", "key-c-0123456789", "key-d-0123456789"}
			tasks := make([]*coverage.Task, len(keys))
			for i, key := range keys {
				tasks[i] = &coverage.Task{}
				r.Bind(tasks[i], fmt.Sprint("task-", i), key)
			}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					i++
					ev := tt.ev(tasks[i%len(tasks)])
					ev.Seq, ev.At, ev.Key = int64(i), at(time.Duration(i)*time.Millisecond), keys[i%len(keys)]
					r.Request(ev)
				}
			})
		})
	}
}

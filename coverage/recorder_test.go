package coverage_test

import (
	"math/rand/v2"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/coverage"
)

// start is the time the tests' events start from.
var start = time.Date(2024, 12, 22, 13, 38, 40, 0, time.UTC)

func at(d time.Duration) time.Time { return start.Add(d) }

func newRecorder(t testing.TB, opts coverage.Options) *coverage.Recorder {
	t.Helper()
	if opts.Document == nil {
		opts.Document = lumamock.MustLoad()
	}
	if opts.Faults == nil {
		opts.Faults = faults
	}
	r, err := coverage.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// covered returns the report's items by name, with their counts and first records.
func covered(rep coverage.Report) map[string]coverage.Item {
	out := map[string]coverage.Item{}
	for _, it := range rep.Items {
		if it.Covered {
			out[it.Name] = it
		}
	}
	return out
}

type firstRef struct {
	Count   int64
	Journal string
	Seq     int64
}

func summary(rep coverage.Report) map[string]firstRef {
	out := map[string]firstRef{}
	for name, it := range covered(rep) {
		out[name] = firstRef{it.Count, it.First.Journal, it.First.Seq}
	}
	return out
}

// TestRecorderCountsWhatTheClientSaw: each event covers the items it exposes the client to, and nothing else.
func TestRecorderCountsWhatTheClientSaw(t *testing.T) {
	task := func(r *coverage.Recorder) *coverage.Task {
		var tk coverage.Task
		r.Bind(&tk, "task-1", "key")
		return &tk
	}
	tests := []struct {
		name      string
		requests  func(*coverage.Task) []coverage.Request
		callbacks func(*coverage.Task) []coverage.Callback
		want      map[string]firstRef
	}{
		{
			name: "an envelope submit",
			requests: func(tk *coverage.Task) []coverage.Request {
				return []coverage.Request{{Seq: 1, At: at(0), Key: "key", Operation: lumamock.OpCreate, Status: 200, Shape: lumamock.ShapeEnvelope, State: lumamock.StatePending, Task: tk}}
			},
			// POST answers a pending task, but a submit is not a poll: no state item.
			want: map[string]firstRef{
				"createGeneration.status.200":     {1, "requests", 1},
				"createGeneration.shape.envelope": {1, "requests", 1},
			},
		},
		{
			name: "forced and natural errors, an unrouted request, an undocumented status",
			requests: func(*coverage.Task) []coverage.Request {
				return []coverage.Request{
					{Seq: 3, At: at(0), Operation: lumamock.OpCreate, Status: 429, Shape: lumamock.ShapeLuma, RetryAfter: time.Second},
					{Seq: 4, At: at(2 * time.Second), Operation: lumamock.OpCreate, Status: 429},
					{Seq: 5, At: at(3 * time.Second), Operation: lumamock.OpGet, Status: 404},
					{Seq: 6, At: at(4 * time.Second), Operation: "", Status: 404},
					{Seq: 7, At: at(5 * time.Second), Operation: lumamock.OpGet, Status: 418},
				}
			},
			want: map[string]firstRef{
				"createGeneration.status.429": {2, "requests", 3},
				"getGeneration.status.404":    {1, "requests", 5},
			},
		},
		{
			name: "polls in each state",
			requests: func(tk *coverage.Task) []coverage.Request {
				var out []coverage.Request
				for i, s := range []lumamock.TaskState{"pending", "processing", "processing", "failed"} {
					out = append(out, coverage.Request{Seq: int64(10 + i), At: at(time.Duration(i) * 2 * time.Second), Key: "key", Operation: lumamock.OpGet,
						Status: 200, Shape: lumamock.ShapeLuma, State: s, Task: tk})
				}
				return out
			},
			want: map[string]firstRef{
				"getGeneration.status.200":       {4, "requests", 10},
				"getGeneration.shape.luma":       {4, "requests", 10},
				"getGeneration.state.pending":    {1, "requests", 10},
				"getGeneration.state.processing": {2, "requests", 11},
				"getGeneration.state.failed":     {1, "requests", 13},
				"outcome.failed":                 {1, "requests", 13},
			},
		},
		{
			name: "callbacks: delivered, refused then retried, withheld, faulted, unanswered",
			callbacks: func(tk *coverage.Task) []coverage.Callback {
				return []coverage.Callback{
					{Seq: 1, At: at(0), Task: tk, Event: 1, State: "processing", Shape: lumamock.ShapeEnvelope, Attempt: 1, Status: 200, Outcome: "delivered", Faults: []string{"late"}},
					{Seq: 2, At: at(time.Second), Task: tk, Event: 2, State: "completed", Shape: lumamock.ShapeEnvelope, Attempt: 1, Status: 500, Outcome: "retrying"},
					{Seq: 3, At: at(2 * time.Second), Task: tk, Event: 2, State: "completed", Shape: lumamock.ShapeEnvelope, Attempt: 2, Status: 204, Outcome: "delivered"},
					{Seq: 4, At: at(3 * time.Second), Task: tk, Event: 2, State: "completed", Shape: lumamock.ShapeEnvelope, Faults: []string{"drop"}, Outcome: "dropped"},
					// A duplicate that never reached the hook does not cover the fault.
					{Seq: 5, At: at(4 * time.Second), Task: tk, Event: 2, State: "completed", Attempt: 1, Faults: []string{"duplicate"}, Outcome: "failed", Error: "connection refused"},
				}
			},
			want: map[string]firstRef{
				"notifyGeneration.event.processing": {1, "callbacks", 1},
				"notifyGeneration.event.completed":  {1, "callbacks", 3},
				"notifyGeneration.shape.envelope":   {2, "callbacks", 1},
				"notifyGeneration.fault.late":       {1, "callbacks", 1},
				"notifyGeneration.fault.drop":       {1, "callbacks", 4},
				"notifyGeneration.retry":            {1, "callbacks", 3},
				"outcome.completed":                 {1, "callbacks", 3},
			},
		},
		{
			name: "a retry after no answer is not a retry after a refusal",
			callbacks: func(tk *coverage.Task) []coverage.Callback {
				return []coverage.Callback{
					{Seq: 1, At: at(0), Task: tk, Event: 1, State: "processing", Attempt: 1, Outcome: "retrying", Error: "timeout"},
					{Seq: 2, At: at(time.Second), Task: tk, Event: 1, State: "processing", Attempt: 2, Status: 200, Outcome: "delivered"},
				}
			},
			want: map[string]firstRef{"notifyGeneration.event.processing": {1, "callbacks", 2}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRecorder(t, coverage.Options{})
			tk := task(r)
			if tt.requests != nil {
				for _, ev := range tt.requests(tk) {
					r.Request(ev)
				}
			}
			if tt.callbacks != nil {
				for _, ev := range tt.callbacks(tk) {
					r.Callback(ev)
				}
			}
			rep := r.Report()
			if diff := cmp.Diff(tt.want, summary(rep)); diff != "" {
				t.Errorf("covered (-want +got):\n%s", diff)
			}
			if rep.Covered != len(tt.want) || rep.Total != len(embeddedItems) || len(rep.Missing) != rep.Total-rep.Covered {
				t.Errorf("covered %d of %d, %d missing; want %d of %d", rep.Covered, rep.Total, len(rep.Missing), len(tt.want), len(embeddedItems))
			}
		})
	}
}

// TestRecorderFirstIsTheEarliest: the first record of an item is the lowest seq of its journal however the
// events arrive, and the earliest in time across the two journals.
func TestRecorderFirstIsTheEarliest(t *testing.T) {
	r := newRecorder(t, coverage.Options{})
	seqs := rand.New(rand.NewPCG(1, 2)).Perm(200)
	var wg sync.WaitGroup
	for _, s := range seqs {
		wg.Go(func() {
			r.Request(coverage.Request{Seq: int64(s + 5), At: at(time.Duration(s) * time.Millisecond), Operation: lumamock.OpGet, Status: 404})
		})
	}
	wg.Wait()
	var tk coverage.Task
	r.Bind(&tk, "t", "k")
	r.Callback(coverage.Callback{Seq: 1, At: at(3 * time.Second), Task: &tk, Event: 2, State: "completed", Attempt: 1, Status: 200, Outcome: "delivered"})
	r.Request(coverage.Request{Seq: 900, At: at(2 * time.Second), Key: "k", Operation: lumamock.OpGet, Status: 200, State: "completed", Task: &tk})
	got := summary(r.Report())
	if want := (firstRef{200, "requests", 5}); got["getGeneration.status.404"] != want {
		t.Errorf("404: %+v; want %+v", got["getGeneration.status.404"], want)
	}
	if want := (firstRef{2, "requests", 900}); got["outcome.completed"] != want {
		t.Errorf("outcome.completed: %+v; want %+v (the poll came before the callback)", got["outcome.completed"], want)
	}
}

// TestRecorderReset forgets counts, findings and clients.
func TestRecorderReset(t *testing.T) {
	r := newRecorder(t, coverage.Options{})
	r.Request(coverage.Request{Seq: 1, At: at(0), Key: "k", Operation: lumamock.OpCreate, Status: 429, RetryAfter: time.Second})
	r.Request(coverage.Request{Seq: 2, At: at(time.Millisecond), Key: "k", Operation: lumamock.OpCreate, Status: 429})
	if rep := r.Report(); rep.Covered != 1 || len(rep.Findings) != 1 || rep.Clients.Seen != 1 {
		t.Fatalf("before reset: %d covered, %d findings, %d clients", rep.Covered, len(rep.Findings), rep.Clients.Seen)
	}
	r.Reset()
	rep := r.Report()
	if rep.Covered != 0 || len(rep.Findings) != 0 || rep.Clients.Seen != 0 || rep.FindingCount() != 0 {
		t.Fatalf("after reset: %d covered, %d findings (%d counted), %d clients", rep.Covered, len(rep.Findings), rep.FindingCount(), rep.Clients.Seen)
	}
	// The client is not waiting for its Retry-After any more either.
	r.Request(coverage.Request{Seq: 3, At: at(2 * time.Millisecond), Key: "k", Operation: lumamock.OpCreate, Status: 200})
	if n := r.Report().FindingCount(); n != 0 {
		t.Errorf("%d findings after reset", n)
	}
}

// TestTaskIsSmall: the mock keeps a Task in each of its tasks, which must stay small (see mock's
// TestTaskStaysSmall).
func TestTaskIsSmall(t *testing.T) {
	if size := unsafe.Sizeof(coverage.Task{}); size > 88 {
		t.Errorf("a Task is %d bytes, over 88", size)
	}
}

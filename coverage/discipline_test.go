package coverage_test

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/coverage"
	"github.com/lumamock/lumamock/internal/redact"
)

// client plays one client against a Recorder: its requests are numbered in order and stamped with its own
// virtual clock.
type client struct {
	r   *coverage.Recorder
	key string
	seq *int64
	now time.Duration
}

func (c *client) wait(d time.Duration) { c.now += d }

func (c *client) send(ev coverage.Request) coverage.Request {
	*c.seq++
	ev.Seq, ev.At, ev.Key = *c.seq, at(c.now), c.key
	c.r.Request(ev)
	return ev
}

func (c *client) submit(id string, body uint64, status int) *coverage.Task {
	var tk coverage.Task
	c.r.Bind(&tk, id, c.key)
	ev := coverage.Request{Operation: lumamock.OpCreate, Status: status, Shape: lumamock.ShapeEnvelope, Task: &tk, Submission: body}
	if status == 429 || status == 503 {
		ev.RetryAfter, ev.Task = time.Second, nil
	}
	c.send(ev)
	return &tk
}

func (c *client) poll(tk *coverage.Task, state lumamock.TaskState) {
	c.send(coverage.Request{Operation: lumamock.OpGet, Status: 200, Shape: lumamock.ShapeEnvelope, State: state, Task: tk})
}

// finding is what the tests compare of a coverage.Finding.
type finding struct {
	Kind, Client, TaskID, Receiver string
	Count                          int64
	Evidence                       []string
}

func findings(rep coverage.Report) []finding {
	var out []finding
	for _, f := range rep.Findings {
		var ev []string
		for _, e := range f.Evidence {
			ev = append(ev, e.String())
		}
		out = append(out, finding{f.Kind, f.Client, f.TaskID, f.Receiver, f.Count, ev})
	}
	return out
}

// TestDiscipline: each misbehaviour is found, with the records that show it, and its well-behaved twin is not.
func TestDiscipline(t *testing.T) {
	label := redact.Label("key")
	alive := map[string]bool{"t1": true, "t2": true, "t3": true}
	tests := []struct {
		name string
		play func(c *client)
		want []finding
	}{
		{
			name: "polls every 50ms",
			play: func(c *client) {
				tk := c.submit("t1", 0, 200)
				for range 5 {
					c.wait(50 * time.Millisecond)
					c.poll(tk, "pending")
				}
			},
			want: []finding{{Kind: "poll-too-fast", Client: label, TaskID: "t1", Count: 4,
				Evidence: []string{"requests#2", "requests#3", "requests#4", "requests#5", "requests#6"}}},
		},
		{
			name: "polls every second, the minimum",
			play: func(c *client) {
				tk := c.submit("t1", 0, 200)
				for range 5 {
					c.wait(time.Second)
					c.poll(tk, "pending")
				}
			},
		},
		{
			name: "polls two tasks in turn, each once a second",
			play: func(c *client) {
				a, b := c.submit("t1", 1, 200), c.submit("t2", 2, 200)
				for range 3 {
					c.wait(500 * time.Millisecond)
					c.poll(a, "pending")
					c.wait(500 * time.Millisecond)
					c.poll(b, "pending")
				}
			},
		},
		{
			name: "retries a 429 at once, then after Retry-After",
			play: func(c *client) {
				c.submit("", 0, 429)
				c.wait(50 * time.Millisecond)
				c.submit("", 0, 429)
				c.wait(50 * time.Millisecond)
				c.submit("t1", 0, 200)
				c.wait(time.Second)
				c.submit("", 0, 503)
				c.wait(time.Second)
				c.submit("t2", 0, 200)
			},
			// The second 429 came too soon after the first; the 200 after it, too soon after the second.
			want: []finding{
				{Kind: "retry-after-ignored", Client: label, Count: 1, Evidence: []string{"requests#1", "requests#2"}},
				{Kind: "retry-after-ignored", Client: label, Count: 1, Evidence: []string{"requests#2", "requests#3"}},
			},
		},
		{
			name: "polls an ended task five times",
			play: func(c *client) {
				tk := c.submit("t1", 0, 200)
				for range 5 {
					c.wait(2 * time.Second)
					c.poll(tk, "completed")
				}
			},
			want: []finding{{Kind: "poll-after-end", Client: label, TaskID: "t1", Count: 2,
				Evidence: []string{"requests#2", "requests#5", "requests#6"}}},
		},
		{
			name: "polls an ended task three times",
			play: func(c *client) {
				tk := c.submit("t1", 0, 200)
				c.wait(2 * time.Second)
				c.poll(tk, "processing")
				for range 3 {
					c.wait(2 * time.Second)
					c.poll(tk, "failed")
				}
			},
		},
		{
			name: "submits the same request three times while its task lives, then once more after the window",
			play: func(c *client) {
				c.submit("t1", 42, 200)
				c.wait(time.Second)
				c.submit("t2", 42, 200)
				c.wait(time.Second)
				c.submit("t3", 42, 200)
				c.wait(time.Minute)
				c.submit("t4", 42, 200)
			},
			want: []finding{{Kind: "resubmitted", Client: label, TaskID: "t1", Count: 2, Evidence: []string{"requests#1", "requests#2", "requests#3"}}},
		},
		{
			name: "submits the same request again once its task ended, and other requests in a row",
			play: func(c *client) {
				c.submit("t4", 42, 200) // t4 is not alive
				c.wait(time.Second)
				c.submit("t5", 42, 200)
				c.submit("t1", 1, 200)
				c.submit("t2", 2, 200)
				c.submit("t3", 3, 200)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRecorder(t, coverage.Options{Alive: func(id string, _ time.Time) bool { return alive[id] }})
			var seq int64
			tt.play(&client{r: r, key: "key", seq: &seq})
			rep := r.Report()
			if diff := cmp.Diff(tt.want, findings(rep)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			var count int64
			for _, f := range tt.want {
				count += f.Count
			}
			if rep.FindingCount() != count || rep.Unlisted != 0 {
				t.Errorf("%d findings counted, %d unlisted; want %d, 0", rep.FindingCount(), rep.Unlisted, count)
			}
		})
	}
}

// TestFindingsSayWhatHappened: each finding's message names what the client did and its advice what to do.
func TestFindingsSayWhatHappened(t *testing.T) {
	r := newRecorder(t, coverage.Options{})
	var seq int64
	c := &client{r: r, key: "key", seq: &seq}
	tk := c.submit("t1", 0, 200)
	c.wait(time.Second)
	c.poll(tk, "pending")
	c.wait(50 * time.Millisecond)
	c.poll(tk, "pending")
	c.wait(20 * time.Millisecond)
	c.poll(tk, "pending")
	c.submit("", 0, 429)
	c.wait(300 * time.Millisecond)
	c.poll(tk, "pending")
	for i := range 3 {
		r.Callback(coverage.Callback{Seq: int64(i + 1), At: at(c.now), Task: tk, Event: 1, State: "processing", Receiver: "127.0.0.1:9000",
			Attempt: i + 1, Status: []int{500, 0, 503}[i], Outcome: "retrying", Error: []string{"", "timeout", ""}[i]})
	}
	want := map[string]string{
		"poll-too-fast":         "polled task t1 3 times within 1s of the previous poll (shortest gap 20ms)",
		"retry-after-ignored":   "sent 1 request sooner than the Retry-After (1s) of the 429 Too Many Requests answer at requests#5 (the soonest 300ms after it)",
		"hook-not-acknowledged": "the hook at 127.0.0.1:9000 answered 2 callbacks with a status other than 2xx (the last 503) and did not answer 1 callback (the last: timeout)",
	}
	rep := r.Report()
	if len(rep.Findings) != len(want) {
		t.Fatalf("%d findings; want %d: %+v", len(rep.Findings), len(want), rep.Findings)
	}
	for _, f := range rep.Findings {
		if f.Message != want[f.Kind] {
			t.Errorf("%s:\n got  %s\n want %s", f.Kind, f.Message, want[f.Kind])
		}
		if f.Advice == "" || strings.Contains(f.Message, "key") && !strings.Contains(f.Message, redact.LabelPrefix) {
			t.Errorf("%s: advice %q, message %q", f.Kind, f.Advice, f.Message)
		}
	}
}

// TestRetryAfterStatusIsNamed: the finding says which answer's Retry-After was ignored.
func TestRetryAfterStatusIsNamed(t *testing.T) {
	r := newRecorder(t, coverage.Options{})
	r.Request(coverage.Request{Seq: 1, At: at(0), Key: "k", Operation: lumamock.OpGet, Status: 503, RetryAfter: 2 * time.Second})
	r.Request(coverage.Request{Seq: 2, At: at(time.Second), Key: "k", Operation: lumamock.OpGet, Status: 404})
	r.Request(coverage.Request{Seq: 3, At: at(2 * time.Second), Key: "k", Operation: lumamock.OpGet, Status: 404})
	rep := r.Report()
	if len(rep.Findings) != 1 || !strings.Contains(rep.Findings[0].Message, "Retry-After (2s) of the 503 Service Unavailable answer at requests#1 (the soonest 1s after it)") {
		t.Fatalf("findings: %+v", rep.Findings)
	}
}

// TestClientsAreKnownByTheirKeys: findings are per client, and a client's polls of another's task are its own.
func TestClientsAreKnownByTheirKeys(t *testing.T) {
	r := newRecorder(t, coverage.Options{})
	var seq int64
	a := &client{r: r, key: "sk-live-aaaaaaaaaaaa", seq: &seq}
	b := &client{r: r, key: "sk-live-bbbbbbbbbbbb", seq: &seq}
	tk := a.submit("t1", 0, 200)
	a.wait(time.Second)
	b.wait(time.Second)
	a.poll(tk, "pending")
	b.poll(tk, "pending") // the first poll of t1 by b: a's polls are a's
	a.wait(time.Second)
	b.wait(time.Second)
	a.poll(tk, "pending")
	b.wait(10 * time.Millisecond)
	b.poll(tk, "pending")
	b.wait(10 * time.Millisecond)
	b.poll(tk, "pending")
	rep := r.Report()
	got := findings(rep)
	want := []finding{{Kind: "poll-too-fast", Client: redact.Label(b.key), TaskID: "t1", Count: 1, Evidence: []string{"requests#5", "requests#6"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if rep.Clients.Seen != 2 {
		t.Errorf("%d clients seen; want 2", rep.Clients.Seen)
	}
}

// TestHookFindingsAreTheSubmitters: an unacknowledged callback is held against the client whose task it is, per
// receiver; deliveries given up by a reset or never tried are not.
func TestHookFindingsAreTheSubmitters(t *testing.T) {
	r := newRecorder(t, coverage.Options{})
	var a, b coverage.Task
	r.Bind(&a, "ta", "key-a")
	r.Bind(&b, "tb", "key-b")
	evs := []coverage.Callback{
		{Seq: 1, Task: &a, Event: 1, Receiver: "127.0.0.1:9000", Attempt: 1, Status: 500, Outcome: "retrying"},
		{Seq: 2, Task: &a, Event: 1, Receiver: "127.0.0.1:9000", Attempt: 2, Status: 500, Outcome: "failed"},
		{Seq: 3, Task: &a, Event: 2, Receiver: "[::1]:9001", Attempt: 1, Outcome: "failed", Error: "connection refused"},
		{Seq: 4, Task: &b, Event: 1, Receiver: "127.0.0.1:9000", Attempt: 1, Outcome: "cancelled", Error: "cancelled by reset"},
		{Seq: 5, Task: &b, Event: 1, Receiver: "127.0.0.1:9000", Attempt: 0, Outcome: "abandoned", Error: "queue full"},
		{Seq: 6, Task: &b, Event: 2, Receiver: "127.0.0.1:9000", Attempt: 1, Status: 202, Outcome: "delivered"},
	}
	for _, ev := range evs {
		ev.At = at(time.Duration(ev.Seq) * time.Second)
		r.Callback(ev)
	}
	want := []finding{
		{Kind: "hook-not-acknowledged", Client: redact.Label("key-a"), Receiver: "127.0.0.1:9000", Count: 2, Evidence: []string{"callbacks#1", "callbacks#2"}},
		{Kind: "hook-not-acknowledged", Client: redact.Label("key-a"), Receiver: "[::1]:9001", Count: 1, Evidence: []string{"callbacks#3"}},
	}
	if diff := cmp.Diff(want, findings(r.Report())); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

// TestThresholdsAreOptions: the thresholds decide, and the report says which were in force.
func TestThresholdsAreOptions(t *testing.T) {
	r := newRecorder(t, coverage.Options{Thresholds: coverage.Thresholds{PollMinInterval: 10 * time.Millisecond, PollAfterEnd: 1, ResubmitWindow: time.Millisecond}})
	var seq int64
	c := &client{r: r, key: "k", seq: &seq}
	tk := c.submit("t1", 7, 200)
	c.wait(time.Second)
	c.submit("t2", 7, 200)
	for range 2 {
		c.wait(20 * time.Millisecond)
		c.poll(tk, "completed")
	}
	rep := r.Report()
	want := []finding{{Kind: "poll-after-end", Client: redact.Label("k"), TaskID: "t1", Count: 1, Evidence: []string{"requests#3", "requests#4"}}}
	if diff := cmp.Diff(want, findings(rep)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if got, want := rep.Thresholds, (coverage.Thresholds{PollMinInterval: 10 * time.Millisecond, PollAfterEnd: 1, ResubmitWindow: time.Millisecond}); got != want {
		t.Errorf("thresholds %+v; want %+v", got, want)
	}
	if got := newRecorder(t, coverage.Options{}).Thresholds(); got != (coverage.Thresholds{PollMinInterval: time.Second, PollAfterEnd: 3, ResubmitWindow: 10 * time.Second}) {
		t.Errorf("default thresholds %+v", got)
	}
}

// TestFindingListsAreBounded: one client's findings are listed up to the bound, each with bounded evidence, and
// every occurrence is still counted.
func TestFindingListsAreBounded(t *testing.T) {
	r := newRecorder(t, coverage.Options{MaxFindings: 5, MaxEvidence: 3})
	var seq int64
	c := &client{r: r, key: "k", seq: &seq}
	for i := range 50 {
		tk := c.submit(fmt.Sprint("t", i), 0, 200)
		for range 4 {
			c.poll(tk, "pending") // no wait at all: too fast
		}
	}
	rep := r.Report()
	if len(rep.Findings) != 5 {
		t.Fatalf("%d findings listed; want 5", len(rep.Findings))
	}
	for _, f := range rep.Findings {
		if f.Count != 3 || len(f.Evidence) != 3 {
			t.Errorf("%s: count %d, %d evidence; want 3, 3", f.TaskID, f.Count, len(f.Evidence))
		}
	}
	if rep.Totals["poll-too-fast"] != 150 || rep.FindingCount() != 150 || rep.Unlisted != 135 {
		t.Errorf("totals %v, count %d, unlisted %d; want 150, 150, 135", rep.Totals, rep.FindingCount(), rep.Unlisted)
	}
}

// TestAFloodOfKeysIsBounded: a flood of distinct API keys, each misbehaving, keeps at most MaxClients clients
// and memory flat; the forgotten clients are counted and their findings still are.
func TestAFloodOfKeysIsBounded(t *testing.T) {
	const keys = 100_000
	r := newRecorder(t, coverage.Options{MaxClients: 100})
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	flood := func(from, to int) {
		for i := from; i < to; i++ {
			key := fmt.Sprintf("flood-key-%08d", i)
			r.Request(coverage.Request{Seq: int64(2*i + 1), At: at(0), Key: key, Operation: lumamock.OpCreate, Status: 429, RetryAfter: time.Second})
			r.Request(coverage.Request{Seq: int64(2*i + 2), At: at(time.Millisecond), Key: key, Operation: lumamock.OpCreate, Status: 429, RetryAfter: time.Second})
		}
	}
	flood(0, keys/10)
	before := heap()
	flood(keys/10, keys)
	after := heap()
	rep := r.Report()
	if rep.Clients.Seen != 100 || rep.Clients.Forgotten != keys-100 || rep.Clients.Max != 100 {
		t.Errorf("clients %+v; want 100 seen, %d forgotten", rep.Clients, keys-100)
	}
	if rep.Totals["retry-after-ignored"] != keys || len(rep.Findings) != 100 || rep.Unlisted != keys-100 {
		t.Errorf("%d occurrences, %d listed, %d unlisted; want %d, 100, %d", rep.Totals["retry-after-ignored"], len(rep.Findings), rep.Unlisted, keys, keys-100)
	}
	// 90,000 more keys: the memory kept does not grow with them (allow 1 MiB of noise).
	if after > before+1<<20 {
		t.Errorf("heap grew from %d to %d bytes over 90,000 more keys", before, after)
	}
}

// TestNothingWaitsForAlive: the Recorder asks Alive with no lock held, so a slow answer holds up neither other
// requests of the same client nor a Report.
func TestNothingWaitsForAlive(t *testing.T) {
	asked, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	r := newRecorder(t, coverage.Options{Alive: func(string, time.Time) bool {
		once.Do(func() { close(asked) })
		<-release
		return true
	}})
	var seq int64
	c := &client{r: r, key: "k", seq: &seq}
	c.submit("t1", 9, 200)
	done := make(chan struct{})
	go func() {
		defer close(done)
		var seq2 int64 = 100
		(&client{r: r, key: "k", seq: &seq2}).submit("t2", 9, 200) // asks Alive(t1), which blocks
	}()
	<-asked
	// Meanwhile the same client's requests and a report go through.
	tk := c.submit("t3", 1, 200)
	c.poll(tk, "pending")
	if rep := r.Report(); rep.Covered == 0 {
		t.Error("no coverage while Alive was blocked")
	}
	close(release)
	<-done
	if n := r.Report().Totals["resubmitted"]; n != 1 {
		t.Errorf("%d resubmitted; want 1", n)
	}
}

// TestRecorderUnderLoad: requests, callbacks, reports and resets at once, under -race, with the invariants of a
// report holding throughout.
func TestRecorderUnderLoad(t *testing.T) {
	r := newRecorder(t, coverage.Options{MaxClients: 8, MaxFindings: 4})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := range 4 {
		wg.Go(func() {
			var seq int64
			c := &client{r: r, key: fmt.Sprint("key-", g%3), seq: &seq}
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				tk := c.submit(fmt.Sprint(g, "-", i), uint64(i%3), []int{200, 200, 429}[i%3])
				c.poll(tk, []lumamock.TaskState{"pending", "completed"}[i%2])
				r.Callback(coverage.Callback{Seq: int64(i), At: at(c.now), Task: tk, Event: 1, State: "completed", Receiver: "r",
					Attempt: 1 + i%2, Status: []int{500, 200}[i%2], Outcome: []string{"retrying", "delivered"}[i%2]})
				c.wait(time.Duration(i%7) * 100 * time.Millisecond)
			}
		})
	}
	for i := range 200 {
		rep := r.Report()
		if rep.Covered > rep.Total || len(rep.Missing) != rep.Total-rep.Covered || rep.Clients.Seen > 8 {
			t.Fatalf("report %d: %d of %d covered, %d missing, %d clients", i, rep.Covered, rep.Total, len(rep.Missing), rep.Clients.Seen)
		}
		if i%50 == 49 {
			r.Reset()
		}
	}
	close(stop)
	wg.Wait()
}

// TestBudgetBoundsRecordersTogether: recorders sharing a Budget (a server's sessions) remember at most its
// clients together, each keeping at least one, and give their room back when closed; they share one Plan and
// count apart.
func TestBudgetBoundsRecordersTogether(t *testing.T) {
	plan, err := coverage.NewPlan(lumamock.MustLoad(), faults)
	if err != nil {
		t.Fatal(err)
	}
	budget := coverage.NewBudget(10)
	var recs []*coverage.Recorder
	for range 4 {
		r, err := coverage.New(coverage.Options{Plan: plan, Budget: budget})
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	for i := range 400 {
		r := recs[i%len(recs)]
		r.Request(coverage.Request{Seq: int64(i + 1), At: at(0), Key: fmt.Sprint("key-", i), Operation: lumamock.OpGet, Status: 404})
		if used := budget.Used(); used > 10 {
			t.Fatalf("after %d keys, %d clients remembered; the budget is 10", i+1, used)
		}
	}
	var seen int
	for _, r := range recs {
		rep := r.Report()
		seen += rep.Clients.Seen
		if rep.Clients.Seen < 1 || rep.Covered != 1 || rep.Items[0].Count != 0 {
			t.Errorf("a recorder: %+v, %d covered", rep.Clients, rep.Covered)
		}
	}
	if seen != budget.Used() {
		t.Errorf("the recorders remember %d clients, the budget counts %d", seen, budget.Used())
	}
	recs[0].Request(coverage.Request{Seq: 999, At: at(0), Key: "k", Operation: lumamock.OpCreate, Status: 429})
	if recs[1].Report().Items[6].Count != 0 || recs[0].Report().Items[6].Count != 1 {
		t.Error("recorders sharing a plan count together")
	}
	for _, r := range recs {
		r.Close()
	}
	if used := budget.Used(); used != 0 {
		t.Errorf("%d clients still counted after every recorder closed", used)
	}
}

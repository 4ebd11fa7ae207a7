package mock_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

// taskCounts returns how many tasks each session keeps.
func taskCounts(m *mock.Server) map[string]int {
	out := map[string]int{}
	for _, s := range m.Sessions() {
		out[s.Name] = s.Tasks
	}
	return out
}

// TestTaskLimitsHoldForAllSessions: MaxTasks holds for the tasks of every session together, and the least
// recently used session gives way first; the session served keeps its newest task.
func TestTaskLimitsHoldForAllSessions(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{MaxTasks: 4})
	a, b := sess{t, srv.URL, "a"}, sess{t, srv.URL, "b"}
	first := a.create("")
	a.create("")
	a.create("")
	b.create("")
	b.create("") // 5 tasks: a, used least recently, loses its oldest
	if got := taskCounts(srv.Mock); got["a"] != 2 || got["b"] != 2 {
		t.Fatalf("tasks %v, want a:2 b:2", got)
	}
	a.want(http.StatusNotFound, http.MethodGet, "/luma/generations/"+first, "")
	for range 3 {
		b.create("")
	} // a's two go, then b's own oldest
	if got := taskCounts(srv.Mock); got["a"] != 0 || got["b"] != 4 {
		t.Errorf("tasks %v, want a:0 b:4", got)
	}
}

// TestJournalLimitsHoldForAllSessions: JournalMaxBytes holds for each journal of every session together; the
// least recently used session's oldest entries go first.
func TestJournalLimitsHoldForAllSessions(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{JournalMaxBytes: 16 << 10})
	a, b := sess{t, srv.URL, "a"}, sess{t, srv.URL, "b"}
	for range 6 {
		a.create("")
	}
	for range 30 {
		b.create("")
	}
	ra, rb := mustSession(t, srv.Mock, "a").Requests(), mustSession(t, srv.Mock, "b").Requests()
	if len(ra) != 0 || len(rb) == 0 || len(rb) == 30 {
		t.Errorf("a keeps %d requests, b %d of 30: want a none, b some", len(ra), len(rb))
	}
	var bytes int
	for _, r := range append(ra, rb...) {
		data, _ := json.Marshal(r)
		bytes += len(data)
	}
	if bytes > 2*16<<10 {
		t.Errorf("the journals hold about %d bytes, for a limit of %d", bytes, 16<<10)
	}
}

// TestCallbackQueuesArePerSession: a suite filling a receiver's queue gives up only its own callbacks; another
// suite's callbacks to the same receiver wait in a queue of their own and arrive.
func TestCallbackQueuesArePerSession(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{CallbackQueue: 2, Pending: mock.Immediate, Processing: mock.Immediate})
	hook := mocktest.NewHookReceiver(t)
	release := make(chan struct{})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	hook.RespondFunc(func(d mocktest.Delivery) int { <-release; return http.StatusOK })
	flood, calm := sess{t, srv.URL, "flood"}, sess{t, srv.URL, "calm"}
	for range 5 {
		flood.create(hook.URL)
	}
	quiet := calm.create(hook.URL)
	once.Do(func() { close(release) })
	srv.Advance(0)
	if got := hook.States(quiet); !slices.Equal(got, []lumamock.TaskState{lumamock.StateProcessing, lumamock.StateCompleted}) {
		t.Errorf("the calm suite's task got %v", got)
	}
	var given int
	for _, c := range mustSession(t, srv.Mock, "flood").Callbacks() {
		if c.Outcome == mock.OutcomeAbandoned && strings.Contains(c.Error, "(session flood) full") {
			given++
		}
	}
	if given == 0 {
		t.Errorf("the flooding suite gave nothing up: %+v", mustSession(t, srv.Mock, "flood").Callbacks())
	}
	for _, c := range mustSession(t, srv.Mock, "calm").Callbacks() {
		if c.Outcome != mock.OutcomeDelivered {
			t.Errorf("a calm suite's callback: %+v", c)
		}
	}
}

// TestSessionFloodStaysWithinLimits: a flood of new session names, each making a task, takes no more memory than
// MaxSessions sessions do: the oldest are evicted (a log line each), and the heap after 100,000 names is about
// what it is after 10,000.
func TestSessionFloodStaysWithinLimits(t *testing.T) {
	names := 100_000
	if raceDetector || testing.Short() {
		names = 20_000
	}
	logs := &countingHandler{msgs: map[string]int{}}
	m, err := mock.New(mock.Options{Clock: mock.NewManualClock(mocktest.Start), Seed: 1, Logger: slog.New(logs)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	body := `{"user_prompt":"` + strings.Repeat("p", 200) + `"}`
	send := func(i int) {
		req := httptest.NewRequest(http.MethodPost, lumamock.PathGenerations, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer k")
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(mock.HeaderSession, fmt.Sprintf("flood-%d", i))
		w := httptest.NewRecorder()
		m.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			t.Fatalf("request %d: %d %s", i, w.Code, w.Body)
		}
	}
	base := heapInUse()
	for i := range 10_000 {
		send(i)
	}
	at10k := heapInUse()
	for i := 10_000; i < names; i++ {
		send(i)
	}
	atEnd := heapInUse()
	sessions := m.Sessions()
	t.Logf("heap: %d KiB at start, %d KiB after 10,000 names, %d KiB after %d; %d sessions kept, %d evicted",
		base>>10, at10k>>10, atEnd>>10, names, len(sessions), logs.count(evictedLog))
	if len(sessions) != mock.DefaultMaxSessions {
		t.Errorf("%d sessions kept, want %d", len(sessions), mock.DefaultMaxSessions)
	}
	if got, want := logs.count(evictedLog), names-mock.DefaultMaxSessions; got != want {
		t.Errorf("%d eviction log lines, want %d", got, want)
	}
	// 1,000 sessions, each with a task and a journal entry, take a few MiB; the flood must not add to it.
	perSession := (int64(at10k) - int64(base)) / mock.DefaultMaxSessions
	if perSession > 16<<10 {
		t.Errorf("a session with one task takes %d bytes", perSession)
	}
	if grew := int64(atEnd) - int64(at10k); grew > 4<<20 {
		t.Errorf("the heap grew by %d KiB from 10,000 names to %d", grew>>10, names)
	}
	sort.Slice(sessions, func(i, j int) bool { return sessions[i].LastUsed.After(sessions[j].LastUsed) })
	if sessions[0].Name != fmt.Sprintf("flood-%d", names-1) {
		t.Errorf("the newest session kept is %s", sessions[0].Name)
	}
}

// hangingReceiver accepts callbacks and never answers them until the test ends; arrived is closed when the
// first comes.
func hangingReceiver(t *testing.T) (url string, arrived <-chan struct{}) {
	release, first := make(chan struct{}), make(chan struct{})
	var once sync.Once
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(first) })
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); hs.Close() })
	return hs.URL + "/hook", first
}

// TestSessionEndsNeverWaitForReceivers: reset, delete and eviction of a session whose callbacks hang at their
// receivers (loopback servers that never answer) answer at once, within 100 ms.
func TestSessionEndsNeverWaitForReceivers(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{MaxSessions: 4, Pending: mock.Immediate, Processing: mock.Immediate, CallbackTimeout: time.Hour})
	c := sess{t, srv.URL, ""}
	var took []time.Duration
	measure := func(what string, f func()) {
		start := time.Now()
		f()
		d := time.Since(start)
		took = append(took, d)
		t.Logf("%s: %s", what, d)
	}
	for round := range 3 {
		for _, name := range []string{"reset", "delete", "evicted"} {
			name := fmt.Sprintf("%s-%d", name, round)
			s := sess{t, srv.URL, name}
			var arrivals []<-chan struct{}
			for range 3 {
				url, arrived := hangingReceiver(t)
				arrivals = append(arrivals, arrived)
				for range 4 {
					s.create(url)
				}
			}
			// The deliveries are in flight, or queued behind those that hang (due at once, they were queued
			// before each answer).
			for _, arrived := range arrivals {
				select {
				case <-arrived:
				case <-time.After(10 * time.Second):
					t.Fatal("no callback reached a receiver within 10 s")
				}
			}
			switch {
			case strings.HasPrefix(name, "reset"):
				measure(name, func() { c.want(http.StatusNoContent, http.MethodPost, "/__mock/sessions/"+name+"/reset", "") })
			case strings.HasPrefix(name, "delete"):
				measure(name, func() { c.want(http.StatusNoContent, http.MethodDelete, "/__mock/sessions/"+name, "") })
			default:
				for i := range 4 { // the next four new sessions evict it
					measure(name, func() { sess{t, srv.URL, fmt.Sprintf("newcomer-%d-%d", round, i)}.create("") })
				}
				c.want(http.StatusNotFound, http.MethodGet, "/__mock/sessions/"+name, "")
			}
		}
	}
	slices.Sort(took)
	if median := took[len(took)/2]; median > 100*time.Millisecond {
		t.Errorf("median %s; want within 100 ms (all: %v)", median, took)
	}
	if worst := took[len(took)-1]; worst > 2*time.Second {
		t.Errorf("one took %s: it waited for a receiver", worst)
	}
}

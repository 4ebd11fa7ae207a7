package mock

import (
	"strconv"
	"sync"
	"time"

	"github.com/lumamock/lumamock/mock/internal/queue"
)

// MaxCapacity bounds Settings.Capacity (and Options.Capacity).
const MaxCapacity = 1_000_000

// queues are a session's busy provider: a line per API key (Settings.Capacity), at most Capacity tasks of a key
// processing at once; the others stay pending, in submission order, until a slot frees.
type queues struct {
	capacity int
	mu       sync.Mutex
	lines    map[string]*queue.Line[*task]
	sweepAt  int // the number of lines past which add forgets the empty ones
}

func newQueues(capacity int) *queues {
	if capacity <= 0 {
		return nil
	}
	return &queues{capacity: capacity, lines: make(map[string]*queue.Line[*task]), sweepAt: minSweep}
}

// minSweep is the fewest lines add sweeps at.
const minSweep = 1024

// add queues t, created at now by the client of key, and returns its entry.
func (q *queues) add(key string, t *task, now time.Time) *queue.Entry[*task] {
	q.mu.Lock()
	line := q.lines[key]
	if line == nil {
		if len(q.lines) >= q.sweepAt { // forget the lines left empty, so that keys do not pile up
			for k, l := range q.lines {
				if l.Len(now) == 0 {
					delete(q.lines, k)
				}
			}
			q.sweepAt = max(minSweep, 2*len(q.lines))
		}
		line = queue.New[*task](q.capacity)
		q.lines[key] = line
	}
	q.mu.Unlock()
	return line.Add(t, t.created.Add(t.pending), t.processing, now)
}

// reset forgets every line.
func (q *queues) reset() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.lines = make(map[string]*queue.Line[*task])
	q.sweepAt = minSweep
}

// processingAt is when t starts processing, and false if it never does (it ended, or was forgotten, while it
// waited for a slot).
func (t *task) processingAt() (time.Time, bool) {
	if t.slot == nil {
		return t.created.Add(t.pending), true
	}
	return t.slot.Start()
}

// queuePosition is t's place, from 1, among its key's tasks waiting to start processing at now; 0 when it is
// not waiting, or the server has no capacity.
func (t *task) queuePosition(now time.Time) int {
	if t.slot == nil {
		return 0
	}
	return t.slot.Position(now)
}

// queueState is t's luma queue_state at now: its queue position, in decimal, while it waits for a slot.
func (t *task) queueState(now time.Time) *string {
	if pos := t.queuePosition(now); pos > 0 {
		s := strconv.Itoa(pos)
		return &s
	}
	return nil
}

// joinQueue queues t, submitted with API key key, in its session's line for that key, when the session has a
// capacity.
func (s *Server) joinQueue(t *task, key string) {
	t.slot = nil
	if q := t.session.queues.Load(); q != nil {
		t.slot = q.add(key, t, t.created)
	}
}

// leaveQueue takes the tasks of evicted out of their lines at now, and pokes the tasks whose plan changed.
func (s *Server) leaveQueue(evicted []*task, now time.Time) {
	for _, t := range evicted {
		if t.slot != nil {
			for _, moved := range t.slot.Remove(now) {
				s.callbacks.poke(moved)
			}
		}
	}
}

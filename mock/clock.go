package mock

import (
	"sort"
	"sync"
	"time"
)

// Clock tells the time. Tests inject a virtual one so that task lifecycles take no real time.
//
// A Clock that also implements TimerClock schedules the mock's timed work (callbacks at state changes, retry
// backoff, late deliveries) itself; with a Clock that does not, that work runs on real timers set for the
// distance Now reports.
type Clock interface {
	Now() time.Time
}

// TimerClock is a Clock that runs functions at times of its own. ManualClock is one.
type TimerClock interface {
	Clock
	// AfterFunc calls f, in its own goroutine or synchronously from whatever moves the clock, once d has
	// passed on this clock. The returned Timer cancels the call.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a call scheduled with TimerClock.AfterFunc.
type Timer interface {
	// Stop cancels the call, reporting whether it did (false when the call already ran or was stopped).
	Stop() bool
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// realTimers adapts a Clock without timers: work runs on real timers set for the distance it reports.
type realTimers struct{ Clock }

func (c realTimers) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

func timerClock(c Clock) TimerClock {
	if tc, ok := c.(TimerClock); ok {
		return tc
	}
	return realTimers{c}
}

// ManualClock is a virtual clock for tests: time stands still until Advance or Set moves it, and the functions
// scheduled with AfterFunc run, in order of their due time, synchronously inside that call. The zero value is
// not usable; create one with NewManualClock.
type ManualClock struct {
	mu     sync.Mutex
	now    time.Time
	seq    uint64
	timers map[*manualTimer]struct{}
	moving sync.Mutex // serialises Advance and Set, so timers fire in order
}

// NewManualClock returns a virtual clock that reads start until it is moved.
func NewManualClock(start time.Time) *ManualClock {
	return &ManualClock{now: start, timers: make(map[*manualTimer]struct{})}
}

// Now returns the clock's current time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc schedules f to run when the clock reaches Now()+d. A call due now (d <= 0) runs at the next
// Advance or Set, even Advance(0).
func (c *ManualClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &manualTimer{clock: c, due: c.now.Add(max(d, 0)), seq: c.seq, f: f}
	c.timers[t] = struct{}{}
	return t
}

// Advance moves the clock forward by d (not backward: a negative d counts as zero), running every function
// that falls due on the way, each with the clock reading its due time. Functions scheduled by those functions
// run too if they fall due by the end.
func (c *ManualClock) Advance(d time.Duration) {
	c.moving.Lock()
	defer c.moving.Unlock()
	c.mu.Lock()
	target := c.now.Add(max(d, 0))
	c.mu.Unlock()
	c.moveTo(target)
}

// Set moves the clock to t, running what falls due as Advance does. A t before Now leaves the clock where it is.
func (c *ManualClock) Set(t time.Time) {
	c.moving.Lock()
	defer c.moving.Unlock()
	c.moveTo(t)
}

// Pending reports how many scheduled functions have not run yet.
func (c *ManualClock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

func (c *ManualClock) moveTo(target time.Time) {
	for {
		c.mu.Lock()
		var due []*manualTimer
		for t := range c.timers {
			if !t.due.After(target) {
				due = append(due, t)
			}
		}
		if len(due) == 0 {
			if target.After(c.now) {
				c.now = target
			}
			c.mu.Unlock()
			return
		}
		sort.Slice(due, func(i, j int) bool {
			if !due[i].due.Equal(due[j].due) {
				return due[i].due.Before(due[j].due)
			}
			return due[i].seq < due[j].seq
		})
		next := due[0]
		delete(c.timers, next)
		if next.due.After(c.now) {
			c.now = next.due
		}
		c.mu.Unlock()
		next.f()
	}
}

type manualTimer struct {
	clock *ManualClock
	due   time.Time
	seq   uint64
	f     func()
}

func (t *manualTimer) Stop() bool {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	if _, ok := t.clock.timers[t]; !ok {
		return false
	}
	delete(t.clock.timers, t)
	return true
}

// Package clock is the mock's time: one Clock interface that tells the time and runs functions later, the
// system's clock, and Virtual, a clock that is moved by hand.
//
// A Virtual clock reads its base clock plus an offset, or stands still at an instant (frozen); Advance and Set
// move it forward and run, in order, the functions that fall due on the way, each seeing the clock at its due
// time. A Virtual clock without a base is always frozen: the manual clock of tests (mock.ManualClock). One with
// a base runs with it, and its timers also fire when the base's time reaches them, so a Virtual clock over
// the server's clock is a clock of its own that can be moved, frozen and resumed (a session's clock).
//
// A move can wait for the work its functions start elsewhere (the mock: the callbacks they submit, made by other
// goroutines) with OnSettle: before each function due and at its end, the move calls the settle functions, with
// the clock still reading the due time, so that this work too sees the time it fell due at, and what it
// schedules (a retry) runs in the same move if it falls due by its end.
//
// Locks: a Virtual clock calls its base (Now, AfterFunc, Stop) while holding its own lock and never the other way
// round, so clocks stacked on one another cannot deadlock; it runs due functions with no lock held but the one
// that keeps its moves in order (a function it runs must not move the same clock).
package clock

import (
	"container/heap"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Clock tells the time and runs functions later.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f, in its own goroutine or from whatever moves the clock, once d has passed on this
	// clock. The returned Timer cancels the call.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a call scheduled with Clock.AfterFunc.
type Timer interface {
	// Stop cancels the call, reporting whether it did (false when the call already ran or was stopped).
	Stop() bool
}

// System is the system's clock: time.Now and time.AfterFunc.
var System Clock = system{}

type system struct{}

func (system) Now() time.Time                            { return time.Now() }
func (system) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// Virtual is a clock moved by hand. Create it with NewManual or NewVirtual.
type Virtual struct {
	base Clock // nil: always frozen

	mu     sync.Mutex
	frozen bool
	at     time.Time     // what it reads while frozen
	offset time.Duration // added to base.Now() while running
	// pinned, during a move, holds the clock at pin: the due time of the function running, then the target.
	pinned bool
	pin    time.Time
	seq    uint64
	timers timerHeap
	// armed is the base's timer set for the earliest of timers while the clock runs; armedFor is its due time,
	// armGen counts the armings, so that a stale one is stopped.
	armed    Timer
	armedFor time.Time
	armGen   uint64

	settles []*func() // OnSettle's functions, called during moves

	moving sync.Mutex // serialises moves and the runs of due functions, so that they run in order

	// reading is what Now reads without the lock, published (publishLocked) by every change of frozen, at,
	// offset, pinned and pin, under mu: Now runs several times for every request a server answers. Under mu,
	// Now reads what the fields say.
	reading atomic.Pointer[reading]
}

// reading is the state Now reads: fixed at at (frozen, pinned or without a base), or offset from the base.
type reading struct {
	fixed  bool
	at     time.Time
	offset time.Duration
}

// publishLocked publishes the state for Now, with c.mu held (or before c is shared).
func (c *Virtual) publishLocked() {
	r := &reading{offset: c.offset}
	switch {
	case c.pinned:
		r.fixed, r.at = true, c.pin
	case c.frozen || c.base == nil:
		r.fixed, r.at = true, c.at
	}
	c.reading.Store(r)
}

// NewManual returns a clock that reads start until Advance or Set moves it.
func NewManual(start time.Time) *Virtual {
	c := &Virtual{frozen: true, at: start}
	c.publishLocked()
	return c
}

// NewVirtual returns a clock that runs with base, from base's time, until Freeze stops it.
func NewVirtual(base Clock) *Virtual {
	c := &Virtual{base: base}
	c.publishLocked()
	return c
}

// Now returns the clock's time.
func (c *Virtual) Now() time.Time {
	r := c.reading.Load()
	if r.fixed {
		return r.at
	}
	return c.base.Now().Add(r.offset)
}

// Frozen reports whether the clock stands still.
func (c *Virtual) Frozen() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.frozen || c.base == nil
}

// AfterFunc schedules f to run when the clock reaches Now()+d. On a frozen clock a call due now (d <= 0) runs
// at the next Advance or Set, even Advance(0).
func (c *Virtual) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	c.seq++
	t := &timer{clock: c, due: c.Now().Add(max(d, 0)), seq: c.seq, f: f}
	heap.Push(&c.timers, t)
	first := c.timers[0] == t
	c.mu.Unlock()
	if first {
		c.arm()
	}
	return t
}

// Pending reports how many scheduled functions have not run yet.
func (c *Virtual) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// Advance moves the clock forward by d (a negative d counts as zero), running every function that falls due on
// the way, in order of due time, each with the clock reading its due time; functions scheduled by those run
// too if they fall due by the end. A running clock keeps running afterwards, d ahead of where it was.
func (c *Virtual) Advance(d time.Duration) {
	c.move(func(now time.Time) time.Time { return now.Add(max(d, 0)) })
}

// Set moves the clock to t, running what falls due as Advance does. A t before Now leaves the clock where it
// is (it still runs the functions due now).
func (c *Virtual) Set(t time.Time) {
	c.move(func(now time.Time) time.Time {
		if t.Before(now) {
			return now
		}
		return t
	})
}

// OnSettle adds f to the functions a move (Advance or Set) calls before it runs each function due, and once
// more before it ends, with the clock reading the time it stands at: f waits until the work the functions run
// so far have started elsewhere is done, so that this work reads the clock at the time it fell due and what it
// schedules by the end of the move runs in it. f is called with no lock held but the one that keeps moves in
// order: it must not move the clock, nor wait for anything that does. It returns a function that removes f.
func (c *Virtual) OnSettle(f func()) (remove func()) {
	p := &f
	c.mu.Lock()
	c.settles = append(c.settles, p)
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.settles = slices.DeleteFunc(c.settles, func(q *func()) bool { return q == p })
	}
}

// settle calls the OnSettle functions, with c.moving held.
func (c *Virtual) settle() {
	c.mu.Lock()
	fs := slices.Clone(c.settles)
	c.mu.Unlock()
	for _, f := range fs {
		(*f)()
	}
}

// Freeze stops the clock at its time now, until Resume.
func (c *Virtual) Freeze() {
	c.moving.Lock()
	defer c.moving.Unlock()
	c.mu.Lock()
	if !c.frozen {
		c.at, c.frozen = c.Now(), true
		c.publishLocked()
	}
	c.mu.Unlock()
	c.arm()
}

// Resume lets a frozen clock run again with its base, from the time it stood at. A clock without a base stays
// frozen.
func (c *Virtual) Resume() {
	c.moving.Lock()
	defer c.moving.Unlock()
	c.mu.Lock()
	if c.frozen && c.base != nil {
		c.offset, c.frozen = c.at.Sub(c.base.Now()), false
		c.publishLocked()
	}
	c.mu.Unlock()
	c.arm()
}

// move moves the clock to target(now), running what falls due on the way.
func (c *Virtual) move(target func(now time.Time) time.Time) {
	c.moving.Lock()
	defer c.moving.Unlock()
	c.mu.Lock()
	start := c.Now()
	to := target(start)
	c.pinned, c.pin = true, start
	c.publishLocked()
	c.mu.Unlock()
	c.runDue(to, true)
	c.mu.Lock()
	if c.frozen || c.base == nil {
		c.at = to
	} else {
		c.offset = to.Sub(c.base.Now())
	}
	c.pinned = false
	c.publishLocked()
	c.mu.Unlock()
	c.arm()
}

// runDue runs, in order, the functions due by until, with c.moving held; while the clock is pinned (a move),
// it reads each function's due time as the function runs. With settle (a move), it lets the work of each
// function settle before it runs the next, and before it returns.
func (c *Virtual) runDue(until time.Time, settle bool) {
	for {
		if settle {
			c.settle()
		}
		c.mu.Lock()
		if len(c.timers) == 0 || c.timers[0].due.After(until) {
			if c.pinned && until.After(c.pin) {
				c.pin = until
				c.publishLocked()
			}
			c.mu.Unlock()
			return
		}
		t := heap.Pop(&c.timers).(*timer)
		if c.pinned && t.due.After(c.pin) {
			c.pin = t.due
			c.publishLocked()
		}
		c.mu.Unlock()
		t.f()
	}
}

// fire runs the functions due by now: the base's timer calls it while the clock runs.
func (c *Virtual) fire() {
	c.moving.Lock()
	defer c.moving.Unlock()
	c.mu.Lock()
	c.armed = nil
	run := !c.frozen && !c.pinned
	now := c.Now()
	c.mu.Unlock()
	if run {
		c.runDue(now, false) // a base's timer: real time, which waits for no one
	}
	c.arm()
}

// arm sets the base's timer for the earliest function due, while the clock runs, and stops the one set before.
func (c *Virtual) arm() {
	c.mu.Lock()
	var stale, set Timer
	defer func() {
		if stale != nil {
			stale.Stop()
		}
	}()
	if c.base == nil || c.frozen || c.pinned || len(c.timers) == 0 {
		stale, c.armed = c.armed, nil
		c.mu.Unlock()
		return
	}
	due := c.timers[0].due
	if c.armed != nil && c.armedFor.Equal(due) {
		c.mu.Unlock()
		return
	}
	stale, c.armed = c.armed, nil
	c.armGen++
	gen := c.armGen
	wait := due.Sub(c.Now())
	set = c.base.AfterFunc(wait, c.fire)
	if c.armGen == gen {
		c.armed, c.armedFor = set, due
	}
	c.mu.Unlock()
}

type timer struct {
	clock *Virtual
	due   time.Time
	seq   uint64
	index int // in the clock's heap; -1 once run or stopped
	f     func()
}

// Stop cancels the call, reporting whether it did.
func (t *timer) Stop() bool {
	c := t.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.index < 0 {
		return false
	}
	heap.Remove(&c.timers, t.index)
	return true
}

// timerHeap orders timers by due time, then by when they were scheduled.
type timerHeap []*timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if !h[i].due.Equal(h[j].due) {
		return h[i].due.Before(h[j].due)
	}
	return h[i].seq < h[j].seq
}
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *timerHeap) Push(x any) {
	t := x.(*timer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	t.index = -1
	return t
}

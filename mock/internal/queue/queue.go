// Package queue plans a busy provider's queue: one API key's tasks, in submission order, of which at most
// Capacity are processing at once. A task is ready to start once its own pending time has passed; it starts when
// it is ready, a slot is free and every task submitted before it has started (first come, first served). Its
// plan (when it starts) is a function of the plans of the tasks ahead, so a GET, a callback and the admin API
// always agree on it.
//
// The plan changes only when a task ends before its planned end (a forced end frees its slot) or leaves the
// queue (evicted, or ended while waiting): then the tasks behind it are planned again from that moment on, never
// before it, so that what a client was told happened still happened. Adding a task never changes the plans of
// the tasks ahead of it.
package queue

import (
	"container/heap"
	"slices"
	"sort"
	"sync"
	"time"
)

// Line is one key's tasks, each an Entry holding a value of type T (the caller's task). It is safe for
// concurrent use; no method calls back into the caller.
type Line[T any] struct {
	capacity int

	mu      sync.Mutex
	seq     int64
	entries []*Entry[T] // in the queue, oldest first; their starts never decrease
	// slots is the state after the last entry: the entries holding the slots, by when each frees its slot.
	slots     slotHeap[T]
	lastStart time.Time
}

// Entry is one task in a Line.
type Entry[T any] struct {
	// Value is the caller's task.
	Value T

	line  *Line[T]
	seq   int64
	ready time.Time     // its own pending time has passed
	work  time.Duration // its processing time
	// Guarded by the line's mu:
	start   time.Time
	end     time.Time
	never   bool      // ended before it started: it never holds a slot
	blocker *Entry[T] // the entry whose end freed its slot, when it starts at that end
	out     bool      // no longer in entries
}

// New returns the line of a key, with at most capacity (at least 1) entries processing at once.
func New[T any](capacity int) *Line[T] { return &Line[T]{capacity: max(capacity, 1)} }

// Add queues a task submitted at now, ready to start at ready and processing for work, and returns its entry.
// The plans of the entries ahead do not change.
func (l *Line[T]) Add(value T, ready time.Time, work time.Duration, now time.Time) *Entry[T] {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pruneLocked(now)
	l.seq++
	e := &Entry[T]{Value: value, line: l, seq: l.seq, ready: ready, work: max(work, 0)}
	l.planLocked(e, now)
	l.entries = append(l.entries, e)
	return e
}

// planLocked gives e its start after the entries planned so far, and takes its slot.
func (l *Line[T]) planLocked(e *Entry[T], now time.Time) {
	start := latest(e.ready, now, l.lastStart)
	e.blocker = nil
	if len(l.slots) >= l.capacity {
		holder := heap.Pop(&l.slots).(*Entry[T])
		if !holder.end.Before(start) {
			start, e.blocker = holder.end, holder
		}
	}
	e.start, e.end = start, start.Add(e.work)
	heap.Push(&l.slots, e)
	l.lastStart = start
}

func latest(ts ...time.Time) time.Time {
	out := ts[0]
	for _, t := range ts[1:] {
		if t.After(out) {
			out = t
		}
	}
	return out
}

// Start returns when e starts processing, or false if it never does (it ended, or left the line, before).
func (e *Entry[T]) Start() (time.Time, bool) {
	l := e.line
	l.mu.Lock()
	defer l.mu.Unlock()
	return e.start, !e.never
}

// Blocker returns the entry whose end frees e's slot, when e starts right at that end, and when that is.
func (e *Entry[T]) Blocker() (blocker *Entry[T], at time.Time) {
	l := e.line
	l.mu.Lock()
	defer l.mu.Unlock()
	if e.never || e.blocker == nil {
		return nil, time.Time{}
	}
	return e.blocker, e.start
}

// Position is e's place among the entries waiting to start at now, from 1; 0 when e has started or never
// will.
func (e *Entry[T]) Position(now time.Time) int {
	l := e.line
	l.mu.Lock()
	defer l.mu.Unlock()
	if e.never || e.out || !e.start.After(now) {
		return 0
	}
	first := sort.Search(len(l.entries), func(i int) bool { return l.entries[i].start.After(now) })
	at := sort.Search(len(l.entries), func(i int) bool { return l.entries[i].seq >= e.seq })
	return at - first + 1
}

// End ends e at now: a processing entry frees its slot, a waiting one leaves the line without starting. It
// returns the values of the entries whose start changed.
func (e *Entry[T]) End(now time.Time) []T {
	return e.line.change(e, now, false)
}

// Remove takes e out of the line at now, as End does, for a task the caller forgets.
func (e *Entry[T]) Remove(now time.Time) []T {
	return e.line.change(e, now, true)
}

func (l *Line[T]) change(e *Entry[T], now time.Time, remove bool) []T {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e.out {
		return nil
	}
	switch {
	case e.never:
	case e.start.After(now): // waiting: it never starts
		e.never, remove = true, true
	case e.end.After(now): // processing: its slot frees now
		e.end = now
	default: // done already: nothing changes but the line's length
		if remove {
			l.dropLocked(e)
		}
		return nil
	}
	if remove {
		l.dropLocked(e)
	}
	changed := l.replanLocked(now)
	l.pruneLocked(now)
	return changed
}

// dropLocked takes e out of entries.
func (l *Line[T]) dropLocked(e *Entry[T]) {
	i := sort.Search(len(l.entries), func(i int) bool { return l.entries[i].seq >= e.seq })
	if i < len(l.entries) && l.entries[i] == e {
		l.entries = slices.Delete(l.entries, i, i+1)
	}
	e.out, e.blocker = true, nil
}

// replanLocked plans again, from now on, the entries that have not started by now, and returns those whose
// start changed. The entries that started keep their start; those still processing hold their slots.
func (l *Line[T]) replanLocked(now time.Time) []T {
	l.slots = l.slots[:0]
	l.lastStart = time.Time{}
	first := sort.Search(len(l.entries), func(i int) bool { return l.entries[i].start.After(now) })
	for _, e := range l.entries[:first] {
		if e.end.After(now) {
			heap.Push(&l.slots, e)
		}
		l.lastStart = latest(l.lastStart, e.start)
	}
	var changed []T
	for _, e := range l.entries[first:] {
		old, oldBlocker := e.start, e.blocker
		l.planLocked(e, now)
		if !e.start.Equal(old) || e.blocker != oldBlocker {
			changed = append(changed, e.Value)
		}
	}
	return changed
}

// pruneLocked forgets the entries at the head of the line that have ended by now.
func (l *Line[T]) pruneLocked(now time.Time) {
	n := 0
	for n < len(l.entries) && !l.entries[n].start.After(now) && !l.entries[n].end.After(now) {
		// A pruned entry lets go of its blocker, so that blockers never chain back through the line's history.
		l.entries[n].out, l.entries[n].blocker = true, nil
		n++
	}
	if n > 0 {
		l.entries = append(l.entries[:0], l.entries[n:]...)
		clear(l.entries[len(l.entries):cap(l.entries)])
	}
}

// Len is how many entries the line holds: processing, or waiting to start.
func (l *Line[T]) Len(now time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pruneLocked(now)
	return len(l.entries)
}

// slotHeap orders the entries holding slots by the end of their processing, earliest first.
type slotHeap[T any] []*Entry[T]

func (h slotHeap[T]) Len() int { return len(h) }
func (h slotHeap[T]) Less(i, j int) bool {
	if !h[i].end.Equal(h[j].end) {
		return h[i].end.Before(h[j].end)
	}
	return h[i].seq < h[j].seq
}
func (h slotHeap[T]) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *slotHeap[T]) Push(x any)   { *h = append(*h, x.(*Entry[T])) }
func (h *slotHeap[T]) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return x
}

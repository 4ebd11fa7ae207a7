// Package ring is a bounded, numbered, concurrency-safe buffer of the last N values: the journals of the mock
// and the proxy keep their records in one, so memory stays flat however long they run. A ring can also be
// bounded in bytes: given each value's size, it forgets the oldest values while their total is over a budget of
// its own, and it can count its values' sizes against a budget Shared with other rings, which their owner trims.
// A ring takes memory as it fills, not when it is made, so many rings that hold little cost little.
package ring

import (
	"sync"
	"sync/atomic"
)

// Ring keeps the last values added, numbering each from 1: at most Cap of them and, with a byte budget, as
// many of the newest as fit in it (always at least the newest).
type Ring[T any] struct {
	mu     sync.Mutex
	buf    []T     // grows to max as values come; a circular buffer once it is full
	sizes  []int64 // each kept value's size, when sizes are counted
	max    int     // values kept at most
	start  int     // index of the oldest value kept
	n      int     // values kept
	seq    int64   // number of the newest value added
	bytes  int64   // total size of the values kept
	budget int64   // of this ring alone; 0 for none
	shared *Shared // counts this ring's bytes with other rings'
	closed bool
	held   atomic.Int64 // n, readable without the lock
	sizeOf func(T) int64
}

// Shared is a byte budget several rings count their values against (see NewShared). A ring does not trim itself
// for it: the rings' owner asks Over, and drops the oldest values of the rings it chooses (DropOldest).
type Shared struct {
	limit int64
	used  atomic.Int64
}

// NewSharedBudget returns a budget of limit bytes for rings to share.
func NewSharedBudget(limit int64) *Shared { return &Shared{limit: limit} }

// Over reports whether the rings sharing b hold more than its limit.
func (b *Shared) Over() bool { return b.used.Load() > b.limit }

// Used is the total size of the values the rings sharing b hold.
func (b *Shared) Used() int64 { return b.used.Load() }

// Limit is b's limit in bytes.
func (b *Shared) Limit() int64 { return b.limit }

// New returns a Ring that keeps the last size values; size must be positive.
func New[T any](size int) *Ring[T] { return &Ring[T]{max: max(1, size)} }

// NewBudget returns a Ring that keeps the last size values whose sizes, as sizeOf tells them, add up to at
// most budget bytes; the newest value is kept whatever its size. sizeOf is called once per value, when it is
// added, with the ring locked. A budget that is not positive, or a nil sizeOf, means no byte bound.
func NewBudget[T any](size int, budget int64, sizeOf func(T) int64) *Ring[T] {
	r := New[T](size)
	if budget > 0 && sizeOf != nil {
		r.budget, r.sizeOf = budget, sizeOf
	}
	return r
}

// NewShared returns a Ring that keeps the last size values and counts their sizes, as sizeOf tells them,
// against shared.
func NewShared[T any](size int, shared *Shared, sizeOf func(T) int64) *Ring[T] {
	r := New[T](size)
	r.shared, r.sizeOf = shared, sizeOf
	return r
}

// Add stores the value build(seq) makes, seq counting from 1, forgetting the oldest values while the ring is
// over its count or its own byte budget. A closed ring keeps nothing: build is not called.
func (r *Ring[T]) Add(build func(seq int64) T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	if r.n == r.max {
		r.dropOldest()
	} else if r.n == len(r.buf) {
		r.grow()
	}
	r.seq++
	i := (r.start + r.n) % len(r.buf)
	r.buf[i] = build(r.seq)
	r.n++
	if r.sizeOf != nil {
		size := r.sizeOf(r.buf[i])
		r.sizes[i] = size
		r.bytes += size
		if r.shared != nil {
			r.shared.used.Add(size)
		}
		for r.budget > 0 && r.bytes > r.budget && r.n > 1 {
			r.dropOldest()
		}
	}
	r.held.Store(int64(r.n))
}

// grow makes room for more values, up to max, keeping them in order from index 0.
func (r *Ring[T]) grow() {
	size := min(r.max, max(2, 2*len(r.buf)))
	buf := make([]T, size)
	for k := range r.n {
		buf[k] = r.buf[(r.start+k)%len(r.buf)]
	}
	if r.sizeOf != nil {
		sizes := make([]int64, size)
		for k := range r.n {
			sizes[k] = r.sizes[(r.start+k)%len(r.sizes)]
		}
		r.sizes = sizes
	}
	r.buf, r.start = buf, 0
}

// dropOldest forgets the oldest value kept, letting go of what it references.
func (r *Ring[T]) dropOldest() {
	var zero T
	r.buf[r.start] = zero
	if r.sizes != nil {
		r.bytes -= r.sizes[r.start]
		if r.shared != nil {
			r.shared.used.Add(-r.sizes[r.start])
		}
		r.sizes[r.start] = 0
	}
	r.start = (r.start + 1) % len(r.buf)
	r.n--
}

// DropOldest forgets the oldest value kept, unless keepNewest is set and it is the only one; it reports whether
// it dropped one. Owners of rings that share a budget trim with it.
func (r *Ring[T]) DropOldest(keepNewest bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == 0 || keepNewest && r.n == 1 {
		return false
	}
	r.dropOldest()
	r.held.Store(int64(r.n))
	return true
}

// Held reports how many values the ring keeps, without waiting for its lock (the count may be a moment old).
func (r *Ring[T]) Held() int { return int(r.held.Load()) }

// List returns the values kept, oldest first.
func (r *Ring[T]) List() []T { return r.Since(0, -1, nil) }

// Since returns, oldest first, the values kept whose number is above seq and that keep accepts (nil accepts
// every value): at most limit of them, or all when limit is negative. It copies only the values it returns;
// keep runs with the ring locked and must not call it.
func (r *Ring[T]) Since(seq int64, limit int, keep func(*T) bool) []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	oldest := r.seq - int64(r.n) + 1 // the number of the value at start
	skip := 0
	if seq >= oldest {
		skip = int(min(seq-oldest+1, int64(r.n)))
	}
	want := r.n - skip
	if limit >= 0 {
		want = min(want, limit)
	}
	out := make([]T, 0, want)
	for k := skip; k < r.n && (limit < 0 || len(out) < limit); k++ {
		v := &r.buf[(r.start+k)%len(r.buf)]
		if keep == nil || keep(v) {
			out = append(out, *v)
		}
	}
	return out
}

// Len returns how many values are kept.
func (r *Ring[T]) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

// Bytes returns the total size of the values kept; without a byte budget it is 0.
func (r *Ring[T]) Bytes() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.bytes
}

// Reset forgets every value, letting go of what they reference and of the room they took; numbering goes on.
func (r *Ring[T]) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.resetLocked()
}

func (r *Ring[T]) resetLocked() {
	if r.shared != nil {
		r.shared.used.Add(-r.bytes)
	}
	r.buf, r.sizes = nil, nil
	r.start, r.n, r.bytes = 0, 0, 0
	r.held.Store(0)
}

// Close forgets every value, as Reset does, and keeps none added afterwards: a ring whose owner is gone gives
// its room in a shared budget back for good.
func (r *Ring[T]) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.resetLocked()
	r.closed = true
}

// Before returns, oldest first, the newest values kept whose number is below seq and that keep accepts (nil
// accepts every value): at most limit of them, or all when limit is negative. A reader pages back through the
// ring with it, from the newest values (seq above Newest) to the oldest. keep runs with the ring locked and must
// not call it.
func (r *Ring[T]) Before(seq int64, limit int, keep func(*T) bool) []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	oldest := r.seq - int64(r.n) + 1
	end := r.n // values at start+[0, end) are numbered below seq
	if seq <= r.seq {
		end = int(max(0, seq-oldest))
	}
	var out []T
	for k := end - 1; k >= 0 && (limit < 0 || len(out) < limit); k-- {
		v := &r.buf[(r.start+k)%len(r.buf)]
		if keep == nil || keep(v) {
			out = append(out, *v)
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	if out == nil {
		out = []T{}
	}
	return out
}

// Bounds returns the numbers of the oldest and the newest value kept. An empty ring answers newest+1 and
// newest, newest being the number of the last value ever added (0 before any): a reader that holds values
// numbered below first knows they have been forgotten (overwritten, or Reset).
func (r *Ring[T]) Bounds() (first, last int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seq - int64(r.n) + 1, r.seq
}

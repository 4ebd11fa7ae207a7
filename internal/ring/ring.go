// Package ring is a bounded, numbered, concurrency-safe buffer of the last N values: the journals of the mock
// and the proxy keep their records in one, so memory stays flat however long they run. A ring can also be
// bounded in bytes: given each value's size, it forgets the oldest values while their total is over a budget.
package ring

import "sync"

// Ring keeps the last values added, numbering each from 1: at most Cap of them and, with a byte budget, as
// many of the newest as fit in it (always at least the newest).
type Ring[T any] struct {
	mu     sync.Mutex
	buf    []T
	sizes  []int64 // each kept value's size, when there is a budget
	start  int     // index of the oldest value kept
	n      int     // values kept
	seq    int64   // number of the newest value added
	bytes  int64   // total size of the values kept
	budget int64
	sizeOf func(T) int64
}

// New returns a Ring that keeps the last size values; size must be positive.
func New[T any](size int) *Ring[T] { return &Ring[T]{buf: make([]T, max(1, size))} }

// NewBudget returns a Ring that keeps the last size values whose sizes, as sizeOf tells them, add up to at
// most budget bytes; the newest value is kept whatever its size. sizeOf is called once per value, when it is
// added, with the ring locked. A budget that is not positive, or a nil sizeOf, means no byte bound.
func NewBudget[T any](size int, budget int64, sizeOf func(T) int64) *Ring[T] {
	r := New[T](size)
	if budget > 0 && sizeOf != nil {
		r.budget, r.sizeOf, r.sizes = budget, sizeOf, make([]int64, len(r.buf))
	}
	return r
}

// Add stores the value build(seq) makes, seq counting from 1, forgetting the oldest values while the ring is
// over its count or its byte budget.
func (r *Ring[T]) Add(build func(seq int64) T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == len(r.buf) {
		r.dropOldest()
	}
	r.seq++
	i := (r.start + r.n) % len(r.buf)
	r.buf[i] = build(r.seq)
	r.n++
	if r.sizeOf != nil {
		r.sizes[i] = r.sizeOf(r.buf[i])
		r.bytes += r.sizes[i]
		for r.bytes > r.budget && r.n > 1 {
			r.dropOldest()
		}
	}
}

// dropOldest forgets the oldest value kept, letting go of what it references.
func (r *Ring[T]) dropOldest() {
	var zero T
	r.buf[r.start] = zero
	if r.sizes != nil {
		r.bytes -= r.sizes[r.start]
		r.sizes[r.start] = 0
	}
	r.start = (r.start + 1) % len(r.buf)
	r.n--
}

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

// Reset forgets every value, letting go of what they reference; numbering goes on.
func (r *Ring[T]) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(r.buf)
	clear(r.sizes)
	r.start, r.n, r.bytes = 0, 0, 0
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

// Package ring is a bounded, numbered, concurrency-safe buffer of the last N values: the journals of the mock
// and the proxy keep their records in one, so memory stays flat however long they run.
package ring

import "sync"

// Ring keeps the last Cap values added, numbering each from 1.
type Ring[T any] struct {
	mu   sync.Mutex
	buf  []T
	next int
	full bool
	seq  int64
}

// New returns a Ring that keeps the last size values; size must be positive.
func New[T any](size int) *Ring[T] { return &Ring[T]{buf: make([]T, max(1, size))} }

// Add stores the value build(seq) makes, seq counting from 1, forgetting the oldest when full.
func (r *Ring[T]) Add(build func(seq int64) T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	r.buf[r.next] = build(r.seq)
	r.next++
	if r.next == len(r.buf) {
		r.next, r.full = 0, true
	}
}

// List returns the values kept, oldest first.
func (r *Ring[T]) List() []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.full {
		return append([]T{}, r.buf[:r.next]...)
	}
	return append(append(make([]T, 0, len(r.buf)), r.buf[r.next:]...), r.buf[:r.next]...)
}

// Reset forgets every value; numbering goes on.
func (r *Ring[T]) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(r.buf)
	r.next, r.full = 0, false
}

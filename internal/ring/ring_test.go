package ring

import (
	"net/http"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRingKeepsTheLastValuesInOrder(t *testing.T) {
	r := New[int64](3)
	if got := r.List(); len(got) != 0 {
		t.Fatalf("new ring lists %v", got)
	}
	for range 5 {
		r.Add(func(seq int64) int64 { return seq })
	}
	if diff := cmp.Diff([]int64{3, 4, 5}, r.List()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	r.Reset()
	r.Add(func(seq int64) int64 { return seq })
	if diff := cmp.Diff([]int64{6}, r.List()); diff != "" {
		t.Errorf("after reset (-want +got):\n%s", diff)
	}
}

func TestRingConcurrentAddsAreAllNumbered(t *testing.T) {
	r := New[int64](1000)
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			for range 100 {
				r.Add(func(seq int64) int64 { return seq })
			}
		})
	}
	wg.Wait()
	got := r.List()
	if len(got) != 1000 {
		t.Fatalf("kept %d, want 1000", len(got))
	}
	for i, v := range got {
		if v != int64(i+1) {
			t.Fatalf("value %d is %d: numbers out of order", i, v)
		}
	}
}

func TestRingByteBudgetForgetsTheOldest(t *testing.T) {
	type value struct {
		seq  int64
		size int64
	}
	tests := []struct {
		name      string
		cap       int
		budget    int64
		sizes     []int64
		wantSeqs  []int64
		wantBytes int64
	}{
		{"all fit", 10, 100, []int64{10, 20, 30}, []int64{1, 2, 3}, 60},
		{"exactly the budget", 10, 60, []int64{10, 20, 30}, []int64{1, 2, 3}, 60},
		{"oldest forgotten", 10, 50, []int64{10, 20, 30}, []int64{2, 3}, 50},
		{"several forgotten at once", 10, 50, []int64{10, 10, 10, 45}, []int64{4}, 45},
		{"newest kept when alone over budget", 10, 50, []int64{10, 80}, []int64{2}, 80},
		{"newest over budget then small ones", 10, 50, []int64{80, 5, 5}, []int64{2, 3}, 10},
		{"count bound first", 2, 1000, []int64{10, 20, 30}, []int64{2, 3}, 50},
		{"no budget", 10, 0, []int64{10, 20, 30}, []int64{1, 2, 3}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewBudget(tt.cap, tt.budget, func(v value) int64 { return v.size })
			for _, size := range tt.sizes {
				r.Add(func(seq int64) value { return value{seq, size} })
			}
			var seqs []int64
			for _, v := range r.List() {
				seqs = append(seqs, v.seq)
			}
			if diff := cmp.Diff(tt.wantSeqs, seqs); diff != "" {
				t.Errorf("kept (-want +got):\n%s", diff)
			}
			if got := r.Bytes(); got != tt.wantBytes {
				t.Errorf("Bytes() = %d, want %d", got, tt.wantBytes)
			}
			if got := r.Len(); got != len(tt.wantSeqs) {
				t.Errorf("Len() = %d, want %d", got, len(tt.wantSeqs))
			}
		})
	}
}

func TestRingResetForgetsBytesAndValues(t *testing.T) {
	r := NewBudget(4, 100, func(p *[]byte) int64 { return int64(len(*p)) })
	for range 6 {
		r.Add(func(int64) *[]byte { b := make([]byte, 30); return &b })
	}
	if r.Len() != 3 || r.Bytes() != 90 {
		t.Fatalf("before reset: %d values, %d bytes; want 3 and 90", r.Len(), r.Bytes())
	}
	r.Reset()
	if r.Len() != 0 || r.Bytes() != 0 {
		t.Errorf("after reset: %d values, %d bytes; want none", r.Len(), r.Bytes())
	}
	for i, v := range r.buf {
		if v != nil {
			t.Errorf("slot %d still references a value after reset", i)
		}
	}
	r.Add(func(int64) *[]byte { b := make([]byte, 30); return &b })
	if r.Len() != 1 || r.Bytes() != 30 {
		t.Errorf("after reset and one add: %d values, %d bytes; want 1 and 30", r.Len(), r.Bytes())
	}
}

func TestRingSince(t *testing.T) {
	r := New[int64](5)
	for range 8 { // keeps 4..8
		r.Add(func(seq int64) int64 { return seq })
	}
	even := func(v *int64) bool { return *v%2 == 0 }
	tests := []struct {
		name  string
		since int64
		limit int
		keep  func(*int64) bool
		want  []int64
	}{
		{"everything", 0, -1, nil, []int64{4, 5, 6, 7, 8}},
		{"since before the oldest", 2, -1, nil, []int64{4, 5, 6, 7, 8}},
		{"since the oldest", 4, -1, nil, []int64{5, 6, 7, 8}},
		{"since inside", 6, -1, nil, []int64{7, 8}},
		{"since the newest", 8, -1, nil, []int64{}},
		{"since past the newest", 100, -1, nil, []int64{}},
		{"limit takes the oldest", 0, 2, nil, []int64{4, 5}},
		{"limit and since page forward", 5, 2, nil, []int64{6, 7}},
		{"limit zero", 0, 0, nil, []int64{}},
		{"limit above what is kept", 0, 50, nil, []int64{4, 5, 6, 7, 8}},
		{"filter", 0, -1, even, []int64{4, 6, 8}},
		{"filter with limit counts kept values", 4, 2, even, []int64{6, 8}},
		{"filter with since and limit", 5, 1, even, []int64{6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, r.Since(tt.since, tt.limit, tt.keep)); diff != "" {
				t.Errorf("Since(%d, %d) (-want +got):\n%s", tt.since, tt.limit, diff)
			}
		})
	}
	r.Reset()
	if got := r.Since(0, -1, nil); len(got) != 0 {
		t.Errorf("after reset Since(0) = %v", got)
	}
	r.Add(func(seq int64) int64 { return seq })
	if diff := cmp.Diff([]int64{9}, r.Since(8, -1, nil)); diff != "" {
		t.Errorf("after reset, numbering goes on (-want +got):\n%s", diff)
	}
}

func TestRingBeforePagesBackFromTheNewest(t *testing.T) {
	r := New[int64](5)
	for range 8 { // keeps 4..8
		r.Add(func(seq int64) int64 { return seq })
	}
	even := func(v *int64) bool { return *v%2 == 0 }
	tests := []struct {
		name  string
		seq   int64
		limit int
		keep  func(*int64) bool
		want  []int64
	}{
		{name: "above the newest gives the newest", seq: 100, limit: 2, want: []int64{7, 8}},
		{name: "below a number", seq: 7, limit: 2, want: []int64{5, 6}},
		{name: "no limit", seq: 7, limit: -1, want: []int64{4, 5, 6}},
		{name: "stops at the oldest kept", seq: 5, limit: 3, want: []int64{4}},
		{name: "below the oldest kept is empty", seq: 4, limit: 3, want: []int64{}},
		{name: "zero limit", seq: 100, limit: 0, want: []int64{}},
		{name: "filtered", seq: 100, limit: 2, keep: even, want: []int64{6, 8}},
		{name: "filtered from the end", seq: 100, limit: -1, keep: even, want: []int64{4, 6, 8}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, r.Before(tt.seq, tt.limit, tt.keep)); diff != "" {
				t.Errorf("Before(%d, %d) (-want +got):\n%s", tt.seq, tt.limit, diff)
			}
		})
	}
}

func TestRingBoundsSayWhatIsKept(t *testing.T) {
	r := New[int64](3)
	bounds := func() [2]int64 { f, l := r.Bounds(); return [2]int64{f, l} }
	if got, want := bounds(), [2]int64{1, 0}; got != want {
		t.Errorf("empty ring: bounds %v, want %v", got, want)
	}
	for range 5 {
		r.Add(func(seq int64) int64 { return seq })
	}
	if got, want := bounds(), [2]int64{3, 5}; got != want {
		t.Errorf("after 5 adds: bounds %v, want %v", got, want)
	}
	r.Reset()
	if got, want := bounds(), [2]int64{6, 5}; got != want {
		t.Errorf("after reset: bounds %v, want %v", got, want)
	}
}

func TestHeaderSize(t *testing.T) {
	if n := HeaderSize(nil); n != 0 {
		t.Errorf("HeaderSize(nil) = %d", n)
	}
	h := http.Header{"Content-Type": {"application/json"}, "X-Two": {"a", "bc"}}
	want := 2*MapEntry + int64(len("Content-Type")+len("X-Two")) + 3*StringHeader + int64(len("application/json")+3)
	if n := HeaderSize(h); n != want {
		t.Errorf("HeaderSize = %d, want %d", n, want)
	}
}

// TestRingGrowsAsItFills: a ring made for many values takes room only for those it holds, keeps them in order
// across its growth and its wrap, and gives the room back on Reset.
func TestRingGrowsAsItFills(t *testing.T) {
	r := New[int64](1000)
	if cap(r.buf) != 0 {
		t.Fatalf("an empty ring holds room for %d values", cap(r.buf))
	}
	for range 20 {
		r.Add(func(seq int64) int64 { return seq })
	}
	if c := cap(r.buf); c < 20 || c > 40 {
		t.Errorf("20 values take room for %d", c)
	}
	for range 1500 {
		r.Add(func(seq int64) int64 { return seq })
	}
	got := r.List()
	if len(got) != 1000 || got[0] != 521 || got[999] != 1520 {
		t.Errorf("kept %d values, %d..%d; want 1000, 521..1520", len(got), got[0], got[len(got)-1])
	}
	r.Reset()
	if r.buf != nil || r.Held() != 0 {
		t.Errorf("after Reset the ring keeps room for %d values, holds %d", cap(r.buf), r.Held())
	}
}

// TestSharedBudgetCountsEveryRing: rings sharing a budget count their values in it as they add, drop, reset and
// close; DropOldest keeps the newest when asked; a closed ring keeps nothing more.
func TestSharedBudgetCountsEveryRing(t *testing.T) {
	b := NewSharedBudget(100)
	size := func(v int64) int64 { return 10 }
	a, c := NewShared(50, b, size), NewShared(3, b, size)
	for range 6 {
		a.Add(func(seq int64) int64 { return seq })
		c.Add(func(seq int64) int64 { return seq })
	}
	if got := b.Used(); got != 90 { // a keeps 6, c its last 3
		t.Fatalf("used %d, want 90", got)
	}
	a.Add(func(seq int64) int64 { return seq })
	a.Add(func(seq int64) int64 { return seq })
	if !b.Over() {
		t.Fatalf("used %d of 100, not over", b.Used())
	}
	for a.DropOldest(true) {
	}
	if a.Held() != 1 || b.Used() != 40 {
		t.Errorf("after trimming: a holds %d, used %d; want 1 and 40", a.Held(), b.Used())
	}
	c.Reset()
	a.Close()
	a.Add(func(seq int64) int64 { return seq })
	if b.Used() != 0 || a.Held() != 0 {
		t.Errorf("after Reset and Close: used %d, a holds %d", b.Used(), a.Held())
	}
}

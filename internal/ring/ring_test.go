package ring

import (
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

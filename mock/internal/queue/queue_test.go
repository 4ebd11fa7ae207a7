package queue

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2024, 12, 22, 13, 38, 40, 0, time.UTC)

func at(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

// starts returns the planned start of each entry, in seconds after t0 (-1 for never).
func starts(es []*Entry[int]) []float64 {
	out := make([]float64, len(es))
	for i, e := range es {
		s, ok := e.Start()
		out[i] = -1
		if ok {
			out[i] = s.Sub(t0).Seconds()
		}
	}
	return out
}

func positions(es []*Entry[int], now time.Time) []int {
	out := make([]int, len(es))
	for i, e := range es {
		out[i] = e.Position(now)
	}
	return out
}

// five queues five tasks at t0, each pending 1 s and processing 10 s, on a line of capacity 2.
func five() []*Entry[int] {
	l := New[int](2)
	var es []*Entry[int]
	for i := range 5 {
		es = append(es, l.Add(i+1, at(1), 10*time.Second, t0))
	}
	return es
}

// TestCapacityTwoOfFive: the third task starts when the first ends, the fourth when the second ends, the fifth
// when the third ends; the positions of the waiting tasks shrink as the queue moves.
func TestCapacityTwoOfFive(t *testing.T) {
	es := five()
	if got, want := starts(es), []float64{1, 1, 11, 11, 21}; !slices.Equal(got, want) {
		t.Errorf("starts %v, want %v", got, want)
	}
	for now, want := range map[float64][]int{0: {1, 2, 3, 4, 5}, 1: {0, 0, 1, 2, 3}, 11: {0, 0, 0, 0, 1}, 21: {0, 0, 0, 0, 0}} {
		if got := positions(es, at(now)); !slices.Equal(got, want) {
			t.Errorf("positions at %vs: %v, want %v", now, got, want)
		}
	}
	for i, want := range []int{-1, -1, 1, 2, 3} { // the task whose end frees the slot
		b, when := es[i].Blocker()
		got := -1
		if b != nil {
			got = b.Value
			if s, _ := es[i].Start(); !when.Equal(s) {
				t.Errorf("task %d: blocker's end %v, start %v", i+1, when, s)
			}
		}
		if got != want {
			t.Errorf("task %d is held by %d, want %d", i+1, got, want)
		}
	}
}

// TestForcedEndFreesASlot: ending the first task at 5 s starts the third then, and brings the fifth forward
// to the third's end; only their plans change.
func TestForcedEndFreesASlot(t *testing.T) {
	es := five()
	changed := es[0].End(at(5))
	if got, want := starts(es), []float64{1, 1, 5, 11, 15}; !slices.Equal(got, want) {
		t.Errorf("starts %v, want %v", got, want)
	}
	if !slices.Equal(changed, []int{3, 5}) {
		t.Errorf("changed %v, want [3 5]", changed)
	}
	if got, want := positions(es, at(5)), []int{0, 0, 0, 1, 2}; !slices.Equal(got, want) {
		t.Errorf("positions %v, want %v", got, want)
	}
}

// TestWaitingTaskLeaves: a task ended while it waits never starts, and those behind it move up.
func TestWaitingTaskLeaves(t *testing.T) {
	es := five()
	changed := es[3].End(at(5))
	if got, want := starts(es), []float64{1, 1, 11, -1, 11}; !slices.Equal(got, want) {
		t.Errorf("starts %v, want %v", got, want)
	}
	if !slices.Equal(changed, []int{5}) {
		t.Errorf("changed %v, want [5]", changed)
	}
	if got, want := positions(es, at(5)), []int{0, 0, 1, 0, 2}; !slices.Equal(got, want) {
		t.Errorf("positions %v, want %v", got, want)
	}
	if again := es[3].End(at(6)); again != nil {
		t.Errorf("ending it again changed %v", again)
	}
}

// TestNoStartBeforeTheChange: a task held only by the one ahead of it (first come, first served), when that
// one leaves, starts at that moment, not at its own ready time in the past.
func TestNoStartBeforeTheChange(t *testing.T) {
	l := New[int](1)
	a := l.Add(1, at(10), time.Second, t0)
	b := l.Add(2, t0, time.Second, t0)
	if got := starts([]*Entry[int]{a, b}); !slices.Equal(got, []float64{10, 11}) {
		t.Fatalf("starts %v, want [10 11]", got)
	}
	a.End(at(3))
	if got := starts([]*Entry[int]{a, b}); !slices.Equal(got, []float64{-1, 3}) {
		t.Errorf("after the first left at 3 s: starts %v, want [-1 3]", got)
	}
}

// TestPlansHold checks, over seeded random submissions, forced ends and removals, that at every step: no more
// than capacity entries process at once from now on; entries start in submission order, never before they are
// ready; a start that has passed never changes; a waiting entry is never planned before the moment of the
// change; and a submission leaves the plans ahead of it alone.
func TestPlansHold(t *testing.T) {
	for seed := range uint64(20) {
		r := rand.New(rand.NewPCG(seed, 7))
		capacity := 1 + r.IntN(3)
		l := New[int](capacity)
		var live []*Entry[int]
		ended := map[*Entry[int]]time.Time{} // forced ends
		now := t0
		for step := range 300 {
			now = now.Add(time.Duration(r.IntN(3000)) * time.Millisecond)
			before := map[*Entry[int]]time.Time{}
			for _, e := range live {
				if s, ok := e.Start(); ok {
					before[e] = s
				}
			}
			switch op := r.IntN(10); {
			case op < 6 || len(live) == 0:
				e := l.Add(step, now.Add(time.Duration(r.IntN(5))*time.Second), time.Duration(1+r.IntN(8))*time.Second, now)
				for _, x := range live {
					if s, ok := x.Start(); ok != !x.never || !s.Equal(before[x]) && ok {
						t.Fatalf("seed %d step %d: a submission moved an earlier start from %v to %v", seed, step, before[x], s)
					}
				}
				live = append(live, e)
			case op < 9:
				e := live[r.IntN(len(live))]
				if _, done := ended[e]; !done {
					ended[e] = now
					e.End(now)
				}
			default:
				i := r.IntN(len(live))
				live[i].Remove(now)
				live = slices.Delete(live, i, i+1)
			}
			check(t, seed, step, capacity, live, ended, before, now)
		}
	}
}

func check(t *testing.T, seed uint64, step, capacity int, live []*Entry[int], ended map[*Entry[int]]time.Time, before map[*Entry[int]]time.Time, now time.Time) {
	t.Helper()
	type span struct{ from, to time.Time }
	var spans []span
	var last time.Time
	for _, e := range live {
		s, ok := e.Start()
		if !ok {
			continue
		}
		if s.Before(e.ready) {
			t.Fatalf("seed %d step %d: start %v before ready %v", seed, step, s, e.ready)
		}
		if s.Before(last) {
			t.Fatalf("seed %d step %d: starts out of submission order", seed, step)
		}
		last = s
		if old, had := before[e]; had && !s.Equal(old) {
			if !old.After(now) {
				t.Fatalf("seed %d step %d: a start that had passed (%v) moved to %v", seed, step, old, s)
			}
			if s.Before(now) {
				t.Fatalf("seed %d step %d: replanned to %v, before the change at %v", seed, step, s, now)
			}
		}
		end := s.Add(e.work)
		if f, forced := ended[e]; forced && f.Before(end) {
			end = f
		}
		if end.After(now) {
			spans = append(spans, span{latest(s, now), end})
		}
	}
	for _, a := range spans {
		n := 0
		for _, b := range spans {
			if !b.from.After(a.from) && b.to.After(a.from) {
				n++
			}
		}
		if n > capacity {
			t.Fatalf("seed %d step %d: %d entries process at once at %v, capacity %d", seed, step, n, a.from, capacity)
		}
	}
}

// TestLineForgetsWhatEnded: entries that ended leave the line, so its length follows what is live.
func TestLineForgetsWhatEnded(t *testing.T) {
	l := New[int](1)
	for i := range 100 {
		l.Add(i, at(float64(i)), time.Second, at(float64(i)))
	}
	if n := l.Len(at(99.5)); n != 1 {
		t.Errorf("%d entries at 99.5 s, want the one processing", n)
	}
}

package clock

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// elapse lets d pass on the bubble's clock, which takes no real time, and waits until every goroutine of the
// bubble is blocked.
func elapse(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

// log collects what the scheduled functions saw, from any goroutine.
type log struct {
	mu  sync.Mutex
	got []string
}

func (l *log) note(c Clock, start time.Time, name string) func() {
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.got = append(l.got, name+"@"+c.Now().Sub(start).String())
	}
}

func (l *log) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	got := l.got
	l.got = nil
	return got
}

func TestManualRunsTimersInOrderAtTheirTime(t *testing.T) {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	c := NewManual(start)
	var l log
	c.AfterFunc(3*time.Second, l.note(c, start, "c"))
	c.AfterFunc(time.Second, func() {
		l.note(c, start, "a")()
		c.AfterFunc(time.Second, l.note(c, start, "b (scheduled by a)")) // due at 2s, inside the same Advance
	})
	stopped := c.AfterFunc(2*time.Second, l.note(c, start, "never"))
	c.AfterFunc(0, l.note(c, start, "due now"))
	if !stopped.Stop() || stopped.Stop() {
		t.Error("Stop should report true once, then false")
	}
	c.Advance(2500 * time.Millisecond)
	if diff := cmp.Diff([]string{"due now@0s", "a@1s", "b (scheduled by a)@2s"}, l.take()); diff != "" {
		t.Errorf("after 2.5s (-want +got):\n%s", diff)
	}
	if now := c.Now().Sub(start); now != 2500*time.Millisecond {
		t.Errorf("clock at %s, want 2.5s", now)
	}
	c.Set(start) // backwards: ignored
	c.Resume()   // no base: stays frozen
	if !c.Frozen() {
		t.Error("a clock without a base runs after Resume")
	}
	c.Advance(time.Second)
	if diff := cmp.Diff([]string{"c@3s"}, l.take()); diff != "" {
		t.Errorf("after 3.5s (-want +got):\n%s", diff)
	}
	if n := c.Pending(); n != 0 {
		t.Errorf("%d timers pending", n)
	}
}

// TestVirtualRunsWithItsBaseAndMovesAlone: a virtual clock over the system's clock (the bubble's fake time)
// fires its timers as the base's time reaches them; Advance moves it alone, running what falls due on the way;
// frozen, it stands still and fires nothing until moved or resumed, and resumes from where it stood.
func TestVirtualRunsWithItsBaseAndMovesAlone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		c := NewVirtual(System)
		var l log
		c.AfterFunc(time.Second, l.note(c, start, "a"))
		c.AfterFunc(10*time.Second, l.note(c, start, "b"))
		c.AfterFunc(20*time.Second, l.note(c, start, "c"))

		elapse(time.Second) // of the base: the bubble's time
		if diff := cmp.Diff([]string{"a@1s"}, l.take()); diff != "" {
			t.Errorf("after 1s of the base (-want +got):\n%s", diff)
		}
		c.Advance(9 * time.Second) // b falls due inside the move
		if diff := cmp.Diff([]string{"b@10s"}, l.take()); diff != "" {
			t.Errorf("after Advance(9s) (-want +got):\n%s", diff)
		}
		if got := c.Now().Sub(start); got != 10*time.Second {
			t.Errorf("clock at %s after Advance, want 10s", got)
		}

		c.Freeze()
		elapse(time.Hour)
		if got, fired := c.Now().Sub(start), l.take(); got != 10*time.Second || len(fired) > 0 {
			t.Errorf("frozen for an hour of the base: clock at %s, fired %v; want 10s and nothing", got, fired)
		}
		c.Advance(5 * time.Second)
		c.Resume()
		if got := c.Now().Sub(start); got != 15*time.Second {
			t.Errorf("resumed at %s, want 15s", got)
		}
		elapse(5 * time.Second)
		if diff := cmp.Diff([]string{"c@20s"}, l.take()); diff != "" {
			t.Errorf("5s of the base after resuming at 15s (-want +got):\n%s", diff)
		}
		if n := c.Pending(); n != 0 {
			t.Errorf("%d timers pending", n)
		}
	})
}

// TestVirtualOverAManualClock: clocks stack. A virtual clock over a manual one runs when the manual one is
// moved, and can be moved ahead of it on its own.
func TestVirtualOverAManualClock(t *testing.T) {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	base := NewManual(start)
	c := NewVirtual(base)
	var l log
	c.AfterFunc(2*time.Second, l.note(c, start, "a"))
	c.AfterFunc(5*time.Second, l.note(c, start, "b"))
	base.Advance(2 * time.Second)
	if diff := cmp.Diff([]string{"a@2s"}, l.take()); diff != "" {
		t.Errorf("base moved 2s (-want +got):\n%s", diff)
	}
	c.Advance(time.Minute) // alone: b runs, the base stays
	if diff := cmp.Diff([]string{"b@5s"}, l.take()); diff != "" {
		t.Errorf("virtual moved 1m (-want +got):\n%s", diff)
	}
	if got, base := c.Now().Sub(start), base.Now().Sub(start); got != 62*time.Second || base != 2*time.Second {
		t.Errorf("virtual at %s, base at %s; want 62s and 2s", got, base)
	}
	c.AfterFunc(time.Second, l.note(c, start, "c"))
	if n := base.Pending(); n != 1 {
		t.Errorf("the base holds %d timers for the virtual clock, want 1 (for its earliest)", n)
	}
	base.Advance(time.Second)
	if diff := cmp.Diff([]string{"c@1m3s"}, l.take()); diff != "" {
		t.Errorf("base moved 1s more (-want +got):\n%s", diff)
	}
	if n := base.Pending(); n != 0 {
		t.Errorf("the base holds %d timers with none left on the virtual clock", n)
	}
}

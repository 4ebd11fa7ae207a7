package mock_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lumamock/lumamock/mock"
)

func TestManualClockRunsTimersInOrderAtTheirTime(t *testing.T) {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	c := mock.NewManualClock(start)
	var got []string
	note := func(name string) func() {
		return func() { got = append(got, name+"@"+c.Now().Sub(start).String()) }
	}
	c.AfterFunc(3*time.Second, note("c"))
	c.AfterFunc(time.Second, func() {
		note("a")()
		c.AfterFunc(time.Second, note("b (scheduled by a)")) // due at 2s, inside the same Advance
	})
	stopped := c.AfterFunc(2*time.Second, note("never"))
	c.AfterFunc(0, note("due now"))
	if !stopped.Stop() || stopped.Stop() {
		t.Error("Stop should report true once, then false")
	}
	c.Advance(2500 * time.Millisecond)
	want := []string{"due now@0s", "a@1s", "b (scheduled by a)@2s"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after 2.5s (-want +got):\n%s", diff)
	}
	if now := c.Now().Sub(start); now != 2500*time.Millisecond {
		t.Errorf("clock at %s, want 2.5s", now)
	}
	c.Set(start) // backwards: ignored
	c.Advance(time.Second)
	if diff := cmp.Diff(append(want, "c@3s"), got); diff != "" {
		t.Errorf("after 3.5s (-want +got):\n%s", diff)
	}
	if n := c.Pending(); n != 0 {
		t.Errorf("%d timers pending", n)
	}
}

package mock

import (
	"time"

	"github.com/lumamock/lumamock/mock/internal/clock"
)

// Clock tells the time and runs functions later: the mock reads it for every task's state and schedules its
// timed work on it (callbacks at state changes, retry backoffs, late deliveries). Its methods are
//
//	Now() time.Time
//	AfterFunc(d time.Duration, f func()) Timer // calls f once d has passed on this clock
//
// Tests inject a ManualClock, so that task lifecycles take no real time.
type Clock = clock.Clock

// Timer is a call scheduled with Clock.AfterFunc; its Stop() bool cancels the call, reporting whether it did
// (false when the call already ran or was stopped).
type Timer = clock.Timer

// ManualClock is a virtual clock for tests: time stands still until Advance or Set moves it, and the functions
// scheduled with AfterFunc run, in order of their due time, synchronously inside that call. Create one with
// NewManualClock.
type ManualClock struct{ v *clock.Virtual }

// NewManualClock returns a virtual clock that reads start until it is moved.
func NewManualClock(start time.Time) *ManualClock { return &ManualClock{clock.NewManual(start)} }

// Now returns the clock's current time.
func (c *ManualClock) Now() time.Time { return c.v.Now() }

// AfterFunc schedules f to run when the clock reaches Now()+d. A call due now (d <= 0) runs at the next
// Advance or Set, even Advance(0).
func (c *ManualClock) AfterFunc(d time.Duration, f func()) Timer { return c.v.AfterFunc(d, f) }

// Advance moves the clock forward by d (not backward: a negative d counts as zero), running every function
// that falls due on the way, each with the clock reading its due time. Functions scheduled by those functions
// run too if they fall due by the end. A Server on this clock makes the callbacks due on the way before the
// clock moves past them, so that each is attempted, and its retry scheduled, at its due time: Advance waits
// for them.
func (c *ManualClock) Advance(d time.Duration) { c.v.Advance(d) }

// Set moves the clock to t, running what falls due as Advance does. A t before Now leaves the clock where it is.
func (c *ManualClock) Set(t time.Time) { c.v.Set(t) }

// Pending reports how many scheduled functions have not run yet.
func (c *ManualClock) Pending() int { return c.v.Pending() }

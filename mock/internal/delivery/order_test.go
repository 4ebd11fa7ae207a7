package delivery

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/lumamock/lumamock/mock/internal/clock"
)

// TestEachAttemptIsReportedOnceInOrderWithItsFinalOutcome: however slow a report, a failed attempt is
// reported before its retry starts and before anything a Cancel gives up of its task, so that the journal,
// which numbers records in the order they are reported, shows each attempt once, in order, with its final
// outcome.
func TestEachAttemptIsReportedOnceInOrderWithItsFinalOutcome(t *testing.T) {
	for _, tt := range []struct {
		name     string
		receiver behaviour
		cancel   bool // a Cancel (a reset) while attempt 1 is in flight or being reported
		want     []string
	}{
		// The retry's backoff runs out while attempt 1 is being reported.
		{"retry due during the report", broken, false,
			[]string{"1/1:retrying", "1/2:retrying", "1/3:failed", "2/1:retrying", "2/2:retrying", "2/3:failed"}},
		// The next job is ready while the first's delivery is being reported.
		{"next job during the report", healthy, false, []string{"1/1:delivered", "2/1:delivered"}},
		// A reset comes while attempt 1 is being reported: its job and the next are given up after it.
		{"cancel during the report", broken, true, []string{"1/1:retrying", "1/1:cancelled", "2/0:cancelled"}},
		// A reset cuts attempt 1 in flight: it is reported cancelled, then the job behind it.
		{"cancel during the attempt", hanging, true, []string{"1/1:cancelled", "2/0:cancelled"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var rep reports
				net := newNet()
				failing := net.add(tt.receiver)
				release := make(chan struct{})
				slowReport := func(a Attempt) {
					if a.Job.Event == 1 && a.Number == 1 && a.Outcome != Cancelled {
						<-release // a slow journal or log
					}
					rep.add(a)
				}
				e := newEngine(t, net, Config{Workers: 4, PerReceiver: 4, Queue: 100, Retries: 2, Report: slowReport}, &rep)
				e.Submit(job("a", 1, failing), job("a", 2, failing))
				synctest.Wait() // attempt 1 failed and its report waits, or it hangs
				if tt.cancel {
					if n := e.Cancel([]string{"a"}, Cancelled, "reset"); n != 2 {
						t.Errorf("Cancel gave up %d jobs, want 2", n)
					}
				}
				elapse(time.Second) // the backoff runs out
				close(release)
				for e.Held() > 0 {
					elapse(time.Second)
				}
				_ = e.WaitIdle(context.Background())
				if got := rep.of("a"); !slices.Equal(got, tt.want) {
					t.Errorf("reports %v, want %v", got, tt.want)
				}
			})
		})
	}
}

// slowClock is the system clock whose AfterFunc waits for release: a retry's timer being set, slowly.
type slowClock struct {
	clock.Clock
	release chan struct{}
}

func (c slowClock) AfterFunc(d time.Duration, f func()) clock.Timer {
	<-c.release
	return c.Clock.AfterFunc(d, f)
}

// TestWaitIdleReturnsOnceTheRetryIsScheduled: WaitIdle leaves out the jobs waiting for their retry on the
// Clock, but only once their timer is set: a test that moves a manual clock right after it returns must find
// the retry there.
func TestWaitIdleReturnsOnceTheRetryIsScheduled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rep reports
		net := newNet()
		failing := net.add(broken)
		c := slowClock{Clock: clock.System, release: make(chan struct{})}
		e := newEngine(t, net, Config{Retries: 1, Report: rep.add}, &rep)
		e.cfg.Clock = c
		release := sync.OnceFunc(func() { close(c.release) })
		defer release()
		e.Submit(job("a", 1, failing))
		idle := make(chan struct{})
		go func() {
			_ = e.WaitIdle(context.Background())
			close(idle)
		}()
		synctest.Wait() // attempt 1 failed and was reported; its retry's timer is being set
		select {
		case <-idle:
			t.Fatal("WaitIdle returned before the retry's timer was set")
		default:
		}
		release()
		<-idle
	})
}

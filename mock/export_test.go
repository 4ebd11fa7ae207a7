package mock

import (
	"time"

	"github.com/lumamock/lumamock/internal/adminpage"
)

// ListReadSlots is listReadSlots, for the tests outside the package.
const ListReadSlots = adminpage.ReadSlots

// SetListReadStall makes d the time an answer (a list read's too) waits for a stalled client, until the test
// ends.
func SetListReadStall(t interface{ Cleanup(func()) }, d time.Duration) {
	stallOverride.Store(int64(d))
	t.Cleanup(func() { stallOverride.Store(0) })
}

// SessionTimers reports how many functions are scheduled on the clock of session ss, not run yet.
func SessionTimers(ss *Session) int { return ss.clock.Pending() }

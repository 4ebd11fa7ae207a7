package mock

import "time"

// ListReadSlots is listReadSlots, for the tests outside the package.
const ListReadSlots = listReadSlots

// SetListReadStall makes d the time a list read waits for a stalled client, until the test ends.
func SetListReadStall(t interface{ Cleanup(func()) }, d time.Duration) {
	stallOverride.Store(int64(d))
	t.Cleanup(func() { stallOverride.Store(0) })
}

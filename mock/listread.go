package mock

import (
	"sync/atomic"
	"time"

	"github.com/lumamock/lumamock/internal/deadline"
)

// stallOverride, when positive, replaces deadline.Stall (adminpage.ReadStall for list reads) for this package's
// answers (tests).
var stallOverride atomic.Int64

// readStall is how long an answer, a list read's included, waits for its client to take the next part of it.
func readStall() time.Duration {
	if d := stallOverride.Load(); d > 0 {
		return time.Duration(d)
	}
	return deadline.Stall
}

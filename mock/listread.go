package mock

import (
	"sync/atomic"
	"time"

	"github.com/lumamock/lumamock/internal/adminpage"
)

// stallOverride, when positive, replaces adminpage.ReadStall for this package's list reads (tests).
var stallOverride atomic.Int64

// readStall is how long a list read waits for its client to take the next part of its answer.
func readStall() time.Duration {
	if d := stallOverride.Load(); d > 0 {
		return time.Duration(d)
	}
	return adminpage.ReadStall
}

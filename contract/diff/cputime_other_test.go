//go:build !unix

package diff

import "time"

var processStart = time.Now()

// cpuTime is the wall time since the test started where CPU time cannot be read.
func cpuTime() time.Duration { return time.Since(processStart) }

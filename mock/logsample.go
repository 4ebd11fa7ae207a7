package mock

import (
	"sync/atomic"
	"time"
)

// Request-log sampling: every request is logged up to logBurst a second; past that, one in logEvery, so a
// load test does not spend its time writing logs. Errors (status >= 400) are always logged.
const (
	logBurst = 100
	logEvery = 100
)

// logSampler decides which requests are logged.
type logSampler struct {
	second atomic.Int64 // the Unix second being counted
	count  atomic.Int64 // requests seen in it
}

// sample reports whether a request at now is logged, and how many requests the record stands for.
func (s *logSampler) sample(now time.Time, status int) (logged bool, standsFor int) {
	sec := now.Unix()
	if old := s.second.Load(); old != sec && s.second.CompareAndSwap(old, sec) {
		s.count.Store(0)
	}
	n := s.count.Add(1)
	switch {
	case status >= 400 || n <= logBurst:
		return true, 1
	case (n-logBurst)%logEvery == 0:
		return true, logEvery
	}
	return false, 0
}

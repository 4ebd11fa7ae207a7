package mock

import (
	"time"

	"github.com/lumamock/lumamock/mock/internal/latency"
)

// MaxDelay bounds every response latency, asked for with Prefer delay or Options.Delay: no draw exceeds it.
const MaxDelay = time.Minute

// Latency is a response latency: a fixed duration, a uniform draw between two durations, or a lognormal draw
// around a median. Its text form, read by ParseLatency, is the value of Prefer delay and of lumamock serve
// --delay:
//
//	300ms                                     fixed (a Go duration, or a bare number of milliseconds)
//	100ms..900ms                              uniform between the two
//	lognormal(median=200ms,sigma=0.5)         lognormal: sigma is the standard deviation of the draws'
//	lognormal(median=200ms,sigma=0.5,max=2s)  natural logarithm; max cuts the tail (at most MaxDelay)
//
// Draws come from a generator seeded by Options.Seed. The zero value is no latency.
type Latency struct{ d latency.Distribution }

// ParseLatency reads a Latency in its text form; every duration in it lies within 0..MaxDelay.
func ParseLatency(text string) (Latency, error) {
	d, err := latency.Parse(text, MaxDelay)
	if err != nil {
		return Latency{}, err
	}
	return Latency{d}, nil
}

// FixedLatency is the latency of one duration, d (at most MaxDelay).
func FixedLatency(d time.Duration) Latency { return Latency{latency.Fixed(min(d, MaxDelay))} }

// String is l's text form, canonical: ParseLatency(l.String()) is l again.
func (l Latency) String() string { return l.d.String() }

// IsZero reports whether l adds no latency.
func (l Latency) IsZero() bool { return l.d.IsZero() }

// Equal reports whether l and o are the same latency.
func (l Latency) Equal(o Latency) bool { return l.d.Equal(o.d) }

// Set parses text into l, so that a Latency is a flag.Value.
func (l *Latency) Set(text string) error {
	v, err := ParseLatency(text)
	if err != nil {
		return err
	}
	*l = v
	return nil
}

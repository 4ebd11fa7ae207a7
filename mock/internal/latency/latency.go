// Package latency is the mock's response latencies: a fixed duration, a uniform draw between two durations, or
// a lognormal draw around a median; their text form (the Prefer delay value and the --delay flag); and a
// seeded source that draws them, so that a seed and a sequence of requests fix every latency.
//
// The text form:
//
//	300ms                                   fixed (a Go duration, or a bare number of milliseconds)
//	100ms..900ms                            uniform between the two, both included
//	lognormal(median=200ms,sigma=0.5)       lognormal: half the draws below the median; sigma is the standard
//	lognormal(median=200ms,sigma=0.5,max=2s)  deviation of the draws' natural logarithm; max cuts the tail
//
// Every draw lies between 0 and the limit the text was parsed with.
package latency

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MaxSigma bounds a lognormal's sigma: at 4, a draw above the median's e^8 (about 3000 times) has a chance in
// 30,000; a wider spread says nothing more a test could use.
const MaxSigma = 4

// kind is a distribution's family.
type kind uint8

const (
	fixed kind = iota
	uniform
	lognormal
)

// Distribution is a response latency. The zero value is no latency (a fixed 0).
type Distribution struct {
	kind kind
	// a is the fixed duration, the uniform's low end, or the lognormal's median; b the uniform's high end.
	a, b time.Duration
	// max cuts a lognormal's draws: the max asked for, or the limit the text was parsed with.
	max   time.Duration
	sigma float64
	// maxAsked says max was written in the text (and differs from the limit), so String writes it back.
	maxAsked bool
}

// Fixed is the distribution of one duration, d.
func Fixed(d time.Duration) Distribution { return Distribution{a: max(d, 0)} }

// Error says why a text is not a latency.
type Error struct {
	// Text is the text as given.
	Text string
	// Reason says what is wrong, and what is wanted.
	Reason string
}

func (e *Error) Error() string { return fmt.Sprintf("%q is not a latency: %s", e.Text, e.Reason) }

// Parse reads a latency in its text form (see the package doc); every duration in it, and every draw, lies
// within 0..limit.
func Parse(text string, limit time.Duration) (Distribution, error) {
	bad := func(format string, args ...any) (Distribution, error) {
		return Distribution{}, &Error{Text: text, Reason: fmt.Sprintf(format, args...)}
	}
	s := strings.TrimSpace(text)
	switch {
	case s == "":
		return bad("a latency is required, such as 300ms, 100ms..900ms or lognormal(median=200ms,sigma=0.5)")
	case strings.HasPrefix(s, "lognormal"):
		args, ok := strings.CutPrefix(s, "lognormal")
		args = strings.TrimSpace(args)
		if !ok || !strings.HasPrefix(args, "(") || !strings.HasSuffix(args, ")") {
			return bad("want lognormal(median=200ms,sigma=0.5), optionally with ,max=2s")
		}
		d := Distribution{kind: lognormal, sigma: -1, max: limit}
		seen := map[string]bool{}
		for _, part := range strings.Split(args[1:len(args)-1], ",") {
			name, value, found := strings.Cut(part, "=")
			name, value = strings.TrimSpace(name), strings.TrimSpace(value)
			if !found {
				return bad("%q is not name=value; want median, sigma and optionally max", strings.TrimSpace(part))
			}
			if seen[name] {
				return bad("%s is given twice", name)
			}
			seen[name] = true
			switch name {
			case "median", "max":
				v, err := duration(value, limit)
				if err != nil {
					return bad("%s: %v", name, err)
				}
				if name == "median" {
					d.a = v
				} else {
					d.max, d.maxAsked = v, v != limit
				}
			case "sigma":
				v, err := strconv.ParseFloat(value, 64)
				if err != nil || math.IsNaN(v) || v < 0 || v > MaxSigma {
					return bad("sigma %q is not a number from 0 to %d", value, MaxSigma)
				}
				d.sigma = v
			default:
				return bad("unknown parameter %q; want median, sigma and optionally max", name)
			}
		}
		switch {
		case !seen["median"] || d.a == 0:
			return bad("median is required and must be above 0, such as median=200ms")
		case !seen["sigma"]:
			return bad("sigma is required, such as sigma=0.5")
		case d.max < d.a:
			return bad("max %s is below the median %s", d.max, d.a)
		}
		return d, nil
	case strings.Contains(s, ".."):
		lo, hi, _ := strings.Cut(s, "..")
		a, err := duration(strings.TrimSpace(lo), limit)
		if err != nil {
			return bad("low end: %v", err)
		}
		b, err := duration(strings.TrimSpace(hi), limit)
		if err != nil {
			return bad("high end: %v", err)
		}
		if b < a {
			return bad("the high end %s is below the low end %s", b, a)
		}
		if a == b {
			return Fixed(a), nil
		}
		return Distribution{kind: uniform, a: a, b: b}, nil
	}
	d, err := duration(s, limit)
	if err != nil {
		return bad("%v", err)
	}
	return Fixed(d), nil
}

// duration reads a Go duration ("300ms", "2s") or a bare number of milliseconds, within 0..limit.
func duration(s string, limit time.Duration) (time.Duration, error) {
	if s == "" {
		return 0, errors.New("a duration is required, such as 300ms or 2s")
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		ms, convErr := strconv.ParseInt(s, 10, 64)
		if convErr != nil || ms > int64(limit/time.Millisecond) {
			return 0, fmt.Errorf("%q is not a duration such as 300ms or 2s", s)
		}
		d = time.Duration(ms) * time.Millisecond
	}
	if d < 0 || d > limit {
		return 0, fmt.Errorf("%q is outside 0s..%s", s, limit)
	}
	return d, nil
}

// IsZero reports whether d adds no latency.
func (d Distribution) IsZero() bool { return d.kind == fixed && d.a == 0 }

// IsFixed reports whether every draw of d is the same duration.
func (d Distribution) IsFixed() bool { return d.kind == fixed }

// Median is the duration half of d's draws lie below (for a lognormal cut by max, before the cut).
func (d Distribution) Median() time.Duration {
	if d.kind == uniform {
		return d.a + (d.b-d.a)/2
	}
	return d.a
}

// String is d's text form, canonical: Parse(d.String()) is d again.
func (d Distribution) String() string {
	switch d.kind {
	case uniform:
		return d.a.String() + ".." + d.b.String()
	case lognormal:
		s := "lognormal(median=" + d.a.String() + ",sigma=" + strconv.FormatFloat(d.sigma, 'g', -1, 64)
		if d.maxAsked {
			s += ",max=" + d.max.String()
		}
		return s + ")"
	}
	return d.a.String()
}

// Equal reports whether d and o are the same distribution.
func (d Distribution) Equal(o Distribution) bool { return d == o }

// draw is one draw of d with r.
func (d Distribution) draw(r *rand.Rand) time.Duration {
	switch d.kind {
	case uniform:
		return d.a + time.Duration(r.Int64N(int64(d.b-d.a)+1))
	case lognormal:
		v := float64(d.a) * math.Exp(d.sigma*r.NormFloat64())
		if v >= float64(d.max) { // also +Inf; a float64 above the limit would overflow a Duration
			return d.max
		}
		return time.Duration(v)
	}
	return d.a
}

// Source draws latencies from one seeded generator; it is safe for concurrent use. Fixed latencies take no
// draw, so adding one leaves the others' sequence alone.
type Source struct {
	mu sync.Mutex
	r  *rand.Rand
}

// NewSource returns a Source seeded with seed: the same seed and the same sequence of Draw calls give the same
// durations.
func NewSource(seed uint64) *Source {
	return &Source{r: rand.New(rand.NewPCG(seed, seed^0x6c8e9cf570932bd5))}
}

// Draw returns one draw of d.
func (s *Source) Draw(d Distribution) time.Duration {
	if d.kind == fixed {
		return d.a
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return d.draw(s.r)
}

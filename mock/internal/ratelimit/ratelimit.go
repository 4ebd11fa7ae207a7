// Package ratelimit is the mock's rate limit: a token bucket per API key (N requests per second or per minute,
// in bursts of up to N), whose refusals say how long to wait, and hold a token for the caller who waits that
// long.
//
// The bucket is the generic cell rate algorithm: a key's theoretical arrival time (tat) advances by the
// interval T = Per/N with every request let through, and a request is let through while it is not earlier
// than tat − (Per − T). A refused request is told to retry at the moment the bucket will next have a token,
// and that token is set aside for it (a credit): the next request at or after that moment takes it, whoever
// sends it. So a burst of refused requests is told successive moments, and each one that honours its wait
// gets through, instead of all of them retrying at once and all but one being refused again. At most N (and at
// most 1,024) credits are held per key; a credit nobody takes within its grace (the greater of 2 s and T) is lost, which
// only makes the limit stricter.
package ratelimit

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Rate is N requests per Per.
type Rate struct {
	N   int
	Per time.Duration
}

// MaxN bounds a rate's N.
const MaxN = 1_000_000

// Parse reads a rate: N/s or N/m (N requests a second or a minute, N from 1 to MaxN).
func Parse(text string) (Rate, error) {
	n, unit, ok := strings.Cut(strings.TrimSpace(text), "/")
	if !ok {
		return Rate{}, fmt.Errorf("%q is not a rate such as 10/s or 100/m", text)
	}
	var per time.Duration
	switch strings.TrimSpace(unit) {
	case "s":
		per = time.Second
	case "m":
		per = time.Minute
	default:
		return Rate{}, fmt.Errorf("%q: the unit %q is not s (a second) or m (a minute)", text, unit)
	}
	count, err := strconv.Atoi(strings.TrimSpace(n))
	if err != nil || count < 1 || count > MaxN {
		return Rate{}, fmt.Errorf("%q: %q is not a number of requests from 1 to %d", text, n, MaxN)
	}
	return Rate{N: count, Per: per}, nil
}

// String is r as Parse reads it.
func (r Rate) String() string {
	if r.Per == time.Minute {
		return strconv.Itoa(r.N) + "/m"
	}
	return strconv.Itoa(r.N) + "/s"
}

// IsZero reports whether r limits nothing.
func (r Rate) IsZero() bool { return r.N == 0 }

// maxCredits bounds the credits a key holds (besides N).
const maxCredits = 1024

// DefaultMaxKeys bounds the keys a Limiter remembers.
const DefaultMaxKeys = 100_000

// Limiter limits each key to its Rate. It is safe for concurrent use.
type Limiter struct {
	rate     Rate
	interval time.Duration // T
	burst    time.Duration // Per − T: how far ahead of now tat may run
	grace    time.Duration
	maxKeys  int

	mu   sync.Mutex
	keys map[string]*bucket
}

// bucket is one key's state.
type bucket struct {
	tat     time.Time
	credits []time.Time // moments set aside for refused requests, earliest first
	seen    time.Time   // the last request
}

// New returns a Limiter of rate for each of at most maxKeys keys (zero means DefaultMaxKeys); past it, the
// buckets that hold nothing (a full bucket is as good as a new one) are forgotten, then the least recently
// used.
func New(rate Rate, maxKeys int) *Limiter {
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	interval := rate.Per / time.Duration(rate.N)
	return &Limiter{rate: rate, interval: interval, burst: rate.Per - interval, grace: max(2*time.Second, interval),
		maxKeys: maxKeys, keys: make(map[string]*bucket)}
}

// Rate is the limiter's rate.
func (l *Limiter) Rate() Rate { return l.rate }

// Allow takes a token of key's bucket at now. When there is none it returns false and how long to wait: a
// whole number of seconds, at least one, as Retry-After says it.
func (l *Limiter) Allow(key string, now time.Time) (ok bool, retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.keys[key]
	if b == nil {
		if len(l.keys) >= l.maxKeys {
			l.evictLocked(now)
		}
		b = &bucket{tat: now}
		l.keys[key] = b
	}
	b.seen = now
	for len(b.credits) > 0 && b.credits[0].Add(l.grace).Before(now) {
		b.credits = b.credits[1:] // never taken: lost
	}
	if len(b.credits) > 0 && !b.credits[0].After(now) {
		b.credits = b.credits[1:]
		return true, 0
	}
	if b.tat.Before(now) {
		b.tat = now
	}
	next := b.tat.Add(-l.burst) // when the bucket next has a token
	if !next.After(now) {
		b.tat = b.tat.Add(l.interval)
		return true, 0
	}
	if len(b.credits) < min(l.rate.N, maxCredits) {
		b.credits = append(b.credits, next)
		b.tat = b.tat.Add(l.interval)
	}
	return false, seconds(next.Sub(now))
}

// seconds rounds d up to a whole number of seconds, at least one.
func seconds(d time.Duration) time.Duration {
	return max(time.Second, (d+time.Second-1)/time.Second*time.Second)
}

// evictLocked forgets the buckets that hold nothing at now; if none does, the least recently used.
func (l *Limiter) evictLocked(now time.Time) {
	var oldest string
	var oldestSeen time.Time
	for k, b := range l.keys {
		if len(b.credits) == 0 && !b.tat.After(now) {
			delete(l.keys, k)
			continue
		}
		if oldest == "" || b.seen.Before(oldestSeen) {
			oldest, oldestSeen = k, b.seen
		}
	}
	if len(l.keys) >= l.maxKeys {
		delete(l.keys, oldest)
	}
}

// Reset forgets every key.
func (l *Limiter) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	clear(l.keys)
}

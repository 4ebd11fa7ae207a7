package ratelimit

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2024, 12, 22, 13, 38, 40, 0, time.UTC)

func TestParse(t *testing.T) {
	tests := []struct {
		text    string
		want    Rate
		wantErr string
	}{
		{text: "10/s", want: Rate{10, time.Second}},
		{text: " 100 / m ", want: Rate{100, time.Minute}},
		{text: "1/m", want: Rate{1, time.Minute}},
		{text: "10", wantErr: "not a rate"},
		{text: "10/h", wantErr: "not s (a second) or m (a minute)"},
		{text: "10/", wantErr: "unit"},
		{text: "0/s", wantErr: "from 1 to"},
		{text: "-1/s", wantErr: "from 1 to"},
		{text: "1.5/s", wantErr: "from 1 to"},
		{text: "1000001/s", wantErr: "from 1 to"},
		{text: "/s", wantErr: "from 1 to"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got, err := Parse(tt.text)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse(%q) = %v, %v; want an error saying %q", tt.text, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Parse(%q) = %v, %v; want %v", tt.text, got, err, tt.want)
			}
			if again, err := Parse(got.String()); err != nil || again != got {
				t.Errorf("Parse(%q) = %v, %v", got.String(), again, err)
			}
		})
	}
}

// burst sends n requests of key at now and returns how many got through and the waits of the others.
func burst(l *Limiter, key string, now time.Time, n int) (allowed int, waits []time.Duration) {
	for range n {
		if ok, wait := l.Allow(key, now); ok {
			allowed++
		} else {
			waits = append(waits, wait)
		}
	}
	return allowed, waits
}

// TestBurstAndHonouredWaits: of a burst, N get through; the others are told successive whole seconds to wait,
// and each that waits as told gets through.
func TestBurstAndHonouredWaits(t *testing.T) {
	for _, tt := range []struct {
		rate  Rate
		burst int
		waits []int // seconds
	}{
		{Rate{5, time.Second}, 12, []int{1, 1, 1, 1, 1, 2, 2}},
		{Rate{3, time.Minute}, 5, []int{20, 40}},
	} {
		t.Run(tt.rate.String(), func(t *testing.T) {
			l := New(tt.rate, 0)
			allowed, waits := burst(l, "k", t0, tt.burst)
			if allowed != tt.rate.N {
				t.Errorf("%d of %d got through at once, want %d", allowed, tt.burst, tt.rate.N)
			}
			var got []int
			for _, w := range waits {
				got = append(got, int(w/time.Second))
			}
			if !slices.Equal(got, tt.waits) {
				t.Errorf("Retry-After %v, want %v", got, tt.waits)
			}
			// Each refused request retries after its wait, in the order of the waits.
			for i, w := range waits {
				if ok, again := l.Allow("k", t0.Add(w)); !ok {
					t.Errorf("refused request %d retried after %s and was refused again (wait %s)", i, w, again)
				}
			}
		})
	}
}

// TestSteadyRateIsAllowed: requests spaced by the interval all get through, for a long time.
func TestSteadyRateIsAllowed(t *testing.T) {
	l := New(Rate{10, time.Second}, 0)
	for i := range 1000 {
		if ok, _ := l.Allow("k", t0.Add(time.Duration(i)*100*time.Millisecond)); !ok {
			t.Fatalf("request %d at the rate was refused", i)
		}
	}
}

// TestNeverAboveTheRate: whatever the arrivals (seeded random bursts, retries at the times told), the requests
// let through in any window of length W are at most N + N·W/Per, and the keys do not share a bucket.
func TestNeverAboveTheRate(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	rate := Rate{4, time.Second}
	l := New(rate, 0)
	var allowed []time.Time
	now := t0
	retries := map[time.Time]int{}
	for range 5000 {
		now = now.Add(time.Duration(r.IntN(300)) * time.Millisecond)
		for at, n := range retries {
			if !at.After(now) {
				for range n {
					if ok, _ := l.Allow("k", at); ok {
						allowed = append(allowed, at)
					}
				}
				delete(retries, at)
			}
		}
		if ok, wait := l.Allow("k", now); ok {
			allowed = append(allowed, now)
		} else if r.IntN(2) == 0 {
			retries[now.Add(wait)]++
		}
		if ok, _ := l.Allow(fmt.Sprint("other", r.IntN(3)), now); !ok && r.IntN(1000) == 0 {
			t.Log("another key was limited") // they have their own buckets; not checked further
		}
	}
	slices.SortFunc(allowed, func(a, b time.Time) int { return a.Compare(b) })
	for _, w := range []time.Duration{time.Second, 5 * time.Second, 30 * time.Second} {
		limit := rate.N + int(int64(rate.N)*int64(w)/int64(rate.Per))
		j := 0
		for i := range allowed {
			for allowed[i].Sub(allowed[j]) >= w {
				j++
			}
			if n := i - j + 1; n > limit {
				t.Fatalf("%d requests let through within %s, want at most %d", n, w, limit)
			}
		}
	}
	t.Logf("%d let through over %s", len(allowed), now.Sub(t0).Round(time.Second))
}

// TestUntakenCreditsAreLost: refused requests that never come back do not let more through later.
func TestUntakenCreditsAreLost(t *testing.T) {
	l := New(Rate{2, time.Second}, 0)
	burst(l, "k", t0, 4) // 2 through, 2 credits set aside for 0.5 s and 1 s
	later := t0.Add(10 * time.Second)
	if allowed, _ := burst(l, "k", later, 10); allowed != 2 {
		t.Errorf("%d of 10 got through after the credits expired, want the burst of 2", allowed)
	}
}

// TestKeysAreBounded: past maxKeys, full buckets are forgotten, then the least recently used.
func TestKeysAreBounded(t *testing.T) {
	l := New(Rate{1, time.Minute}, 3)
	for i := range 10 {
		l.Allow(fmt.Sprint("k", i), t0.Add(time.Duration(i)*time.Second))
	}
	if n := len(l.keys); n > 3 {
		t.Errorf("%d keys kept, want at most 3", n)
	}
	if _, ok := l.keys["k9"]; !ok {
		t.Errorf("the newest key was forgotten")
	}
}

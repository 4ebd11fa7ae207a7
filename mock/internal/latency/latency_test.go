package latency

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

const limit = time.Minute

func TestParse(t *testing.T) {
	tests := []struct {
		text    string
		want    string // String of the result
		wantErr string // part of the error
	}{
		{text: "300ms", want: "300ms"},
		{text: "300", want: "300ms"},
		{text: "0", want: "0s"},
		{text: " 1.5s ", want: "1.5s"},
		{text: "100ms..900ms", want: "100ms..900ms"},
		{text: "100ms .. 900ms", want: "100ms..900ms"},
		{text: "0..1", want: "0s..1ms"},
		{text: "200ms..200ms", want: "200ms"},
		{text: "lognormal(median=200ms,sigma=0.5)", want: "lognormal(median=200ms,sigma=0.5)"},
		{text: "lognormal( sigma = 0.50 , median = 0.2s )", want: "lognormal(median=200ms,sigma=0.5)"},
		{text: "lognormal(median=200ms,sigma=0.5,max=2s)", want: "lognormal(median=200ms,sigma=0.5,max=2s)"},
		{text: "lognormal(median=200ms,sigma=0.5,max=1m)", want: "lognormal(median=200ms,sigma=0.5)"},
		{text: "lognormal(median=200ms,sigma=0)", want: "lognormal(median=200ms,sigma=0)"},

		{text: "", wantErr: "required"},
		{text: "fast", wantErr: "not a duration"},
		{text: "-1s", wantErr: "outside"},
		{text: "2m", wantErr: "outside"},
		{text: "99999999999", wantErr: "not a duration"},
		{text: "900ms..100ms", wantErr: "below the low end"},
		{text: "..1s", wantErr: "low end"},
		{text: "1s..", wantErr: "high end"},
		{text: "1s..2m", wantErr: "high end"},
		{text: "lognormal", wantErr: "want lognormal("},
		{text: "lognormal(median=200ms,sigma=0.5", wantErr: "want lognormal("},
		{text: "lognormalx(median=200ms,sigma=0.5)", wantErr: "want lognormal("},
		{text: "lognormal(median=200ms)", wantErr: "sigma is required"},
		{text: "lognormal(sigma=0.5)", wantErr: "median is required"},
		{text: "lognormal(median=0s,sigma=0.5)", wantErr: "median is required"},
		{text: "lognormal(median=200ms,sigma=-1)", wantErr: "sigma"},
		{text: "lognormal(median=200ms,sigma=NaN)", wantErr: "sigma"},
		{text: "lognormal(median=200ms,sigma=5)", wantErr: "sigma"},
		{text: "lognormal(median=200ms,sigma=0.5,mean=1s)", wantErr: "unknown parameter"},
		{text: "lognormal(median=200ms,median=300ms,sigma=0.5)", wantErr: "twice"},
		{text: "lognormal(median=200ms,sigma=0.5,max=100ms)", wantErr: "below the median"},
		{text: "lognormal(median=200ms,sigma)", wantErr: "not name=value"},
		{text: "lognormal(median=2m,sigma=1)", wantErr: "median"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got, err := Parse(tt.text, limit)
			if tt.wantErr != "" {
				var le *Error
				if !errors.As(err, &le) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse(%q) = %v, %v; want an *Error saying %q", tt.text, got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tt.want {
				t.Errorf("Parse(%q).String() = %q, want %q", tt.text, got.String(), tt.want)
			}
			again, err := Parse(got.String(), limit)
			if err != nil || !again.Equal(got) {
				t.Errorf("Parse(%q) = %v, %v; want %#v", got.String(), again, err, got)
			}
		})
	}
}

// draws returns n draws of text's distribution from a source seeded with 1, sorted.
func draws(t *testing.T, text string, n int) []time.Duration {
	t.Helper()
	d, err := Parse(text, limit)
	if err != nil {
		t.Fatal(err)
	}
	src := NewSource(1)
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = src.Draw(d)
	}
	slices.Sort(out)
	return out
}

// quantile is the q-quantile of sorted.
func quantile(sorted []time.Duration, q float64) time.Duration {
	return sorted[int(q*float64(len(sorted)-1)+0.5)]
}

// within reports whether got is within 10% of want.
func within(got, want float64) bool { return math.Abs(got-want) <= 0.1*math.Abs(want) }

// TestDistributions draws 1,000 latencies of each kind with a fixed seed: their median and spread are within
// 10% of the asked ones, and no draw leaves the allowed range.
func TestDistributions(t *testing.T) {
	t.Run("fixed", func(t *testing.T) {
		got := draws(t, "300ms", 1000)
		if got[0] != 300*time.Millisecond || got[len(got)-1] != 300*time.Millisecond {
			t.Errorf("draws range %s..%s, want 300ms every time", got[0], got[len(got)-1])
		}
	})
	t.Run("uniform", func(t *testing.T) {
		got := draws(t, "100ms..900ms", 1000)
		median, iqr := quantile(got, 0.5), quantile(got, 0.75)-quantile(got, 0.25)
		t.Logf("median %s, interquartile range %s, min %s, max %s", median, iqr, got[0], got[len(got)-1])
		if !within(float64(median), float64(500*time.Millisecond)) {
			t.Errorf("median %s, want 500ms ±10%%", median)
		}
		if !within(float64(iqr), float64(400*time.Millisecond)) { // half the range
			t.Errorf("interquartile range %s, want 400ms ±10%%", iqr)
		}
		if got[0] < 100*time.Millisecond || got[len(got)-1] > 900*time.Millisecond {
			t.Errorf("draws range %s..%s, outside 100ms..900ms", got[0], got[len(got)-1])
		}
	})
	t.Run("lognormal", func(t *testing.T) {
		got := draws(t, "lognormal(median=200ms,sigma=0.5)", 1000)
		median := quantile(got, 0.5)
		var sum, sumSq float64
		for _, d := range got {
			l := math.Log(float64(d))
			sum += l
			sumSq += l * l
		}
		n := float64(len(got))
		sigma := math.Sqrt(sumSq/n - (sum/n)*(sum/n))
		// The interquartile range of a lognormal: median·(e^(0.6745σ) − e^(−0.6745σ)).
		iqr, wantIQR := quantile(got, 0.75)-quantile(got, 0.25), 200*time.Millisecond.Seconds()*(math.Exp(0.6745*0.5)-math.Exp(-0.6745*0.5))
		t.Logf("median %s, sigma of logs %.3f, interquartile range %s (want %.0fms)", median, sigma, iqr, wantIQR*1000)
		if !within(float64(median), float64(200*time.Millisecond)) {
			t.Errorf("median %s, want 200ms ±10%%", median)
		}
		if !within(sigma, 0.5) {
			t.Errorf("sigma of the logs %.3f, want 0.5 ±10%%", sigma)
		}
		if !within(iqr.Seconds(), wantIQR) {
			t.Errorf("interquartile range %s, want %.0fms ±10%%", iqr, wantIQR*1000)
		}
	})
	t.Run("lognormal cut by max", func(t *testing.T) {
		got := draws(t, "lognormal(median=200ms,sigma=2,max=400ms)", 1000)
		if top := got[len(got)-1]; top != 400*time.Millisecond {
			t.Errorf("largest draw %s, want the cut at 400ms", top)
		}
		if m := quantile(got, 0.5); !within(float64(m), float64(200*time.Millisecond)) {
			t.Errorf("median %s, want 200ms ±10%%", m)
		}
	})
	t.Run("lognormal cut by the limit", func(t *testing.T) {
		d, err := Parse("lognormal(median=50s,sigma=4)", limit)
		if err != nil {
			t.Fatal(err)
		}
		src := NewSource(1)
		for range 1000 {
			if got := src.Draw(d); got < 0 || got > limit {
				t.Fatalf("draw %s outside 0..%s", got, limit)
			}
		}
	})
}

// TestSourceIsSeeded: the same seed gives the same draws; another seed, others.
func TestSourceIsSeeded(t *testing.T) {
	d, _ := Parse("100ms..900ms", limit)
	seq := func(seed uint64) []time.Duration {
		src := NewSource(seed)
		var out []time.Duration
		for range 20 {
			out = append(out, src.Draw(d))
		}
		return out
	}
	if a, b := seq(7), seq(7); !slices.Equal(a, b) {
		t.Errorf("seed 7 drew %v then %v", a, b)
	}
	if a, b := seq(7), seq(8); slices.Equal(a, b) {
		t.Errorf("seeds 7 and 8 drew the same %v", a)
	}
}

// FuzzParse: whatever the text, Parse never panics, fails only with an *Error, and what it accepts prints
// (String) to a text that parses to the same distribution, whose draws stay within 0..limit.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"300ms", "100ms..900ms", "lognormal(median=200ms,sigma=0.5)", "lognormal(median=1ms,sigma=4,max=3s)", "1..", "lognormal(,)", "1e3ms"} {
		f.Add(s)
	}
	src := NewSource(1)
	f.Fuzz(func(t *testing.T, text string) {
		d, err := Parse(text, limit)
		if err != nil {
			var le *Error
			if !errors.As(err, &le) {
				t.Fatalf("Parse(%q) error %v is not an *Error", text, err)
			}
			return
		}
		again, err := Parse(d.String(), limit)
		if err != nil || !again.Equal(d) {
			t.Fatalf("Parse(%q) = %#v, whose String %q parses to %#v, %v", text, d, d.String(), again, err)
		}
		if got := src.Draw(d); got < 0 || got > limit {
			t.Fatalf("Parse(%q) drew %s, outside 0..%s", text, got, limit)
		}
	})
}

package mock_test

import (
	"math"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

// getDelays sends n GETs of an unknown task, with prefer as their Prefer header unless it is empty, and
// returns the latency each was answered after, as the journal says, in the order sent.
func getDelays(t *testing.T, srv *mocktest.Server, n int, prefer string) []float64 {
	t.Helper()
	for range n {
		req, err := http.NewRequest(http.MethodGet, srv.URL+lumamock.PathGenerations+"/nope", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer k")
		if prefer != "" {
			req.Header.Set("Prefer", prefer)
		}
		resp, err := srv.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("status %d, want 404", resp.StatusCode)
		}
	}
	var out []float64
	for _, rec := range srv.Mock.Requests() {
		out = append(out, rec.DelayMS)
	}
	if len(out) != n {
		t.Fatalf("journal holds %d requests, want %d", len(out), n)
	}
	return out
}

func mustLatency(t *testing.T, text string) mock.Latency {
	t.Helper()
	l, err := mock.ParseLatency(text)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestServerWideLognormalDelay: with Options.Delay a lognormal and a fixed seed, 1,000 real requests are
// answered after latencies whose median and spread are within 10% of the asked ones; the same seed draws the
// same latencies again.
func TestServerWideLognormalDelay(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 requests of about a millisecond each")
	}
	opts := mock.Options{Delay: mustLatency(t, "lognormal(median=1ms,sigma=0.5)"), Seed: 42}
	got := getDelays(t, mocktest.NewServer(t, opts), 1000, "")
	sorted := slices.Sorted(slices.Values(got))
	median := sorted[len(sorted)/2]
	var sum, sumSq float64
	for _, ms := range got {
		l := math.Log(ms)
		sum, sumSq = sum+l, sumSq+l*l
	}
	sigma := math.Sqrt(sumSq/1000 - (sum/1000)*(sum/1000))
	t.Logf("median %.3fms, sigma of logs %.3f", median, sigma)
	if math.Abs(median-1) > 0.1 {
		t.Errorf("median delay %.3fms, want 1ms ±10%%", median)
	}
	if math.Abs(sigma-0.5) > 0.05 {
		t.Errorf("sigma of the logs %.3f, want 0.5 ±10%%", sigma)
	}
	again := getDelays(t, mocktest.NewServer(t, opts), 20, "")
	if !slices.Equal(again, got[:20]) {
		t.Errorf("seed 42 drew %v, then %v", got[:20], again)
	}
}

// TestPreferDelayOverridesTheServers: a request's Prefer delay replaces Options.Delay, delay=0 included, and
// the answer really waits for the draw.
func TestPreferDelayOverridesTheServers(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{Delay: mustLatency(t, "5ms")})
	if got := getDelays(t, srv, 1, ""); got[0] != 5 {
		t.Errorf("server-wide delay %vms, want 5ms", got[0])
	}
	srv.Mock.Reset()
	if got := getDelays(t, srv, 1, "delay=0"); got[0] != 0 {
		t.Errorf("Prefer delay=0 answered after %vms, want 0", got[0])
	}
	srv.Mock.Reset()
	start := time.Now()
	got := getDelays(t, srv, 3, "delay=20ms..30ms")
	elapsed := time.Since(start)
	for _, ms := range got {
		if ms < 20 || ms > 30 {
			t.Errorf("Prefer delay=20ms..30ms drew %vms", ms)
		}
	}
	if want := time.Duration((got[0] + got[1] + got[2]) * float64(time.Millisecond)); elapsed < want {
		t.Errorf("3 requests took %s, less than the %s drawn", elapsed, want)
	}
}

// TestPreferDelayAppliedIsQuoted: a lognormal, whose value holds commas, is echoed quoted in
// Preference-Applied, so that the header still parses.
func TestPreferDelayAppliedIsQuoted(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{})
	const prefer = `delay="lognormal(median=1ms,sigma=0.1)", schema=luma`
	status, applied, _ := preferCall(t, srv, http.MethodGet, lumamock.PathGenerations+"/nope", prefer)
	if status != http.StatusNotFound || applied != prefer {
		t.Fatalf("status %d, Preference-Applied %q; want 404 and %q", status, applied, prefer)
	}
	if _, err := mock.ParsePrefer(http.Header{"Prefer": {applied}}); err != nil {
		t.Errorf("Preference-Applied %q does not parse: %v", applied, err)
	}
}

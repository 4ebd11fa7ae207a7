package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
)

// serveOptions is the mock.Options "lumamock serve args..." builds, with env as its environment.
func serveOptions(t *testing.T, env map[string]string, args ...string) mock.Options {
	t.Helper()
	setEnv(t, env)
	fs, c := newServeFlags(io.Discard)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	if err := applyEnv(fs, lookupEnv); err != nil {
		t.Fatal(err)
	}
	opts, err := c.mockOptions(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return opts
}

// TestServeFailureFlagsReachTheMock: the flags of the API's failure modes set their mock.Options, from the
// command line or the environment.
func TestServeFailureFlagsReachTheMock(t *testing.T) {
	latency := func(text string) mock.Latency {
		l, err := mock.ParseLatency(text)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want func(*mock.Options) any
		is   any
	}{
		{"no delay", nil, nil, func(o *mock.Options) any { return o.Delay }, mock.Latency{}},
		{"delay", []string{"--delay", "100ms..900ms"}, nil, func(o *mock.Options) any { return o.Delay }, latency("100ms..900ms")},
		{"delay from the environment", nil, map[string]string{"LUMAMOCK_DELAY": "lognormal(median=200ms,sigma=0.5)"},
			func(o *mock.Options) any { return o.Delay }, latency("lognormal(median=200ms,sigma=0.5)")},
		{"no API faults", nil, nil, func(o *mock.Options) any { return o.APIFaults }, []mock.APIFault(nil)},
		{"API faults", []string{"--fault-api", "reset:2%", "--fault-api", "503:5%"}, nil,
			func(o *mock.Options) any { return o.APIFaults }, []mock.APIFault{{Fault: "reset", Percent: 2}, {Fault: "503", Percent: 5}}},
		{"API faults from the environment", nil, map[string]string{"LUMAMOCK_FAULT_API": "stall:1%, garbage:0.5"},
			func(o *mock.Options) any { return o.APIFaults }, []mock.APIFault{{Fault: "stall", Percent: 1}, {Fault: "garbage", Percent: 0.5}}},
		{"no rate limit", nil, nil, func(o *mock.Options) any { return o.RateLimit }, mock.RateLimit{}},
		{"rate limit", []string{"--rate-limit", "10/s"}, nil, func(o *mock.Options) any { return o.RateLimit }, mock.RateLimit{Requests: 10, Per: time.Second}},
		{"rate limit from the environment", nil, map[string]string{"LUMAMOCK_RATE_LIMIT": "100/m"},
			func(o *mock.Options) any { return o.RateLimit }, mock.RateLimit{Requests: 100, Per: time.Minute}},
		{"no capacity", nil, nil, func(o *mock.Options) any { return o.Capacity }, 0},
		{"capacity", []string{"--capacity", "2"}, nil, func(o *mock.Options) any { return o.Capacity }, 2},
		{"capacity from the environment", nil, map[string]string{"LUMAMOCK_CAPACITY": "3"}, func(o *mock.Options) any { return o.Capacity }, 3},
		{"stall limit", []string{"--stall-limit", "30s"}, nil, func(o *mock.Options) any { return o.StallLimit }, 30 * time.Second},
		{"stall limit default", nil, nil, func(o *mock.Options) any { return o.StallLimit }, mock.DefaultStallLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := serveOptions(t, tt.env, tt.args...)
			if diff := cmp.Diff(tt.is, tt.want(&opts)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestServeStallsAndShutsDown: "lumamock serve --fault-api stall:100%" stalls every API answer after its
// headers, never /healthz, and shuts down at once with a connection stalled.
func TestServeStallsAndShutsDown(t *testing.T) {
	url, _, stop := startServe(t, nil, "--fault-api", "stall:100%", "--stall-limit", "1h")
	resp, err := http.Get(url + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	req, _ := http.NewRequest(http.MethodGet, url+lumamock.PathGenerations+"/nope", nil)
	req.Header.Set("Authorization", "Bearer k")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("status %d, want the 404 whose body stalls", resp.StatusCode)
	}
	read := make(chan error, 1)
	go func() { _, err := io.ReadAll(resp.Body); read <- err }()
	start := time.Now()
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if err := <-read; !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("the stalled body ended with %v, want unexpected EOF at shutdown", err)
	}
	t.Logf("shut down in %s with a stalled connection", time.Since(start))
}

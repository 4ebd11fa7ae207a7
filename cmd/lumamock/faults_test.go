package main

import (
	"context"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"

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

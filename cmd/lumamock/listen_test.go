package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
)

// A mock or proxy started on an address another lumamock holds says so, with that one's version; on an
// address something else holds, it gives the plain error. Either way it exits 2, like other start errors.
func TestStartOnABusyAddressNamesWhatHoldsIt(t *testing.T) {
	m, err := mock.New(mock.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	running := httptest.NewServer(m)
	defer running.Close()
	other := httptest.NewServer(http.NotFoundHandler())
	defer other.Close()
	silent, err := net.Listen("tcp", "127.0.0.1:0") // accepts connections, never answers
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()

	lumamockAddr := strings.TrimPrefix(running.URL, "http://")
	_, port, _ := net.SplitHostPort(lumamockAddr)
	tests := []struct {
		name, command, addr, want string
	}{
		{"serve where a lumamock runs", "serve", lumamockAddr, "a lumamock (version " + lumamock.Version + ") is already listening on " + lumamockAddr + " — stop it, or use --addr"},
		{"proxy where a lumamock runs", "proxy", lumamockAddr, "a lumamock (version " + lumamock.Version + ") is already listening on " + lumamockAddr + " — stop it, or use --addr"},
		{"serve on 0.0.0.0 where a lumamock runs on loopback", "serve", "0.0.0.0:" + port, "is already listening on 0.0.0.0:" + port},
		{"serve where another server runs", "serve", strings.TrimPrefix(other.URL, "http://"), "address already in use"},
		{"serve where nothing answers HTTP", "serve", silent.Addr().String(), "address already in use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{tt.command, "--addr", tt.addr}
			if tt.command == "proxy" {
				args = append(args, "--upstream", "http://127.0.0.1:1")
			}
			var stdout, stderr strings.Builder
			err := Run(context.Background(), args, &stdout, &stderr)
			var exit *ExitError
			if !errors.As(err, &exit) || exit.Code != 2 {
				t.Fatalf("Run = %v, want exit status 2", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to say %q", err, tt.want)
			}
			if strings.Contains(tt.want, "in use") && strings.Contains(err.Error(), "lumamock (") {
				t.Errorf("error %q names a lumamock where there is none", err)
			}
		})
	}
}

package mock_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

// pipeListener hands the server the far ends of in-memory connections (net.Pipe) its dial makes: nothing is
// buffered between the two ends, so an answer a client does not read blocks its writer at once, and reads on
// at full speed when the client does. No socket is opened.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// Addr is a loopback address, for the server's URL; the client's dial ignores it.
func (l *pipeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9} }

func (l *pipeListener) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// pipeServer starts a mock with opts (a manual clock, seed 1) on an httptest server over in-memory connections
// (see pipeListener), and returns its URL and a client that reaches it.
func pipeServer(t *testing.T, opts mock.Options) (string, *http.Client) {
	t.Helper()
	opts.Clock, opts.Seed = mock.NewManualClock(mocktest.Start), 1
	m, err := mock.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	l := &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
	hs := httptest.NewUnstartedServer(m)
	hs.Listener = l
	hs.Start()
	client := &http.Client{Transport: &http.Transport{DialContext: l.dial}}
	t.Cleanup(func() { client.CloseIdleConnections(); hs.Close(); m.Close() })
	return hs.URL, client
}

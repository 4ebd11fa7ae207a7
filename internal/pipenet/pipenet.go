// Package pipenet serves HTTP over in-memory connections (net.Pipe), for tests that run in a testing/synctest
// bubble: a goroutine blocked on a socket never lets the bubble's clock move, one blocked on a pipe does. The
// HTTP server and client are net/http's own, with their deadlines and flow control; a pipe buffers nothing, so
// a writer waits for its reader as it would once the socket buffers are full.
package pipenet

import (
	"context"
	"net"
	"net/http"
	"sync"
)

// Listener is a net.Listener whose connections are made by its Dial.
type Listener struct {
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

// Listen returns a Listener.
func Listen() *Listener {
	return &Listener{conns: make(chan net.Conn), closed: make(chan struct{})}
}

// Accept waits for a connection made by Dial.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

// Close stops Accept and Dial.
func (l *Listener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

// Addr is a loopback address, 127.0.0.1:9, so that a server that treats loopback listeners apart (the admin
// API's Host check) treats this one so; Dial ignores it.
func (l *Listener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9} }

// Dial connects to the listener, whatever network and address it is given: it is an http.Transport's
// DialContext.
func (l *Listener) Dial(ctx context.Context, _, _ string) (net.Conn, error) {
	server, client := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.closed:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Server is an http.Server of a handler on a Listener, and a client that reaches it.
type Server struct {
	// URL is the server's base URL, http://127.0.0.1:9; the Client dials the server whatever the host.
	URL    string
	Client *http.Client

	srv  *http.Server
	ln   *Listener
	done chan struct{}
}

// Serve serves h; Close ends it.
func Serve(h http.Handler) *Server {
	ln := Listen()
	s := &Server{URL: "http://" + ln.Addr().String(), ln: ln, srv: &http.Server{Handler: h}, done: make(chan struct{})}
	s.Client = &http.Client{Transport: &http.Transport{DialContext: ln.Dial}}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln)
	}()
	return s
}

// Close closes the server's connections and the client's, and waits for the server to stop.
func (s *Server) Close() {
	_ = s.srv.Close()
	<-s.done
	s.Client.CloseIdleConnections()
}

// Package connfault breaks HTTP/1.1 answers the ways real connections break: reset, closed empty, cut short,
// with a broken chunked encoding, with bytes that are not HTTP, or stalled after the headers. It hijacks the
// connection from net/http and writes (or does not write) the bytes itself.
//
// A stalled connection costs no goroutine: the handler returns once the headers are written, and one goroutine
// of the Injector's, running only while connections are stalled, closes each at its limit (or as soon as its
// client hangs up). The connections stalled at once are bounded; past the bound the oldest is closed first.
package connfault

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Fault is a way an answer's connection breaks.
type Fault string

// The faults, as Prefer fault=NAME and --fault-api NAME:PERCENT name them.
const (
	// Reset resets the connection (TCP RST) without an answer.
	Reset Fault = "reset"
	// Empty closes the connection without a byte.
	Empty Fault = "empty"
	// Truncated writes the status line, the headers (with the whole body's Content-Length) and half the body,
	// then closes.
	Truncated Fault = "truncated"
	// MalformedChunk writes the headers with Transfer-Encoding: chunked, half the body as a first chunk, then a
	// chunk size that is not hexadecimal, and closes.
	MalformedChunk Fault = "malformed-chunk"
	// Garbage writes random bytes that are not HTTP, then closes.
	Garbage Fault = "garbage"
	// Stall writes the status line and the headers, then nothing until the client gives up or the stall limit
	// passes; then it closes.
	Stall Fault = "stall"
)

// All lists every fault, in the order the docs name them.
var All = []Fault{Reset, Empty, Truncated, MalformedChunk, Garbage, Stall}

// Parse returns the fault named name, and whether there is one.
func Parse(name string) (Fault, bool) {
	for _, f := range All {
		if string(f) == name {
			return f, true
		}
	}
	return "", false
}

// Answer is what the handler answered, which the fault spoils.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// Defaults of an Injector's zero fields.
const (
	DefaultStallLimit = 2 * time.Minute
	DefaultMaxStalled = 10000
	// writeLimit bounds the writes of a fault, so a client that does not read cannot hold the handler.
	writeLimit = 5 * time.Second
	// peerCheck is how often stalled connections are checked for a client that hung up.
	peerCheck = time.Second
)

// ErrNotHijackable is returned by Apply when the connection cannot be taken over (HTTP/2, or a writer that is
// not net/http's).
var ErrNotHijackable = errors.New("connfault: the connection cannot be hijacked (HTTP/1.1 only)")

// Injector applies faults. Its zero value is not usable: create one with New. It is safe for concurrent use.
type Injector struct {
	stallLimit time.Duration
	maxStalled int

	randMu sync.Mutex
	rand   *rand.Rand // garbage bytes

	mu      sync.Mutex
	stalled []*stalled // oldest first; the deadlines follow the same order
	head    int        // stalled[:head] are gone
	running bool       // the closer goroutine runs
	wake    chan struct{}
	closed  bool
	done    chan struct{} // closed when the closer goroutine ends; replaced at each start
}

// Options configure an Injector.
type Options struct {
	// StallLimit is how long a stalled connection is held at most; zero means DefaultStallLimit.
	StallLimit time.Duration
	// MaxStalled bounds the connections stalled at once; past it the oldest is closed. Zero means
	// DefaultMaxStalled, and it is at most half the process's file descriptor limit.
	MaxStalled int
	// Seed seeds the garbage bytes.
	Seed uint64
}

// New returns an Injector.
func New(o Options) *Injector {
	if o.StallLimit <= 0 {
		o.StallLimit = DefaultStallLimit
	}
	if o.MaxStalled <= 0 {
		o.MaxStalled = DefaultMaxStalled
	}
	if fds := fileLimit(); fds > 0 && o.MaxStalled > fds/2 {
		o.MaxStalled = max(1, fds/2)
	}
	return &Injector{
		stallLimit: o.StallLimit,
		maxStalled: o.MaxStalled,
		rand:       rand.New(rand.NewPCG(o.Seed, o.Seed^0x2545f4914f6cdd1d)),
		wake:       make(chan struct{}, 1),
	}
}

// StallLimit is how long a stalled connection is held at most.
func (in *Injector) StallLimit() time.Duration { return in.stallLimit }

// MaxStalled is the most connections stalled at once.
func (in *Injector) MaxStalled() int { return in.maxStalled }

// Apply breaks the answer a on w's connection with fault f. It returns once the fault's bytes are written (for
// Stall: once the headers are; the connection is held by the Injector). Nothing is written to w when it fails
// with ErrNotHijackable.
func (in *Injector) Apply(w http.ResponseWriter, f Fault, a Answer) error {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNotHijackable, err)
	}
	// net/http may have left deadlines of its own (Server.WriteTimeout); the fault sets its own.
	_ = conn.SetDeadline(time.Time{})
	_ = conn.SetWriteDeadline(time.Now().Add(writeLimit))
	bw := bufio.NewWriter(conn)
	switch f {
	case Reset:
		if tcp, ok := conn.(*net.TCPConn); ok {
			_ = tcp.SetLinger(0) // Close sends RST
		}
		return conn.Close()
	case Empty:
		return hangUp(conn)
	case Truncated:
		writeHead(bw, a, false)
		bw.Write(a.Body[:len(a.Body)/2])
		bw.Flush()
		return hangUp(conn)
	case MalformedChunk:
		writeHead(bw, a, true)
		half := a.Body[:len(a.Body)/2]
		if len(half) > 0 {
			fmt.Fprintf(bw, "%x\r\n%s\r\n", len(half), half)
		}
		bw.WriteString("zz\r\n") // not a hexadecimal chunk size
		bw.Flush()
		return hangUp(conn)
	case Garbage:
		bw.Write(in.garbage())
		bw.Flush()
		return hangUp(conn)
	case Stall:
		writeHead(bw, a, false)
		if err := bw.Flush(); err != nil {
			return conn.Close()
		}
		in.hold(conn)
		return nil
	}
	conn.Close()
	return fmt.Errorf("connfault: unknown fault %q", f)
}

// hangUp closes conn the orderly way (FIN), so that the client reads what was written, then EOF.
func hangUp(conn net.Conn) error {
	if cw, ok := conn.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	return conn.Close()
}

// writeHead writes a's status line and headers, with its body's Content-Length, or chunked.
func writeHead(bw *bufio.Writer, a Answer, chunked bool) {
	status := a.Status
	if status == 0 {
		status = http.StatusOK
	}
	fmt.Fprintf(bw, "HTTP/1.1 %03d %s\r\n", status, http.StatusText(status))
	h := a.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Del("Content-Length")
	h.Del("Transfer-Encoding")
	if chunked {
		h.Set("Transfer-Encoding", "chunked")
	} else {
		h.Set("Content-Length", strconv.Itoa(len(a.Body)))
	}
	if h.Get("Date") == "" {
		h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	}
	_ = h.Write(bw)
	bw.WriteString("\r\n")
}

// garbage returns 64 to 512 random bytes that no client can take for an HTTP answer: one line (no CR, LF or
// space, so every client fails on it as a whole, the same way), not starting with "H".
func (in *Injector) garbage() []byte {
	in.randMu.Lock()
	defer in.randMu.Unlock()
	b := make([]byte, 64+in.rand.IntN(449))
	for i := range b {
		b[i] = byte(in.rand.Uint32())
		if b[i] == ' ' || b[i] == '\r' || b[i] == '\n' {
			b[i] = '~'
		}
	}
	if b[0] == 'H' {
		b[0] = '~'
	}
	return b
}

// stalled is a connection held by a stall, until deadline.
type stalled struct {
	conn     net.Conn
	deadline time.Time
	once     sync.Once
}

func (s *stalled) close() { s.once.Do(func() { s.conn.Close() }) }

// hold keeps conn open until its stall limit, or until its client hangs up.
func (in *Injector) hold(conn net.Conn) {
	st := &stalled{conn: conn}
	var evicted *stalled
	in.mu.Lock()
	if in.closed {
		in.mu.Unlock()
		st.close()
		return
	}
	st.deadline = time.Now().Add(in.stallLimit) // under mu: the deadlines follow the order of the slice
	in.stalled = append(in.stalled, st)
	if len(in.stalled)-in.head > in.maxStalled {
		evicted = in.stalled[in.head]
		in.stalled[in.head] = nil
		in.head++
	}
	start := !in.running
	if start {
		in.running = true
		in.done = make(chan struct{})
	}
	done := in.done
	in.mu.Unlock()
	if evicted != nil {
		evicted.close()
	}
	if start {
		go in.closer(done)
	}
}

// Stalled reports how many connections are stalled now.
func (in *Injector) Stalled() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return len(in.stalled) - in.head
}

// closer closes stalled connections at their deadline, and those whose client hung up; it ends when none are
// left, or at Close.
func (in *Injector) closer(done chan struct{}) {
	defer close(done)
	timer := time.NewTimer(peerCheck)
	defer timer.Stop()
	for {
		now := time.Now()
		var expired []*stalled
		in.mu.Lock()
		for in.head < len(in.stalled) && !in.stalled[in.head].deadline.After(now) {
			expired = append(expired, in.stalled[in.head])
			in.stalled[in.head] = nil
			in.head++
		}
		in.compactLocked()
		if in.head == len(in.stalled) || in.closed {
			in.running = false
			in.mu.Unlock()
			for _, st := range expired {
				st.close()
			}
			return
		}
		wait := min(in.stalled[in.head].deadline.Sub(now), peerCheck)
		live := append([]*stalled(nil), in.stalled[in.head:]...)
		in.mu.Unlock()
		for _, st := range expired {
			st.close()
		}
		in.dropHungUp(live)
		timer.Reset(wait)
		select {
		case <-timer.C:
		case <-in.wake:
		}
	}
}

// dropHungUp closes and forgets the connections of live whose client has hung up.
func (in *Injector) dropHungUp(live []*stalled) {
	gone := map[*stalled]bool{}
	for _, st := range live {
		if peerClosed(st.conn) {
			st.close()
			gone[st] = true
		}
	}
	if len(gone) == 0 {
		return
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	kept := in.stalled[:in.head]
	for _, st := range in.stalled[in.head:] {
		if !gone[st] {
			kept = append(kept, st)
		}
	}
	clear(in.stalled[len(kept):])
	in.stalled = kept
	in.compactLocked()
}

// compactLocked keeps the slice of stalled connections from growing without end.
func (in *Injector) compactLocked() {
	if in.head == len(in.stalled) {
		in.stalled, in.head = in.stalled[:0], 0
		return
	}
	if in.head > 1024 && in.head > len(in.stalled)/2 {
		n := copy(in.stalled, in.stalled[in.head:])
		clear(in.stalled[n:])
		in.stalled, in.head = in.stalled[:n], 0
	}
}

// Close closes every stalled connection and stops the closer goroutine, without waiting on a client. Faults
// applied afterwards still work, but a stall closes at once.
func (in *Injector) Close() {
	in.mu.Lock()
	in.closed = true
	held := append([]*stalled(nil), in.stalled[in.head:]...)
	clear(in.stalled)
	in.stalled, in.head = nil, 0
	done := in.done
	in.mu.Unlock()
	select {
	case in.wake <- struct{}{}:
	default:
	}
	for _, st := range held {
		st.close()
	}
	if done != nil {
		<-done
	}
}

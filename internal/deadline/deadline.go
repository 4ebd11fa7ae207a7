// Package deadline bounds how long an answer may take to reach its client, so that a client that reads slowly,
// or not at all, cannot hold a server's goroutine, connection and buffers for ever.
//
// A Writer gives each write of an answer Stall to get through to the client, and no write past Limit after the
// answer's first write: what happens before it (a Prefer delay, reading the request) does not count. It writes
// large slices a piece at a time, each with its own Stall, so a client that reads slowly but steadily keeps its
// answer until Limit, and one that stops reading loses it after Stall. An answer cut short ends its connection.
package deadline

import (
	"io"
	"net/http"
	"time"
)

// The bounds lumamock's servers give every answer (list reads have the same; see adminpage).
const (
	// Stall is how long a write of an answer may wait for its client to take more.
	Stall = 30 * time.Second
	// Limit bounds a whole answer from its first write: a 20 MiB answer needs a client taking 170 KiB/s.
	Limit = 2 * time.Minute
)

// piece is how much of a large write goes to the connection under one deadline.
const piece = 64 << 10

// smallWrite is what a write may hold and never reach the connection: net/http buffers that much of an answer
// before it writes to the connection (it writes the rest at Done, under its deadline).
const smallWrite = 2 << 10

// Writer is an http.ResponseWriter whose writes have deadlines (see the package doc). Create it with Wrap, and
// call Done once the handler has answered.
type Writer struct {
	http.ResponseWriter
	conn         deadliner  // sets the connection's write deadline; nil when nothing beneath can
	flush        errFlusher // flushes through to the connection; nil when nothing beneath can
	stall, limit time.Duration
	end          time.Time // no write after it; zero before the answer's first write
	written      int       // bytes written so far
	set          bool      // a deadline is set on the connection
	manual       bool      // the handler sets its own deadlines (SetWriteDeadline): this Writer sets none
	inner        bool      // another Writer beneath bounds the answer: this one passes everything on
}

type deadliner interface{ SetWriteDeadline(time.Time) error }

type errFlusher interface{ FlushError() error }

type unwrapper interface{ Unwrap() http.ResponseWriter }

// Wrap returns w with deadlines of stall and limit. Under another Writer it bounds nothing itself.
func Wrap(w http.ResponseWriter, stall, limit time.Duration) *Writer {
	dw := &Writer{ResponseWriter: w, stall: stall, limit: limit}
	for cur := w; cur != nil; {
		if _, ok := cur.(*Writer); ok {
			dw.inner = true
			return dw
		}
		if d, ok := cur.(deadliner); ok && dw.conn == nil {
			dw.conn = d
		}
		if f, ok := cur.(errFlusher); ok && dw.flush == nil {
			dw.flush = f
		}
		u, ok := cur.(unwrapper)
		if !ok {
			break
		}
		cur = u.Unwrap()
	}
	return dw
}

// active reports whether this Writer sets the deadlines.
func (w *Writer) active() bool { return w.conn != nil && !w.inner && !w.manual }

// arm sets the deadline of the next write: Stall from now, and never past the answer's Limit.
func (w *Writer) arm() {
	now := time.Now()
	if w.end.IsZero() {
		w.end = now.Add(w.limit)
	}
	d := now.Add(w.stall)
	if d.After(w.end) {
		d = w.end
	}
	if w.conn.SetWriteDeadline(d) == nil {
		w.set = true
	}
}

// Write writes p, a piece at a time, each piece that may reach the connection under its own deadline.
func (w *Writer) Write(p []byte) (int, error) {
	if !w.active() {
		return w.ResponseWriter.Write(p)
	}
	return writePieces(w, p, w.ResponseWriter.Write)
}

// WriteString writes s as Write writes its bytes, without copying s when the writer beneath takes strings.
func (w *Writer) WriteString(s string) (int, error) {
	sw, ok := w.ResponseWriter.(io.StringWriter)
	if !ok {
		return w.Write([]byte(s))
	}
	if !w.active() {
		return sw.WriteString(s)
	}
	return writePieces(w, s, sw.WriteString)
}

// writePieces writes p with write, a piece at a time, arming w's deadline before each piece that may reach the
// connection.
func writePieces[T string | []byte](w *Writer, p T, write func(T) (int, error)) (int, error) {
	n := 0
	for len(p) > 0 {
		c := p[:min(len(p), piece)]
		if w.set || w.written+len(c) > smallWrite {
			w.arm()
		}
		m, err := write(c)
		n += m
		w.written += m
		if err != nil {
			return n, err
		}
		p = p[len(c):]
	}
	return n, nil
}

// FlushError flushes the answer to the client under the deadline.
func (w *Writer) FlushError() error {
	if w.active() {
		w.arm()
	}
	if w.flush == nil {
		return http.ErrNotSupported
	}
	return w.flush.FlushError()
}

// Flush is FlushError for callers of http.Flusher.
func (w *Writer) Flush() { _ = w.FlushError() }

// SetWriteDeadline sets the deadline of the handler's own choosing (a streamed list read does): from then on
// this Writer leaves the deadlines to the handler, who lifts its own.
func (w *Writer) SetWriteDeadline(t time.Time) error {
	if w.conn == nil {
		return http.ErrNotSupported
	}
	w.manual = true
	return w.conn.SetWriteDeadline(t)
}

// Unwrap returns the writer beneath, for http.ResponseController.
func (w *Writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Done bounds what is left of the answer once its handler has returned: net/http writes what it still buffers
// after the handler, and that write gets the deadline too. net/http lifts the deadline once the answer is
// written (Go 1.26); a later answer on the connection that goes through a Writer sets its own before it
// writes. An answer that wrote nothing is left as it is.
func (w *Writer) Done() {
	if w.active() && w.written > 0 {
		w.arm()
	}
}

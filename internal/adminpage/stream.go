package adminpage

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/lumamock/lumamock/internal/deadline"
	"github.com/lumamock/lumamock/internal/httpjson"
)

// ReadSlots bounds the admin list reads (GET /__mock/tasks, /__mock/requests, /__mock/callbacks) one server
// answers at once: more wait for a turn, or until their client gives up. A read streams its answer, so it holds
// about one record in memory, but it costs CPU for as long as it writes; a flood queues instead of multiplying
// that.
const ReadSlots = 4

// ReadStall is how long a list read waits for its client to take the next part of its answer: a client that
// stops reading loses its answer (the connection is cut) and gives its turn back, so stalled clients cannot keep
// the others waiting for ever.
const ReadStall = deadline.Stall

// ReadLimit bounds a whole list read: a client that takes its answer slowly, but never slowly enough to trip
// ReadStall, loses it (cut short) once ReadLimit has passed, and gives its turn back. At loopback speed the
// largest answer, every task of a full store, takes seconds; a reader that needs more should page.
const ReadLimit = deadline.Limit

// streamChunk is how much of an answer is gathered before it is written to the client.
const streamChunk = 32 << 10

// Gate holds the turns of a server's list reads (ReadSlots at once).
type Gate chan struct{}

// NewGate returns a gate with ReadSlots turns.
func NewGate() Gate { return make(Gate, ReadSlots) }

// TurnWait bounds how long a list read waits for a turn: past it the read is answered 503 (see Busy), so a
// client such as the dashboard is told the server is busy rather than kept waiting behind slow readers.
const TurnWait = 5 * time.Second

// Enter waits for a turn until ctx ends or wait passes; false means no turn was had.
func (g Gate) Enter(ctx context.Context, wait time.Duration) bool {
	select {
	case g <- struct{}{}:
		return true
	default:
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case g <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	case <-timer.C:
		return false
	}
}

// Turn waits, at most TurnWait, for a turn for the list read r; without one it answers w with Busy (unless the
// client gave up) and returns false. After true, the caller gives the turn back with Leave.
func (g Gate) Turn(w http.ResponseWriter, r *http.Request) bool {
	if g.Enter(r.Context(), TurnWait) {
		return true
	}
	if r.Context().Err() == nil {
		Busy(w)
	}
	return false
}

// Busy answers a list read that had no turn within TurnWait: 503 with Retry-After and a JSON error.
func Busy(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "1")
	httpjson.Write(w, http.StatusServiceUnavailable, map[string]string{"error": fmt.Sprintf(
		"busy: %d list reads are being answered; retry, or page with a smaller limit", ReadSlots)})
}

// Leave gives the turn back.
func (g Gate) Leave() { <-g }

// Items is the answer of a list read: records rendered one at a time, as they are written.
type Items interface {
	// Len is how many records there are.
	Len() int
	// Render returns what record i is written as.
	Render(i int) any
	// Release lets go of what only record i held, once it is written.
	Release(i int)
}

// Slice is the Items of a slice, each rendered by RenderItem.
type Slice[E any] struct {
	Items      []E
	RenderItem func(*E) any
}

// Len is len(s.Items).
func (s Slice[E]) Len() int { return len(s.Items) }

// Render renders item i.
func (s Slice[E]) Render(i int) any { return s.RenderItem(&s.Items[i]) }

// Release clears item i in the slice, so that what it holds can be collected.
func (s Slice[E]) Release(i int) {
	var zero E
	s.Items[i] = zero
}

// StreamArray answers 200 with the JSON array of the values render makes of items, in order (see Stream).
func StreamArray[E any](w http.ResponseWriter, items []E, render func(*E) any, stall, limit time.Duration) {
	Stream(w, Slice[E]{Items: items, RenderItem: render}, stall, limit)
}

// Stream answers 200 with the JSON array of items, in order, writing each record as it is rendered: the bytes
// are those of the whole array encoded at once (without HTML escaping, with a trailing newline), without a
// Content-Length. What it holds beyond items is one record and a write buffer; each item is let go once written.
// A client that stops reading for stall (ReadStall in servers), that has not taken the whole answer after limit
// (ReadLimit), or that goes away, ends the answer, cut short.
func Stream(w http.ResponseWriter, items Items, stall, limit time.Duration) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Del("Content-Length")
	w.WriteHeader(http.StatusOK)
	dw := &deadlineWriter{w: w, rc: http.NewResponseController(w), stall: stall, end: time.Now().Add(limit)}
	defer dw.clear()
	bw := bufio.NewWriterSize(dw, streamChunk)
	var rec bytes.Buffer
	enc := json.NewEncoder(&rec)
	enc.SetEscapeHTML(false)
	_ = bw.WriteByte('[')
	for i := range items.Len() {
		v := items.Render(i)
		if s, ok := v.(httpjson.Spliced); ok {
			// A record holding a large string is written from the string, a piece at a time (see Spliced).
			if i > 0 {
				_ = bw.WriteByte(',')
			}
			if _, err := s.WriteTo(bw); err != nil {
				if errors.Is(err, httpjson.ErrNoMarker) {
					panic(http.ErrAbortHandler)
				}
				return // the client went away or stalled
			}
			items.Release(i)
			continue
		}
		rec.Reset()
		if err := enc.Encode(v); err != nil {
			// The records are the server's own types, which always encode. The status is sent: cut the answer
			// rather than end it as if it were whole.
			panic(http.ErrAbortHandler)
		}
		items.Release(i)
		if i > 0 {
			_ = bw.WriteByte(',')
		}
		if _, err := bw.Write(bytes.TrimSuffix(rec.Bytes(), []byte("\n"))); err != nil {
			return // the client went away or stalled
		}
	}
	_, _ = bw.WriteString("]\n")
	if bw.Flush() == nil {
		_ = dw.rc.Flush() // through to the client while the deadline holds
	}
}

// deadlineWriter writes to an answer, giving each write stall to get through to the client, and none past end.
type deadlineWriter struct {
	w     io.Writer
	rc    *http.ResponseController
	stall time.Duration
	end   time.Time // no write goes on after it
	set   bool
}

func (d *deadlineWriter) Write(p []byte) (int, error) {
	deadline := time.Now().Add(d.stall)
	if d.end.Before(deadline) {
		deadline = d.end
	}
	if d.rc.SetWriteDeadline(deadline) == nil {
		d.set = true
	}
	return d.w.Write(p)
}

// clear lifts the deadline, which would otherwise outlive the answer on the connection.
func (d *deadlineWriter) clear() {
	if d.set {
		_ = d.rc.SetWriteDeadline(time.Time{})
	}
}

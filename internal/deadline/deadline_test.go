package deadline

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/lumamock/lumamock/internal/pipenet"
)

// dial returns the client end of a new in-memory connection to l's server (see pipenet: a pipe holds nothing, so
// a client that stops reading stops the server's writes at once, and a synctest bubble's clock runs the
// deadlines).
func dial(t *testing.T, l *pipenet.Listener) net.Conn {
	t.Helper()
	c, err := l.Dial(context.Background(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// result is what a handler's writes came to.
type result struct {
	written int
	err     error
	took    time.Duration
}

// serve runs, in a synctest bubble, a server whose handler waits delay, then writes size bytes through a
// Writer (stall, limit) in writes of 1 MiB; and a client that sends one request and reads the answer at rate
// bytes a second (0: only the headers). It returns what the handler wrote, and what the client read.
func serve(t *testing.T, delay time.Duration, size int, stall, limit time.Duration, rate int) (result, int) {
	t.Helper()
	var res result
	var read int
	synctest.Test(t, func(t *testing.T) {
		done := make(chan result, 1)
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			time.Sleep(delay)
			dw := Wrap(w, stall, limit)
			defer dw.Done()
			w = dw
			w.Header().Set("Content-Length", fmt.Sprint(size))
			start := time.Now()
			chunk := []byte(strings.Repeat("x", 1<<20))
			var r result
			for r.written < size && r.err == nil {
				n, err := w.Write(chunk[:min(len(chunk), size-r.written)])
				r.written += n
				r.err = err
			}
			r.took = time.Since(start)
			done <- r
		})}
		l := pipenet.Listen()
		go srv.Serve(l)
		c := dial(t, l)
		fmt.Fprint(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		br := bufio.NewReaderSize(c, 4096)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		if rate > 0 {
			buf := make([]byte, rate/10)
			for {
				n, err := io.ReadFull(resp.Body, buf)
				read += n
				if err != nil {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
		res = <-done
		c.Close()
		srv.Close()
	})
	return res, read
}

func TestWriterCutsAClientThatDoesNotRead(t *testing.T) {
	res, _ := serve(t, 0, 20<<20, 200*time.Millisecond, time.Minute, 0)
	if res.err == nil || res.written >= 20<<20 {
		t.Fatalf("the handler wrote %d bytes, error %v: the answer was not cut", res.written, res.err)
	}
	var ne net.Error
	if !errors.As(res.err, &ne) || !ne.Timeout() {
		t.Errorf("error %v, want a timeout", res.err)
	}
	if res.took < 200*time.Millisecond || res.took > 300*time.Millisecond {
		t.Errorf("cut after %s, want the stall, 200ms", res.took)
	}
}

func TestWriterKeepsASlowSteadyReader(t *testing.T) {
	// 4 MiB at 1 MiB/s: 4 s, far more than the stall, well within the limit.
	res, read := serve(t, 0, 4<<20, 200*time.Millisecond, time.Minute, 1<<20)
	if res.err != nil || read != 4<<20 {
		t.Fatalf("the handler wrote %d bytes (error %v), the client read %d: want the whole answer", res.written, res.err, read)
	}
}

func TestWriterCutsAtTheLimit(t *testing.T) {
	// 4 MiB at 1 MiB/s, with a limit of 2 s: cut after 2 s, though the client never stalls.
	res, read := serve(t, 0, 4<<20, 200*time.Millisecond, 2*time.Second, 1<<20)
	if res.err == nil || read >= 4<<20 {
		t.Fatalf("the client read %d bytes: the answer was not cut at the limit", read)
	}
	if res.took < 2*time.Second || res.took > 2*time.Second+200*time.Millisecond {
		t.Errorf("cut after %s, want the limit, 2s", res.took)
	}
}

func TestWriterCountsFromTheFirstWrite(t *testing.T) {
	// A delay of 5 s before the answer (Prefer: delay) is no stall: the whole answer arrives.
	res, read := serve(t, 5*time.Second, 256<<10, 200*time.Millisecond, time.Second, 1<<20)
	if res.err != nil || read != 256<<10 {
		t.Fatalf("after a delay: the handler wrote %d bytes (error %v), the client read %d", res.written, res.err, read)
	}
}

// TestDoneBoundsWhatIsStillBuffered answers a client that reads nothing with an answer small enough that
// net/http holds it until the handler returns: the write that happens then is bounded too, and the connection
// ends after the stall instead of waiting for the client for ever.
func TestDoneBoundsWhatIsStillBuffered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		closed := make(chan struct{})
		srv := &http.Server{
			Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				dw := Wrap(w, 200*time.Millisecond, time.Minute)
				defer dw.Done()
				_, _ = io.WriteString(dw, "answer")
			}),
			ConnState: func(_ net.Conn, s http.ConnState) {
				if s == http.StateClosed {
					close(closed)
				}
			},
		}
		l := pipenet.Listen()
		go srv.Serve(l)
		c := dial(t, l)
		fmt.Fprint(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n") // and read nothing
		time.Sleep(300 * time.Millisecond)
		synctest.Wait()
		select {
		case <-closed:
		default:
			t.Error("the connection still waits for the client to read the answer, past the stall")
		}
		c.Close()
		srv.Close()
	})
}

// TestNestedWriterLeavesTheDeadlinesToTheOuter wraps an answer twice, as serve --replay wraps the mock: the inner
// Writer passes everything on, and the outer one still cuts a client that does not read.
func TestNestedWriterLeavesTheDeadlinesToTheOuter(t *testing.T) {
	w := Wrap(&fakeConnWriter{}, time.Second, time.Minute)
	if inner := Wrap(w, time.Second, time.Minute); !inner.inner || w.inner {
		t.Errorf("inner %v, outer %v: want only the inner one passing on", inner.inner, w.inner)
	}
}

type fakeConnWriter struct{ http.ResponseWriter }

func (fakeConnWriter) SetWriteDeadline(time.Time) error { return nil }

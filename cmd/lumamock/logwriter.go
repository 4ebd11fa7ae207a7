package main

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"
)

// newLogger returns a log/slog logger in format ("text" or "json") that writes to w through a bufferedWriter,
// and that writer, to Close when the command ends.
func newLogger(format string, w io.Writer) (*slog.Logger, *bufferedWriter, error) {
	var newHandler func(io.Writer, *slog.HandlerOptions) slog.Handler
	switch format {
	case "text":
		newHandler = func(w io.Writer, o *slog.HandlerOptions) slog.Handler { return slog.NewTextHandler(w, o) }
	case "json":
		newHandler = func(w io.Writer, o *slog.HandlerOptions) slog.Handler { return slog.NewJSONHandler(w, o) }
	default:
		return nil, nil, fmt.Errorf("--log-format %q: want text or json", format)
	}
	out := newBufferedWriter(w, 200*time.Millisecond)
	opts := &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Value.Kind() == slog.KindDuration { // "1.5ms", not 1500000, in either format
			a.Value = slog.StringValue(a.Value.Duration().String())
		}
		return a
	}}
	return slog.New(newHandler(out, opts)), out, nil
}

// bufferedWriter batches log writes so request logging costs little under load, flushing every interval and
// on Close.
type bufferedWriter struct {
	mu    sync.Mutex
	w     *bufio.Writer
	stop  chan struct{}
	done  chan struct{}
	close sync.Once
}

func newBufferedWriter(w io.Writer, interval time.Duration) *bufferedWriter {
	b := &bufferedWriter{w: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(b.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				b.Flush()
			case <-b.stop:
				return
			}
		}
	}()
	return b
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Write(p)
}

// Flush writes what is buffered.
func (b *bufferedWriter) Flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	_ = b.w.Flush()
}

// Close stops the flusher and flushes.
func (b *bufferedWriter) Close() error {
	b.close.Do(func() { close(b.stop); <-b.done })
	b.Flush()
	return nil
}

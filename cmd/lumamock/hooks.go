package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lumamock/lumamock"
)

// hooksConfig is what "lumamock hooks" is told by its flags and LUMAMOCK_* variables.
type hooksConfig struct {
	addr    string
	status  int
	maxBody byteSize
}

func newHooksFlags(stderr io.Writer) (*flag.FlagSet, *hooksConfig) {
	c := &hooksConfig{maxBody: 1 << 20}
	fs := flag.NewFlagSet("lumamock hooks", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "listen", "127.0.0.1:9000", "listen `address` (host:port; port 0 picks a free one); LUMAMOCK_LISTEN, not serve's LUMAMOCK_ADDR")
	fs.IntVar(&c.status, "status", http.StatusOK, "HTTP `status` to answer every callback with (a non-2xx one makes lumamock retry)")
	fs.Var(&c.maxBody, "max-body", "largest body printed (a `size` such as 64KiB); the rest is read and dropped")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: lumamock hooks [flags]

Receives webhook callbacks and prints each one on stdout: its time, method and path, the User-Agent and
X-Lumamock-* headers, and its body. Point a request's notify_hook at it:

  lumamock hooks --listen 127.0.0.1:9000
  ... "notify_hook": "http://127.0.0.1:9000/hook" ...

Flags:
`)
		fs.PrintDefaults()
	}
	return fs, c
}

// runHooks runs "lumamock hooks" until ctx is done.
func runHooks(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, c := newHooksFlags(stderr)
	if done, err := parseFlags(fs, args, stdout); done || err != nil {
		return err
	}
	if c.status < 200 || c.status > 599 {
		// 1xx are interim answers: net/http would send the final 200 after it.
		return &ExitError{Code: 2, Err: fmt.Errorf("--status %d: want a final HTTP status, from 200 to 599", c.status)}
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return &ExitError{Code: 2, Err: fmt.Errorf("listen: %w", err)}
	}
	fmt.Fprintf(stdout, "lumamock %s receiving callbacks on http://%s (answering %d)\n", lumamock.Version, ln.Addr(), c.status)
	printer := &hookPrinter{out: stdout, status: c.status, maxBody: int64(c.maxBody), now: time.Now}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return serveHTTP(ctx, ln, printer, logger, time.Second, nil)
}

// hookPrinter is an http.Handler that prints every request it receives and answers it with status.
type hookPrinter struct {
	mu      sync.Mutex // one request's lines at a time
	out     io.Writer
	status  int
	maxBody int64
	now     func() time.Time
}

// printedHeaders are the request headers a printed callback shows, besides every X-Lumamock-* header.
var printedHeaders = []string{"User-Agent", "Content-Type"}

func (p *hookPrinter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, p.maxBody+1))
	truncated := int64(len(body)) > p.maxBody
	if truncated {
		body = body[:p.maxBody]
		_, _ = io.Copy(io.Discard, r.Body)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s", p.now().UTC().Format(time.RFC3339Nano), r.Method, r.URL.RequestURI())
	var names []string
	for name := range r.Header {
		if strings.HasPrefix(name, "X-Lumamock-") {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range append(names, printedHeaders...) {
		if v := r.Header.Get(name); v != "" {
			fmt.Fprintf(&b, "\n  %s: %s", name, v)
		}
	}
	b.WriteByte('\n')
	if len(body) > 0 {
		b.Write(bytes.TrimRight(body, "\r\n"))
		if truncated {
			fmt.Fprintf(&b, "… (cut at %d bytes)", p.maxBody)
		}
		b.WriteByte('\n')
	}
	if err != nil && !errors.Is(err, io.EOF) {
		fmt.Fprintf(&b, "(body not read to the end: %v)\n", err)
	}
	p.mu.Lock()
	_, _ = io.WriteString(p.out, b.String())
	p.mu.Unlock()
	w.WriteHeader(p.status)
}

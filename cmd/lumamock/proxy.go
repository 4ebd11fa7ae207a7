package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/cassette"
	"github.com/lumamock/lumamock/contract"
	"github.com/lumamock/lumamock/internal/redact"
	"github.com/lumamock/lumamock/internal/ui"
	"github.com/lumamock/lumamock/proxy"
)

// proxyConfig is what "lumamock proxy" is told by its flags and LUMAMOCK_* variables.
type proxyConfig struct {
	upstream  string
	addr      string
	spec      string
	strict    bool
	record    string
	hookRelay bool
	hookURL   string
	schema    string
	timeout   time.Duration
	maxBody   byteSize
	journal   byteSize // --journal-max-bytes
	logFormat string
	drain     time.Duration
	adminTok  string
}

func newProxyFlags(stderr io.Writer) (*flag.FlagSet, *proxyConfig) {
	c := &proxyConfig{maxBody: proxy.DefaultMaxBody, journal: proxy.DefaultJournalMaxBytes}
	fs := flag.NewFlagSet("lumamock proxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.upstream, "upstream", "", "base `URL` of the live API to forward to (required), e.g. https://api.example.com")
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "listen `address` (host:port; port 0 picks a free one)")
	fs.StringVar(&c.spec, "spec", "", "hold traffic to this OpenAPI `file` instead of the embedded openapi.yaml")
	fs.BoolVar(&c.strict, "strict", false, "answer a violating request with the 4xx the document implies (not forwarded) and a violating response with 502")
	fs.StringVar(&c.record, "record", "", "record every exchange and callback, sanitized, as a cassette in `dir` (replay it with lumamock serve --replay)")
	fs.BoolVar(&c.hookRelay, "hook-relay", false, "replace each notify_hook with the proxy's own, check the callbacks and forward them to the original hook")
	fs.StringVar(&c.hookURL, "hook-url", "", "base `URL` the upstream reaches this proxy at (needs --hook-relay; default http://<listen address>)")
	fs.StringVar(&c.schema, "schema", string(lumamock.ShapeEnvelope), "`shape` of the proxy's own error answers: envelope or luma")
	fs.DurationVar(&c.timeout, "timeout", proxy.DefaultTimeout, "bound on each upstream exchange; past it the client gets 504")
	fs.Var(&c.maxBody, "max-body", "largest body buffered to be checked (a `size` such as 20MiB); larger ones are streamed through unchecked")
	fs.Var(&c.journal, "journal-max-bytes", "memory each journal may hold, a `size` such as 32MiB; past it the oldest entries are forgotten first")
	fs.StringVar(&c.logFormat, "log-format", "text", "log `format`: text or json (API keys are never logged)")
	fs.DurationVar(&c.drain, "drain", 5*time.Second, "on SIGINT/SIGTERM, time to finish requests in flight")
	fs.StringVar(&c.adminTok, "admin-token", "", "require Authorization: Bearer `token` on every admin endpoint (/__mock/...; /healthz stays open)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: lumamock proxy --upstream URL [flags]

Forwards every request to the live API unchanged and holds both directions to openapi.yaml. An exchange that
breaks the document gets an X-Lumamock-Violations response header (a JSON array), a log line and a journal
entry (GET /__mock/requests on the proxy's address).

Every flag can also be set with the environment variable LUMAMOCK_<FLAG> (e.g. LUMAMOCK_UPSTREAM,
LUMAMOCK_STRICT=true); a flag on the command line wins.

Flags:
`)
		fs.PrintDefaults()
	}
	return fs, c
}

// runProxy runs "lumamock proxy" until ctx is done, then shuts down gracefully.
func runProxy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, c := newProxyFlags(stderr)
	if done, err := parseFlags(fs, args, stdout); done || err != nil {
		return err
	}
	if c.upstream == "" {
		return &ExitError{Code: 2, Err: errors.New("proxy: --upstream is required (or LUMAMOCK_UPSTREAM)")}
	}
	if u, err := url.Parse(c.upstream); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &ExitError{Code: 2, Err: fmt.Errorf("--upstream %q is not an http(s) URL", c.upstream)}
	}
	schema, ok := lumamock.ParseShape(c.schema)
	if !ok {
		return &ExitError{Code: 2, Err: fmt.Errorf("--schema %q: want envelope or luma", c.schema)}
	}
	if c.timeout <= 0 {
		return &ExitError{Code: 2, Err: fmt.Errorf("--timeout %s: must be positive", c.timeout)}
	}
	if c.hookURL != "" && !c.hookRelay {
		return &ExitError{Code: 2, Err: errors.New("--hook-url needs --hook-relay: without it, notify_hook is forwarded as sent and no callback reaches the proxy")}
	}
	logger, logOut, err := newLogger(c.logFormat, stderr)
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	defer logOut.Close()
	doc, err := lumamock.Load()
	if c.spec != "" {
		doc, err = lumamock.LoadFile(ctx, c.spec)
	}
	if err != nil {
		return &ExitError{Code: 2, Err: fmt.Errorf("--spec: %w", err)}
	}
	if c.spec != "" {
		fmt.Fprintln(stdout, specSummary(ctx, c.spec))
	}
	checker, err := contract.NewChecker(doc, contract.CheckerOptions{})
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	opts := proxy.Options{
		Upstream: c.upstream, Checker: checker, Strict: c.strict, Schema: schema, Timeout: c.timeout,
		MaxBody: int64(c.maxBody), JournalMaxBytes: int64(c.journal), HookRelay: c.hookRelay, HookURL: c.hookURL, Logger: logger, AdminToken: c.adminTok,
	}
	if c.record != "" {
		if opts.Recorder, err = cassette.NewRecorder(c.record); err != nil {
			return &ExitError{Code: 2, Err: fmt.Errorf("--record: %w", err)}
		}
	}
	ln, err := listen(ctx, c.addr)
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	defer ln.Close()
	if c.hookRelay && c.hookURL == "" {
		opts.HookURL = "http://" + ln.Addr().String()
	}
	p, err := proxy.New(opts)
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	mode := "reporting"
	if c.strict {
		mode = "strict"
	}
	fmt.Fprintf(stdout, "lumamock %s proxying http://%s to %s (%s", lumamock.Version, ln.Addr(), redact.URL(c.upstream), mode)
	if c.record != "" {
		fmt.Fprintf(stdout, ", recording to %s", c.record)
	}
	if c.hookRelay {
		fmt.Fprintf(stdout, ", relaying hooks via %s", redact.URL(opts.HookURL))
	}
	fmt.Fprintln(stdout, ")")
	fmt.Fprintf(stdout, "dashboard: http://%s%s\n", ln.Addr(), ui.Path)
	logger.Info("listening", "addr", ln.Addr().String(), "upstream", redact.URL(c.upstream), "strict", c.strict, "record", c.record, "version", lumamock.Version)

	return serveHTTP(ctx, ln, p, logger, c.drain, nil)
}

// Command lumamock is a mock server and contract-testing kit for the Luma video-generation proxy API.
//
//	lumamock [serve] [flags]   run the validating fake (the default)
//	lumamock check [flags]     hold a live API to openapi.yaml and report drift
//	lumamock proxy [flags]     forward to a live API, validating both directions
//	lumamock diff BASE REV     report the changes between two versions of the contract
//	lumamock hooks [flags]     receive webhook callbacks and print them
//	lumamock coverage [flags]  report what a running mock's clients were exposed to, and how they behaved
//	lumamock healthcheck       exit 0 when a running server's /healthz answers 200
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/lumamock/lumamock"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// Run runs the lumamock command line with args (without the program name) until ctx is done or the command
// ends. It returns an *ExitError when the process should exit with a code other than 0 or 1.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd, rest := "serve", args
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, rest = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return runServe(ctx, rest, stdout, stderr)
	case "check":
		return runCheck(ctx, rest, stdout, stderr)
	case "proxy":
		return runProxy(ctx, rest, stdout, stderr)
	case "diff":
		return runDiff(ctx, rest, os.Stdin, stdout, stderr)
	case "hooks":
		return runHooks(ctx, rest, stdout, stderr)
	case "coverage":
		return runCoverage(ctx, rest, stdout, stderr)
	case "healthcheck":
		return runHealthcheck(ctx, rest, stdout, stderr)
	case "help":
		if len(rest) > 0 && rest[0] != "help" { // "lumamock help check" is "lumamock check --help"
			return Run(ctx, []string{rest[0], "--help"}, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return nil
	case "version":
		fmt.Fprintln(stdout, versionString())
		return nil
	}
	fmt.Fprint(stderr, usage)
	return &ExitError{Code: 2, Err: fmt.Errorf("unknown command %q", cmd)}
}

const usage = `lumamock: a mock server and contract-testing kit for the Luma video-generation proxy API.

Usage:
  lumamock [serve] [flags]   run the validating fake on 127.0.0.1:8080 (the default command)
  lumamock check [flags]     check a live API against openapi.yaml and report drift
  lumamock proxy [flags]     forward to a live API, validating requests and responses
  lumamock diff BASE REV     report breaking changes between two versions of the contract
  lumamock hooks [flags]     receive webhook callbacks on 127.0.0.1:9000 and print them
  lumamock coverage [flags]  what a running mock's clients were exposed to, and where they misbehaved
  lumamock healthcheck       exit 0 if /healthz of a running server answers 200 (for containers)
  lumamock version           print the version

Run "lumamock COMMAND --help" for a command's flags.
`

// ExitError asks for a specific process exit code. Code 2 means "could not run" (bad flags, unreachable
// target); check uses 1 for "drift found".
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// exitCode maps Run's error to a process exit code, printing the error unless it was already reported.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var exit *ExitError
	if errors.As(err, &exit) {
		if exit.Err != nil && !errors.Is(exit.Err, errReported) {
			fmt.Fprintln(stderr, "lumamock:", exit.Err)
		}
		return exit.Code
	}
	fmt.Fprintln(stderr, "lumamock:", err)
	return 1
}

// errReported marks an error whose message the command already printed.
var errReported = errors.New("reported")

func versionString() string {
	return "lumamock " + lumamock.Version
}

// serveHTTP serves h on ln until ctx is done or serving fails. On ctx's end it stops accepting, gives requests in
// flight until drain to finish, then runs afterDrain (if any) with what is left of that deadline.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler, logger *slog.Logger, drain time.Duration, afterDrain func(context.Context)) error {
	httpServer := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute, // base64 images make large bodies, but never slow ones
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- httpServer.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down", "drain", drain)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	if err := httpServer.Shutdown(shutdownCtx); err != nil {
		logger.Warn("requests still in flight at shutdown were cut off", "error", err)
	}
	if afterDrain != nil {
		afterDrain(shutdownCtx)
	}
	return nil
}

package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/contract/check"
	"github.com/lumamock/lumamock/internal/redact"
)

// checkConfig is what "lumamock check" is told by its flags and LUMAMOCK_* variables.
type checkConfig struct {
	baseURL, apiKey, spec      string
	billable                   int
	format, output             string
	fixtures                   string
	updateFixtures, dryRun     bool
	baseline                   string
	hookListen, hookURL        string
	hookWait                   time.Duration
	timeout, slow, runTimeout  time.Duration
	pollInterval, pollDeadline time.Duration
	maxBody                    byteSize
	concurrency                int
	verbose                    bool
}

func newCheckFlags(stderr io.Writer) (*flag.FlagSet, *checkConfig) {
	c := &checkConfig{maxBody: check.DefaultMaxBody}
	fs := flag.NewFlagSet("lumamock check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.baseURL, "base-url", "", "root `URL` of the API to check, e.g. https://proxy.example.com (required)")
	fs.StringVar(&c.apiKey, "api-key", "", "bearer `key` for the API; default $LUMA_API_KEY. It never appears in any output")
	fs.IntVar(&c.billable, "billable", 0, "run at most `N` billable cases (each creates a real task); 0 runs only the free ones")
	fs.StringVar(&c.format, "format", "text", "report `format`: text, json, junit or markdown")
	fs.StringVar(&c.output, "output", "", "write the report to `file` instead of stdout")
	fs.StringVar(&c.fixtures, "fixtures", "", "compare responses with the golden fixtures in `dir` (with --update-fixtures: record them there)")
	fs.BoolVar(&c.updateFixtures, "update-fixtures", false, "record sanitized responses as golden fixtures (into --fixtures, default fixtures/)")
	fs.StringVar(&c.baseline, "baseline", "", "accept the findings listed in `file` (a previous JSON report, a JSON array of ids, or one id per line)")
	fs.BoolVar(&c.dryRun, "dry-run", false, "print every request that would be sent, key redacted, and send nothing")
	fs.StringVar(&c.hookListen, "hook-listen", "", "receive notify_hook callbacks on `address` (e.g. 127.0.0.1:9090) and check them")
	fs.StringVar(&c.hookURL, "hook-url", "", "public `URL` of --hook-listen when the API reaches it through a tunnel or proxy")
	fs.DurationVar(&c.hookWait, "hook-wait", check.DefaultHookWait, "how long to wait for the final callback once GET shows a task finished")
	fs.DurationVar(&c.timeout, "timeout", check.DefaultTimeout, "time limit of each request, body included")
	fs.DurationVar(&c.runTimeout, "run-timeout", check.DefaultRunTimeout, "time limit of the whole run; when it passes, the report says what it cut short")
	fs.DurationVar(&c.slow, "slow", check.DefaultSlow, "report answers slower than this")
	fs.DurationVar(&c.pollInterval, "poll-interval", check.DefaultPollInterval, "first wait between polls of a task (grows by half each poll, up to 10×)")
	fs.DurationVar(&c.pollDeadline, "poll-deadline", check.DefaultPollDeadline, "give up following a task after this long")
	fs.Var(&c.maxBody, "max-body", "largest response body read (a `size` such as 1MiB); larger ones are reported, not checked")
	fs.IntVar(&c.concurrency, "concurrency", check.DefaultConcurrency, "cases run at once")
	fs.StringVar(&c.spec, "spec", "", "check against this OpenAPI `file` instead of the embedded openapi.yaml")
	fs.BoolVar(&c.verbose, "verbose", false, "print a line per case to stderr as it finishes")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: lumamock check --base-url URL [flags]

Holds a live Luma proxy API to openapi.yaml and reports drift: undocumented statuses and fields, changed
types, missing fields, new states or models, error shapes, whether the API rejects what the document forbids,
the task lifecycle and its callbacks, response times.

Free cases (validation, auth, unknown task) cost nothing: a correct API rejects them. Billable cases create
real tasks and run only with --billable N. Use --dry-run to see every request first.

A task is followed until it finishes or --poll-deadline passes, and given up at once, with a finding, when
polls or callbacks show a move the lifecycle forbids or its state cannot be read on %d polls in a row.
--run-timeout bounds the whole run.

Exit status: 0 no drift, 1 drift found, 2 nothing could be checked (unreachable API, bad flags, or
--run-timeout passed before any answer).

Every flag can also be set with the environment variable LUMAMOCK_<FLAG> (e.g. LUMAMOCK_BASE_URL,
LUMAMOCK_BILLABLE); a flag on the command line wins. The key is read from --api-key, LUMAMOCK_API_KEY or
LUMA_API_KEY.

Flags:
`, check.MaxUnreadablePolls)
		fs.PrintDefaults()
	}
	return fs, c
}

// runCheck runs "lumamock check".
func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, c := newCheckFlags(stderr)
	if done, err := parseFlags(fs, args, stdout); done || err != nil {
		return err
	}
	if c.apiKey == "" {
		c.apiKey, _ = lookupEnv("LUMA_API_KEY")
	}
	if c.apiKey == "" && !c.dryRun {
		// Every case but the auth probes needs a key: without one the run would blame the API for 401s.
		return &ExitError{Code: 2, Err: errors.New("check: no API key: pass --api-key or set LUMA_API_KEY (against lumamock serve without --api-key, any key works, e.g. --api-key mock-key)")}
	}
	secrets := []string{c.apiKey}
	cfg, err := c.config(ctx)
	if err != nil {
		return &ExitError{Code: 2, Err: errors.New(redact.Text(err.Error(), secrets...))}
	}
	if c.spec != "" {
		fmt.Fprintln(stderr, specSummary(ctx, c.spec)) // stdout may be the report
	}
	if c.dryRun {
		if err := check.WriteDryRun(stdout, cfg); err != nil {
			return &ExitError{Code: 2, Err: errors.New(redact.Text(err.Error(), secrets...))}
		}
		return nil
	}
	if c.verbose {
		cfg.Progress = stderr
	}
	var output *reportFile
	if c.output != "" {
		// Opened before the run, so that a path that cannot be written fails before anything (billable
		// included) is sent.
		if output, err = openReportFile(c.output); err != nil {
			return &ExitError{Code: 2, Err: fmt.Errorf("check: --output: %w", err)}
		}
		defer output.abandon() // a no-op once the report is written
	}
	report, err := check.Run(ctx, cfg)
	if err != nil {
		return &ExitError{Code: 2, Err: errors.New(redact.Text(err.Error(), secrets...))}
	}
	var rendered bytes.Buffer
	if err := report.Write(&rendered, c.format); err != nil {
		return &ExitError{Code: 2, Err: fmt.Errorf("check: write report: %w", err)}
	}
	if output == nil {
		_, _ = stdout.Write(rendered.Bytes())
	} else {
		if err := output.replace(rendered.Bytes()); err != nil {
			return &ExitError{Code: 2, Err: fmt.Errorf("check: write report: %w", err)}
		}
		var summary strings.Builder
		_ = report.Write(&summary, "text")
		first, _, _ := strings.Cut(summary.String(), "\n")
		fmt.Fprintf(stderr, "%s (report in %s)\n", first, c.output)
	}
	if code := report.ExitCode(); code != check.ExitOK {
		return &ExitError{Code: code, Err: errReported}
	}
	return nil
}

// config turns the flags into a check.Config, rejecting bad values.
func (c *checkConfig) config(ctx context.Context) (check.Config, error) {
	if c.baseURL == "" {
		return check.Config{}, errors.New("check: --base-url is required")
	}
	if !slices.Contains(check.Formats(), c.format) {
		return check.Config{}, fmt.Errorf("check: --format %q: want one of %s", c.format, strings.Join(check.Formats(), ", "))
	}
	for name, negative := range map[string]bool{
		"--billable": c.billable < 0, "--concurrency": c.concurrency < 0, "--timeout": c.timeout < 0, "--slow": c.slow < 0,
		"--poll-interval": c.pollInterval < 0, "--poll-deadline": c.pollDeadline < 0, "--hook-wait": c.hookWait < 0,
		"--run-timeout": c.runTimeout < 0,
	} {
		if negative {
			return check.Config{}, fmt.Errorf("check: %s must not be negative", name)
		}
	}
	if c.hookURL != "" && c.hookListen == "" {
		return check.Config{}, errors.New("check: --hook-url needs --hook-listen")
	}
	cfg := check.Config{
		BaseURL: c.baseURL, APIKey: c.apiKey, Billable: c.billable,
		Timeout: c.timeout, Slow: c.slow, PollInterval: c.pollInterval, PollDeadline: c.pollDeadline, RunTimeout: c.runTimeout,
		HookListen: c.hookListen, HookURL: c.hookURL, HookWait: c.hookWait,
		Fixtures: c.fixtures, UpdateFixtures: c.updateFixtures,
		MaxBody: int64(c.maxBody), Concurrency: c.concurrency,
	}
	if c.updateFixtures && cfg.Fixtures == "" {
		cfg.Fixtures = "fixtures"
	}
	if c.spec != "" {
		doc, err := lumamock.LoadFile(ctx, c.spec)
		if err != nil {
			return check.Config{}, fmt.Errorf("check: --spec: %w", err)
		}
		cfg.Document = doc
	}
	if c.baseline != "" {
		b, err := check.ReadBaseline(c.baseline)
		if err != nil {
			return check.Config{}, err // "check: baseline: ..." names the file
		}
		cfg.Baseline = b
	}
	return cfg, nil
}

// reportFile is --output, opened before the run and written when the report is ready: a failed run leaves the
// previous report as it was, and removes the file if it created it. The path is opened as given, so a symlink
// or a device such as /dev/stdout is written through, and a new file gets the mode the umask allows.
type reportFile struct {
	path    string
	f       *os.File // nil for a named pipe until the report is ready
	created bool     // the run created the file
	done    bool
}

func openReportFile(path string) (*reportFile, error) {
	fi, err := os.Stat(path)
	if err == nil && fi.Mode()&fs.ModeNamedPipe != 0 {
		// Opening a pipe waits for its reader, and the run would not start until one came: it is opened when
		// the report is ready.
		return &reportFile{path: path}, nil
	}
	created := errors.Is(err, fs.ErrNotExist)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o666) // not truncated: not yet
	if err != nil {
		return nil, err
	}
	return &reportFile{path: path, f: f, created: created}, nil
}

// replace makes data the file's contents.
func (r *reportFile) replace(data []byte) error {
	r.done = true
	if r.f == nil {
		// Non-blocking: a pipe nobody reads is an error now, not a wait in open(2) that no signal ends.
		f, err := os.OpenFile(r.path, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			return err
		}
		r.f = f
	}
	if fi, err := r.f.Stat(); err == nil && fi.Mode().IsRegular() {
		if err := r.f.Truncate(0); err != nil {
			r.f.Close()
			return err
		}
	}
	if _, err := r.f.Write(data); err != nil {
		r.f.Close()
		return err
	}
	return r.f.Close()
}

// abandon closes a file no report was written to, removing it if the run created it.
func (r *reportFile) abandon() {
	if r.done || r.f == nil {
		return
	}
	r.f.Close()
	if r.created {
		os.Remove(r.f.Name())
	}
}

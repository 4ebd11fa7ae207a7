package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/cassette"
	"github.com/lumamock/lumamock/coverage"
	"github.com/lumamock/lumamock/mock"
)

// serveConfig is what "lumamock serve" is told by its flags and LUMAMOCK_* variables.
type serveConfig struct {
	addr        string
	spec        string
	schema      string
	apiKeys     stringList
	pending     time.Duration
	processing  time.Duration
	outcome     string
	seed        int64
	maxBody     byteSize
	maxTasks    int
	maxTaskMem  byteSize
	maxSessions int
	logFormat   string
	drain       time.Duration
	replay      string

	callbackRetries int
	callbackTimeout time.Duration
	callbackBackoff time.Duration
	callbackAllow   stringList
	callbackSecret  string
	adminToken      string
	callbackWorkers int
	callbackQueue   int
	journalSize     int
	journalMaxBytes byteSize
	faultDuplicate  int
	faultDrop       string
	faultReorder    bool
	faultLate       time.Duration
	delay           mock.Latency

	coverageOut     string
	coverageFormat  string
	coverageIgnore  stringList
	pollMinInterval time.Duration
	pollAfterEnd    int
	resubmitWindow  time.Duration
	faultAPI        apiFaultList
	stallLimit      time.Duration
	rateLimit       mock.RateLimit
	capacity        int
}

// apiFaultList is the repeatable --fault-api flag: NAME:PERCENT, each checked as it is given.
type apiFaultList []mock.APIFault

func (l *apiFaultList) repeatable() {}

func (l *apiFaultList) String() string {
	parts := make([]string, len(*l))
	for i, f := range *l {
		parts[i] = f.String()
	}
	return strings.Join(parts, ",")
}

func (l *apiFaultList) Set(v string) error {
	f, err := mock.ParseAPIFault(v)
	if err != nil {
		return err
	}
	*l = append(*l, f)
	return nil
}

func newServeFlags(stderr io.Writer) (*flag.FlagSet, *serveConfig) {
	c := &serveConfig{maxBody: mock.DefaultMaxBody, maxTaskMem: mock.DefaultMaxTaskMemory, journalMaxBytes: mock.DefaultJournalMaxBytes}
	fs := flag.NewFlagSet("lumamock serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "listen `address` (host:port; port 0 picks a free one)")
	fs.StringVar(&c.spec, "spec", "", "serve this OpenAPI `file` instead of the embedded openapi.yaml")
	fs.StringVar(&c.schema, "schema", string(lumamock.ShapeEnvelope), "default response `shape`: envelope ({code,message,request_id,data}) or luma (the raw generation object)")
	fs.Var(&c.apiKeys, "api-key", "accepted bearer `token` (repeatable); none given = any non-empty token")
	fs.DurationVar(&c.pending, "pending", mock.DefaultPending, "`time` a task spends pending (at most 24h)")
	fs.DurationVar(&c.processing, "processing", mock.DefaultProcessing, "`time` a task spends processing (at most 24h)")
	fs.StringVar(&c.outcome, "outcome", string(lumamock.StateCompleted), "how tasks end: completed or failed")
	fs.Int64Var(&c.seed, "seed", 0, "`number` seeding fake data; the same seed and requests give the same ids and URLs (0 = random)")
	fs.Var(&c.maxBody, "max-body", "largest request body accepted, a `size` such as 20MiB (base64 images travel in the body)")
	fs.IntVar(&c.maxTasks, "max-tasks", mock.DefaultMaxTasks, "tasks kept in memory, in all sessions; the least recently used session's oldest is forgotten first")
	fs.Var(&c.maxTaskMem, "max-task-memory", "memory the tasks kept may hold (their prompts and hooks), in all sessions, a `size` such as 64MiB; past it the least recently used session's oldest task is forgotten first")
	fs.IntVar(&c.maxSessions, "max-sessions", mock.DefaultMaxSessions, "sessions kept (X-Lumamock-Session, /__session/NAME); a new one past it evicts the least recently used")
	fs.StringVar(&c.logFormat, "log-format", "text", "request log `format`: text or json (API keys are never logged)")
	fs.DurationVar(&c.drain, "drain", 5*time.Second, "on SIGINT/SIGTERM, time to finish requests in flight and deliver callbacks already due")
	fs.IntVar(&c.callbackRetries, "callback-retries", mock.DefaultCallbackRetries, "retries of a failed callback delivery (non-2xx, timeout, connection error)")
	fs.DurationVar(&c.callbackTimeout, "callback-timeout", mock.DefaultCallbackTimeout, "time limit of each callback delivery attempt")
	fs.DurationVar(&c.callbackBackoff, "callback-backoff", mock.DefaultCallbackBackoff, "wait before each callback retry")
	fs.Var(&c.callbackAllow, "callback-allow", "`host`, *.domain, IP or CIDR callbacks may reach (repeatable); none = any but link-local, cloud metadata and unspecified addresses, which need an entry")
	fs.StringVar(&c.adminToken, "admin-token", "", "require Authorization: Bearer `token` on every admin endpoint (/__mock/...; /healthz stays open)")
	fs.StringVar(&c.callbackSecret, "callback-secret", "", "sign callback bodies with this `secret` (X-Lumamock-Signature, HMAC-SHA256)")
	fs.IntVar(&c.callbackWorkers, "callback-workers", mock.DefaultCallbackWorkers, "callback deliveries in flight at once (one receiver gets at most three quarters)")
	fs.IntVar(&c.callbackQueue, "callback-queue", mock.DefaultCallbackQueue, "callback deliveries held per receiver; past it that receiver's new ones are given up")
	fs.IntVar(&c.journalSize, "journal-size", mock.DefaultJournalSize, "entries kept by each journal (/__mock/requests, /__mock/callbacks) of each session")
	fs.Var(&c.journalMaxBytes, "journal-max-bytes", "memory each journal may hold in all sessions together, a `size` such as 32MiB; past it the least recently used session's oldest entries are forgotten first")
	fs.IntVar(&c.faultDuplicate, "fault-duplicate", 0, "deliver every callback this many extra times")
	fs.StringVar(&c.faultDrop, "fault-drop", "", "never send the callback of this `state` (processing, completed or failed)")
	fs.BoolVar(&c.faultReorder, "fault-reorder", false, "send a task's intermediate callbacks after its final one")
	fs.DurationVar(&c.faultLate, "fault-late", 0, "send every callback this long after its state change (at most 24h)")
	fs.StringVar(&c.coverageOut, "coverage-out", "", "at shutdown, write the coverage report (what clients were exposed to, and how they behaved) of every session used to `file`; a {session} in it makes a file per session")
	fs.StringVar(&c.coverageFormat, "coverage-format", "", "`format` of --coverage-out: text, json, junit or markdown; without it, the file's extension decides (.json, .xml for junit, .md, else text)")
	fs.Var(&c.coverageIgnore, "coverage-ignore", "leave an item (its `name`, or a pattern such as '*.fault.*') or a kind of finding out of --coverage-out (repeatable)")
	fs.DurationVar(&c.pollMinInterval, "poll-min-interval", coverage.DefaultPollMinInterval, "a client polling one task again sooner than this is poll-too-fast")
	fs.IntVar(&c.pollAfterEnd, "poll-after-end", coverage.DefaultPollAfterEnd, "a client polling an ended task more than this many times is poll-after-end")
	fs.DurationVar(&c.resubmitWindow, "resubmit-window", coverage.DefaultResubmitWindow, "a client submitting the same request again within this, while its task lives, is resubmitted")
	fs.Var(&c.faultAPI, "fault-api", "break this share of API answers, `NAME:PERCENT` (repeatable): a connection fault ("+strings.Join(mock.ConnectionFaults(), ", ")+") or an error status such as 503:5%; the shares add to at most 100%")
	fs.DurationVar(&c.stallLimit, "stall-limit", mock.DefaultStallLimit, "longest `time` the stall fault holds a connection")
	fs.IntVar(&c.capacity, "capacity", 0, "at most `N` tasks of each API key process at once; the others stay pending, in submission order, saying their queue position (luma queue_state) and estimate_wait_seconds (0 = no limit)")
	fs.Var(&c.rateLimit, "rate-limit", "limit each API key to `N/s` or N/m requests (a token bucket holding N); past it the documented 429 with a Retry-After that, honoured, is enough")
	fs.Var(&c.delay, "delay", "`latency` added before every API answer: 300ms, 100ms..900ms (uniform) or lognormal(median=200ms,sigma=0.5), drawn with --seed")
	fs.StringVar(&c.replay, "replay", "", "answer requests recorded in the cassette `dir` (lumamock proxy --record) from it; the mock answers the rest")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: lumamock [serve] [flags]

(Other commands: "lumamock check" holds a live API to openapi.yaml, "lumamock proxy" validates real traffic;
run "lumamock help" for the list.)

Runs a fake of the Luma video-generation proxy API that validates every request against openapi.yaml and
answers like the real API: POST /luma/generations returns a pending task, GET /luma/generations/{task_id}
follows it to completion.

Per request, the Prefer header (RFC 7240) overrides: code=429, schema=luma|envelope, delay=300ms
(or 100ms..900ms, or delay="lognormal(median=200ms,sigma=0.5)", quoted), pending=0s, processing=1s,
outcome=failed|completed, the connection faults fault=reset|empty|truncated|malformed-chunk|garbage|
stall|none, and the webhook faults duplicate=N, drop=processing|completed|failed|none, reorder=1|0,
late=2s.

Sessions keep parallel test suites apart in one server: a request with the header X-Lumamock-Session: NAME
(or the path prefix /__session/NAME) is in session NAME, with its own tasks, journals, settings and clock;
the others are in the session default. The flags below are the settings of a new session.

The admin API under /__mock (requests, tasks, tasks/{id}, callbacks, tasks/{id}/complete|fail, reset,
settings), and again under /__mock/sessions/NAME for each session, shows what the mock received and sent,
and moves tasks on demand; the dashboard at /__mock/ui shows it all live; /__mock/admin.yaml describes it;
/__mock/openapi.yaml and openapi.json answer the document in force.

/__mock/coverage says what the clients were exposed to, item by item from openapi.yaml, and where they
misbehaved (poll-too-fast, retry-after-ignored, poll-after-end, hook-not-acknowledged, resubmitted);
"lumamock coverage" reads it, and --coverage-out writes it at shutdown.

Every flag can also be set with the environment variable LUMAMOCK_<FLAG> (e.g. LUMAMOCK_ADDR,
LUMAMOCK_API_KEY=k1,k2); a flag on the command line wins.

Flags:
`)
		fs.PrintDefaults()
	}
	return fs, c
}

func (c *serveConfig) mockOptions(ctx context.Context, logger *slog.Logger) (mock.Options, error) {
	schema, ok := lumamock.ParseShape(c.schema)
	if !ok {
		return mock.Options{}, fmt.Errorf("--schema %q: want envelope or luma", c.schema)
	}
	outcome := lumamock.TaskState(c.outcome)
	if !outcome.Terminal() {
		return mock.Options{}, fmt.Errorf("--outcome %q: want completed or failed", c.outcome)
	}
	// Each bound names the one flag at fault, with its value.
	for _, d := range []struct {
		flag string
		v    time.Duration
		min  time.Duration // 0: not negative; 1: positive
		max  time.Duration // 0: none
	}{
		{"pending", c.pending, 0, mock.MaxSettingDuration},
		{"processing", c.processing, 0, mock.MaxSettingDuration},
		{"fault-late", c.faultLate, 0, mock.MaxSettingDuration},
		{"callback-timeout", c.callbackTimeout, 1, 0},
		{"callback-backoff", c.callbackBackoff, 1, 0},
		{"drain", c.drain, 0, 0},
		{"poll-min-interval", c.pollMinInterval, 1, 0},
		{"resubmit-window", c.resubmitWindow, 1, 0},
		{"stall-limit", c.stallLimit, 1, 0},
	} {
		switch {
		case d.v < d.min && d.min > 0:
			return mock.Options{}, fmt.Errorf("--%s %s: must be positive", d.flag, d.v)
		case d.v < 0:
			return mock.Options{}, fmt.Errorf("--%s %s: must not be negative", d.flag, d.v)
		case d.max > 0 && d.v > d.max:
			// A session's settings take no more, so a larger default would make every PUT of them fail.
			return mock.Options{}, fmt.Errorf("--%s %s: at most %s (a session's settings take no more)", d.flag, d.v, d.max)
		}
	}
	for _, n := range []struct {
		flag string
		v    int
		min  int
	}{
		{"callback-retries", c.callbackRetries, 0},
		{"callback-workers", c.callbackWorkers, 1},
		{"callback-queue", c.callbackQueue, 1},
		{"journal-size", c.journalSize, 1},
		{"max-tasks", c.maxTasks, 1},
		{"max-sessions", c.maxSessions, 1},
		{"poll-after-end", c.pollAfterEnd, 1},
		{"capacity", c.capacity, 0},
	} {
		switch {
		case n.v < n.min && n.min > 0:
			return mock.Options{}, fmt.Errorf("--%s %d: must be positive", n.flag, n.v)
		case n.v < 0:
			return mock.Options{}, fmt.Errorf("--%s %d: must not be negative", n.flag, n.v)
		}
	}
	if drop := lumamock.TaskState(c.faultDrop); drop != "" && !drop.Notified() {
		return mock.Options{}, fmt.Errorf("--fault-drop %q: want processing, completed or failed", c.faultDrop)
	}
	if c.faultDuplicate < 0 || c.faultDuplicate > mock.MaxDuplicate {
		return mock.Options{}, fmt.Errorf("--fault-duplicate %d: want 0 to %d", c.faultDuplicate, mock.MaxDuplicate)
	}
	if c.coverageFormat != "" {
		if err := coverage.CheckFormat(c.coverageFormat); err != nil {
			return mock.Options{}, fmt.Errorf("--coverage-format: %w", err)
		}
		if c.coverageOut == "" {
			return mock.Options{}, errors.New("--coverage-format needs --coverage-out")
		}
	}
	if len(c.coverageIgnore) > 0 && c.coverageOut == "" {
		return mock.Options{}, errors.New("--coverage-ignore needs --coverage-out")
	}
	var shares float64
	for _, f := range c.faultAPI {
		shares += f.Percent
	}
	if shares > 100 {
		return mock.Options{}, fmt.Errorf("--fault-api %s: the shares add up to %s%%, more than 100%%", c.faultAPI.String(), strconv.FormatFloat(shares, 'g', -1, 64))
	}
	retries := c.callbackRetries
	if retries == 0 {
		retries = mock.NoRetries
	}
	opts := mock.Options{
		Schema:        schema,
		APIKeys:       c.apiKeys,
		Seed:          c.seed,
		MaxBody:       int64(c.maxBody),
		Pending:       immediateIfZero(c.pending),
		Processing:    immediateIfZero(c.processing),
		Outcome:       outcome,
		MaxTasks:      c.maxTasks,
		MaxTaskMemory: int64(c.maxTaskMem),
		MaxSessions:   c.maxSessions,
		Logger:        logger,

		CallbackRetries: retries,
		CallbackTimeout: c.callbackTimeout,
		CallbackBackoff: c.callbackBackoff,
		CallbackAllow:   c.callbackAllow,
		CallbackSecret:  c.callbackSecret,
		AdminToken:      c.adminToken,
		CallbackWorkers: c.callbackWorkers,
		CallbackQueue:   c.callbackQueue,
		JournalSize:     c.journalSize,
		JournalMaxBytes: int64(c.journalMaxBytes),
		Delay:           c.delay,
		Discipline: coverage.Thresholds{
			PollMinInterval: c.pollMinInterval,
			PollAfterEnd:    c.pollAfterEnd,
			ResubmitWindow:  c.resubmitWindow,
		},
		APIFaults:  c.faultAPI,
		RateLimit:  c.rateLimit,
		Capacity:   c.capacity,
		StallLimit: c.stallLimit,
		Faults: mock.Faults{
			Duplicate: c.faultDuplicate,
			Drop:      lumamock.TaskState(c.faultDrop),
			Reorder:   c.faultReorder,
			Late:      c.faultLate,
		},
	}
	if c.spec != "" {
		source, err := os.ReadFile(c.spec)
		if err != nil {
			return mock.Options{}, fmt.Errorf("--spec: %w", err)
		}
		doc, err := lumamock.LoadDocument(ctx, source)
		if err != nil {
			return mock.Options{}, fmt.Errorf("--spec %s: %w", c.spec, err)
		}
		opts.Document, opts.DocumentSource = doc, source // GET /__mock/openapi.yaml answers the file as it is
	}
	return opts, nil
}

// optionFlags names the flag behind each mock.Options field whose values mock.New checks.
var optionFlags = map[string]string{"APIFaults": "--fault-api", "RateLimit": "--rate-limit"}

// flagError says of an error of mock.New which flag gave the value refused.
func flagError(err error) error {
	var oe *mock.OptionError
	if !errors.As(err, &oe) || optionFlags[oe.Option] == "" {
		return err
	}
	if oe.Value == "" {
		return fmt.Errorf("%s: %w", optionFlags[oe.Option], oe.Err)
	}
	return fmt.Errorf("%s %s: %w", optionFlags[oe.Option], oe.Value, oe.Err)
}

// immediateIfZero maps a flag's 0s ("no wait") to mock.Immediate, since zero Options mean defaults.
func immediateIfZero(d time.Duration) time.Duration {
	if d == 0 {
		return mock.Immediate
	}
	return d
}

// runServe runs "lumamock serve" until ctx is done, then shuts down gracefully.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, c := newServeFlags(stderr)
	if done, err := parseFlags(fs, args, stdout); done || err != nil {
		return err
	}
	logger, logOut, err := newLogger(c.logFormat, stderr)
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	defer logOut.Close()
	opts, err := c.mockOptions(ctx, logger)
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	if c.spec != "" {
		fmt.Fprintln(stdout, specSummary(ctx, c.spec))
	}
	srv, err := mock.New(opts)
	if err != nil {
		return &ExitError{Code: 2, Err: flagError(err)}
	}
	report, err := c.coverageReport(srv)
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	if report != nil {
		defer report.abandon() // a no-op once written
	}
	var api http.Handler = srv
	var replaying string
	if c.replay != "" {
		replayer, err := cassette.NewReplayer(c.replay, srv)
		if err != nil {
			return &ExitError{Code: 2, Err: fmt.Errorf("--replay: %w", err)}
		}
		if replayer.Len() == 0 {
			return &ExitError{Code: 2, Err: emptyCassette(c.replay)}
		}
		replaying = fmt.Sprintf("replaying %s and %s recorded in %s; the mock answers the rest", plural(replayer.Len(), "answer"), plural(replayer.Callbacks(), "callback"), c.replay)
		replayer.Logger = logger
		replayer.AdminToken, replayer.Secrets, replayer.MaxSessions = opts.AdminToken, opts.APIKeys, opts.MaxSessions
		defer replayer.Close()
		api = replayer
	}
	ln, err := listen(ctx, c.addr)
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	fmt.Fprintf(stdout, "lumamock %s serving the Luma API on http://%s (schema %s)\n", lumamock.Version, ln.Addr(), opts.Schema)
	fmt.Fprintf(stdout, "dashboard: http://%s%s\n", ln.Addr(), mock.UIPath)
	if replaying != "" {
		fmt.Fprintln(stdout, replaying)
	}
	logger.Info("listening", "addr", ln.Addr().String(), "schema", opts.Schema, "version", lumamock.Version)

	var reportErr error
	err = serveHTTP(ctx, ln, api, logger, c.drain, func(ctx context.Context) {
		if err := srv.Shutdown(ctx); err != nil {
			logger.Warn("callbacks not delivered within --drain were given up", "error", err)
		}
		if report != nil {
			reportErr = report.write(srv, logger)
		}
	})
	if err == nil && reportErr != nil {
		err = reportErr
	}
	return err
}

// coverageOut is --coverage-out: the file, opened at start so that a path that cannot be written fails at once,
// and written at shutdown with the coverage of every session a client used. A path holding {session} is a file
// per session instead, each the report lumamock coverage --session NAME prints.
type coverageOut struct {
	out    *reportFile // nil for a file per session
	path   string
	format string
	ignore []string
}

// sessionPlaceholder in --coverage-out's path makes a file per session.
const sessionPlaceholder = "{session}"

// coverageReport opens --coverage-out, when given, after checking --coverage-ignore against srv's items.
func (c *serveConfig) coverageReport(srv *mock.Server) (*coverageOut, error) {
	if c.coverageOut == "" {
		return nil, nil
	}
	if _, err := srv.Coverage().Exclude(c.coverageIgnore...); err != nil {
		return nil, fmt.Errorf("--coverage-ignore %w", err)
	}
	format := c.coverageFormat
	if format == "" {
		format = coverage.FormatOf(c.coverageOut)
	}
	o := &coverageOut{path: c.coverageOut, format: format, ignore: c.coverageIgnore}
	if strings.Contains(c.coverageOut, sessionPlaceholder) {
		dir := filepath.Dir(c.coverageOut)
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("--coverage-out: %s is not a directory", dir)
		}
		return o, nil
	}
	out, err := openReportFile(c.coverageOut)
	if err != nil {
		return nil, fmt.Errorf("--coverage-out: %w", err)
	}
	o.out = out
	return o, nil
}

// abandon closes a file no report was written to.
func (o *coverageOut) abandon() {
	if o.out != nil {
		o.out.abandon()
	}
}

// write writes the coverage of srv's sessions.
func (o *coverageOut) write(srv *mock.Server, logger *slog.Logger) error {
	reports := srv.Coverages()
	for i := range reports {
		rep, err := reports[i].Exclude(o.ignore...)
		if err != nil {
			return &ExitError{Code: 1, Err: fmt.Errorf("--coverage-out: %w", err)}
		}
		reports[i] = rep
	}
	fail := func(path string, err error) error {
		logger.Error("the coverage report could not be written", "file", path, "error", err)
		return &ExitError{Code: 1, Err: fmt.Errorf("--coverage-out: %w", err)}
	}
	if o.out == nil {
		// A session deleted and used again under its name has a report per life (Coverages keeps them in
		// order): its file holds them all, as the one file does.
		for i := 0; i < len(reports); {
			j := i + 1
			for j < len(reports) && reports[j].Session == reports[i].Session {
				j++
			}
			var buf bytes.Buffer
			var err error
			if j-i == 1 {
				err = reports[i].Write(&buf, o.format)
			} else {
				err = coverage.WriteAll(&buf, o.format, reports[i:j])
			}
			path := strings.ReplaceAll(o.path, sessionPlaceholder, reports[i].Session)
			if err != nil {
				return fail(path, err)
			}
			if err := os.WriteFile(path, buf.Bytes(), 0o666); err != nil {
				return fail(path, err)
			}
			for _, rep := range reports[i:j] {
				logger.Info("coverage report written", "file", path, "format", o.format, "session", rep.Session, "summary", rep.Summary())
			}
			i = j
		}
		return nil
	}
	var buf bytes.Buffer
	if err := coverage.WriteAll(&buf, o.format, reports); err != nil {
		return fail(o.path, err)
	}
	if err := o.out.replace(buf.Bytes()); err != nil {
		return fail(o.path, err)
	}
	for _, rep := range reports {
		logger.Info("coverage report written", "file", o.path, "format", o.format, "session", rep.Session, "summary", rep.Summary())
	}
	return nil
}

// emptyCassette says why a --replay directory that holds no recorded answer is refused, and names the
// subdirectories that do hold some (a cassette is one recording, not the directory of all of them).
func emptyCassette(dir string) error {
	var subs []string
	if des, err := os.ReadDir(dir); err == nil {
		for _, de := range des {
			if !de.IsDir() {
				continue
			}
			sub := filepath.Join(dir, de.Name())
			if entries, err := cassette.Load(sub); err == nil && len(entries) > 0 {
				subs = append(subs, sub)
			}
		}
	}
	err := fmt.Sprintf("--replay %s: no recorded answer there (a cassette is a directory of NNNNNN.METHOD.path.json files, as lumamock proxy --record writes them)", dir)
	switch len(subs) {
	case 0:
	case 1:
		err += "; did you mean --replay " + subs[0] + "?"
	default:
		err += "; cassettes under it: " + strings.Join(subs, ", ")
	}
	return errors.New(err)
}

// plural spells n thing or n things.
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return strconv.Itoa(n) + " " + thing + "s"
}

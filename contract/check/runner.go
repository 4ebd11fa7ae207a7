package check

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/contract"
	"github.com/lumamock/lumamock/internal/defaults"
	"github.com/lumamock/lumamock/internal/redact"
)

// Defaults of Config's zero values.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultSlow         = 5 * time.Second
	DefaultPollInterval = time.Second
	DefaultPollDeadline = 10 * time.Minute
	DefaultHookWait     = 10 * time.Second
	DefaultMaxBody      = 1 << 20
	DefaultConcurrency  = 4
	// DefaultRunTimeout bounds a whole run: longer than the poll deadline and the hook wait together, so a task
	// that is merely slow is still followed to its end.
	DefaultRunTimeout = 15 * time.Minute
)

// Config says what Run checks and how. Zero values take the defaults above; nothing billable runs unless
// Billable is positive.
type Config struct {
	// BaseURL is the API's root, e.g. https://proxy.example.com (the paths of the document are appended).
	BaseURL string
	// APIKey is sent as a bearer token. It never appears in any output.
	APIKey string
	// Billable is how many billable cases (real tasks) may run; 0 runs none.
	Billable int
	// Timeout bounds each request, body included.
	Timeout time.Duration
	// Slow is the response time above which an answer is reported slow.
	Slow time.Duration
	// PollInterval is the first wait between polls of a task; it grows by half each poll, up to 10 times itself.
	PollInterval time.Duration
	// PollDeadline bounds how long a task is followed, from its creation.
	PollDeadline time.Duration
	// HookListen, when set, is the address a callback listener binds (e.g. 127.0.0.1:0 or :9090); billable
	// cases then send a notify_hook and check the callbacks.
	HookListen string
	// HookURL is the public URL the listener is reachable at (behind a tunnel or a load balancer); empty means
	// http://<the listener's address>.
	HookURL string
	// HookWait is how long to wait for the terminal callback once GET shows a terminal state.
	HookWait time.Duration
	// Fixtures is the directory of golden responses; with UpdateFixtures they are written, else compared.
	Fixtures       string
	UpdateFixtures bool
	// Baseline lists accepted finding ids.
	Baseline Baseline
	// MaxBody is the most bytes read of a response body; larger bodies are reported, not checked.
	MaxBody int64
	// Concurrency is how many cases run at once.
	Concurrency int
	// RunTimeout bounds the whole run. When it passes, the cases still running stop, the report says so with a
	// transport finding (run-timeout), and its exit code is 2 when no case got an answer.
	RunTimeout time.Duration
	// Document is the contract; nil means the embedded openapi.yaml.
	Document *openapi3.T
	// Transport sends the requests; nil means a clone of http.DefaultTransport. Redirects are never followed.
	Transport http.RoundTripper
	// Progress, when set, receives one line per finished case.
	Progress io.Writer
}

// setDefaults gives every bound that is not positive its default.
func (cfg *Config) setDefaults() {
	defaults.Positive(&cfg.Timeout, DefaultTimeout)
	defaults.Positive(&cfg.Slow, DefaultSlow)
	defaults.Positive(&cfg.PollInterval, DefaultPollInterval)
	defaults.Positive(&cfg.PollDeadline, DefaultPollDeadline)
	defaults.Positive(&cfg.HookWait, DefaultHookWait)
	defaults.Positive(&cfg.RunTimeout, DefaultRunTimeout)
	defaults.Positive(&cfg.MaxBody, DefaultMaxBody)
	defaults.Positive(&cfg.Concurrency, DefaultConcurrency)
}

// Plan returns the cases Run would send for cfg: every free case and the first cfg.Billable billable ones;
// skipped lists the billable cases left out.
func Plan(cfg Config) (run, skipped []Case, err error) {
	doc := cfg.Document
	if doc == nil {
		if doc, err = lumamock.Load(); err != nil {
			return nil, nil, err
		}
	}
	cases, err := Cases(doc)
	if err != nil {
		return nil, nil, err
	}
	billable := 0
	for _, c := range cases {
		if c.Billable {
			if billable >= cfg.Billable {
				skipped = append(skipped, c)
				continue
			}
			billable++
		}
		run = append(run, c)
	}
	return run, skipped, nil
}

// validate checks cfg before anything is sent.
func (cfg *Config) validate() error {
	if cfg.BaseURL == "" {
		return errors.New("check: no base URL")
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("check: base URL %q is not an http(s) URL", redact.URL(cfg.BaseURL))
	}
	if cfg.Billable < 0 {
		return errors.New("check: billable must be 0 or more")
	}
	if cfg.Fixtures != "" && !cfg.UpdateFixtures {
		// A mistyped directory would otherwise turn the comparison off without a word.
		fi, err := os.Stat(cfg.Fixtures)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("check: fixtures: %s does not exist (record them first: lumamock check --update-fixtures, or Config.UpdateFixtures)", cfg.Fixtures)
		case err != nil:
			return fmt.Errorf("check: fixtures: %w", err)
		case !fi.IsDir():
			return fmt.Errorf("check: fixtures: %s is not a directory", cfg.Fixtures)
		}
	}
	return nil
}

// Run checks the API at cfg.BaseURL against the document and reports every finding. It returns an error only
// when it could not run at all (bad configuration, a hook address it cannot bind, a cancelled ctx); an
// unreachable API is a report whose ExitCode is 2. The run ends by cfg.RunTimeout at the latest; a run cut short
// by it is a report with a run-timeout finding.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg.setDefaults()
	secrets := []string{cfg.APIKey}
	if err := cfg.validate(); err != nil {
		return nil, redactErr(err, secrets)
	}
	run, skipped, err := Plan(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.UpdateFixtures && cfg.Fixtures != "" {
		// Before anything is sent, so that a task is never paid for to find the fixtures cannot be written.
		if err := os.MkdirAll(cfg.Fixtures, 0o755); err != nil {
			return nil, fmt.Errorf("check: fixtures: %w", err)
		}
	}
	r, err := newRunner(cfg, secrets, run)
	if err != nil {
		return nil, err
	}
	defer r.close()
	started := time.Now().UTC()
	bound, cancel := context.WithTimeout(ctx, cfg.RunTimeout)
	defer cancel()
	r.bound = bound
	results, findings := r.runAll(run)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	if err := errors.Join(r.errs...); err != nil {
		return nil, redactErr(err, secrets)
	}
	return r.report(started, run, skipped, results, findings), nil
}

// newRunner prepares the checker, the document's lifecycle, the HTTP client and, when a case of run follows its
// task and cfg asks for it, the hook listener.
func newRunner(cfg Config, secrets []string, run []Case) (*runner, error) {
	doc := cfg.Document
	if doc == nil {
		doc = lumamock.MustLoad()
	}
	checker, err := contract.NewChecker(doc, contract.CheckerOptions{Slow: cfg.Slow})
	if err != nil {
		return nil, err
	}
	life, err := documentLifecycle(doc)
	if err != nil {
		return nil, err
	}
	transport := cfg.Transport
	if transport == nil {
		transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	r := &runner{
		cfg: cfg, checker: checker, life: life, secrets: secrets,
		client: &http.Client{Transport: transport, Timeout: cfg.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		shapes: map[string]map[lumamock.Shape]int{},
	}
	if cfg.HookListen == "" {
		return r, nil
	}
	var follow []string
	for _, c := range run {
		if c.Follow {
			follow = append(follow, c.Name)
		}
	}
	if len(follow) > 0 {
		if r.hooks, err = listenHooks(cfg.HookListen, cfg.HookURL, cfg.MaxBody, follow); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// close stops the hook listener, if any.
func (r *runner) close() {
	if r.hooks != nil {
		r.hooks.Close()
	}
}

// runAll runs the cases, Concurrency at a time, until the run's time limit (r.bound); the cases it leaves are
// reported as not run.
func (r *runner) runAll(run []Case) ([]CaseResult, [][]contract.Finding) {
	notRun := func(c Case) CaseResult {
		return CaseResult{Name: c.Name, Description: c.Description, Billable: c.Billable, Request: c.Method + " " + c.Path,
			Checks: c.Checks, Skipped: "not run: the run's time limit (" + r.cfg.RunTimeout.String() + ") passed first"}
	}
	results := make([]CaseResult, len(run))
	findings := make([][]contract.Finding, len(run))
	sem := make(chan struct{}, r.cfg.Concurrency)
	var wg sync.WaitGroup
	for i, c := range run {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-r.bound.Done():
				results[i] = notRun(c)
				return
			}
			defer func() { <-sem }()
			if r.bound.Err() != nil {
				results[i] = notRun(c)
				return
			}
			results[i], findings[i] = r.runCase(r.bound, c)
			if r.cfg.Progress != nil {
				r.progress(results[i], findings[i])
			}
		}()
	}
	wg.Wait()
	return results, findings
}

// report gathers the run's results and findings, adds what the whole run found (shapes, its time limit), marks
// what the baseline accepts, and orders the findings.
func (r *runner) report(started time.Time, run, skipped []Case, results []CaseResult, findings [][]contract.Finding) *Report {
	report := &Report{Target: redact.URL(r.cfg.BaseURL), Started: started, secrets: r.secrets}
	for _, c := range skipped {
		results = append(results, CaseResult{Name: c.Name, Description: c.Description, Billable: true,
			Request: c.Method + " " + c.Path, Checks: c.Checks,
			Skipped: "billable: creates a real task; allow it with --billable N"})
	}
	for i := range findings {
		report.Findings = append(report.Findings, findings[i]...)
	}
	report.Findings = append(report.Findings, finalize("run", r.shapeFindings())...)
	report.Cases = results
	report.Facts = r.facts(run, skipped)
	for _, res := range results {
		if res.Answered {
			report.Answered++
		}
	}
	if r.timedOut() {
		report.Findings = append(report.Findings, finalize("run", []contract.Finding{contract.NewFinding(CheckTransport,
			contract.KindRunTimeout, "", "the whole run within "+r.cfg.RunTimeout.String(),
			fmt.Sprintf("cut short: %d of %d cases answered", report.Answered, len(run)),
			"the run's time limit ended the check before it finished; what it could not reach is not judged")})...)
	}
	for i, f := range report.Findings {
		report.Findings[i].Accepted = r.cfg.Baseline.Has(f.ID)
	}
	slices.SortStableFunc(report.Findings, contract.Compare)
	report.Duration = time.Since(report.Started).Round(time.Millisecond).String()
	return report
}

type runner struct {
	cfg     Config
	checker *contract.Checker
	// life is the document's task lifecycle (the embedded document's when it declares none).
	life    lifecycle
	client  *http.Client
	secrets []string
	hooks   *hookServer
	// bound is the context of the whole run: it ends at the run's time limit (Config.RunTimeout).
	bound context.Context

	mu     sync.Mutex
	shapes map[string]map[lumamock.Shape]int // "success" or "error" → shape → count
	probes map[string]string                 // probe → what it found
	errs   []error                           // failures of the run itself (fixture files)
	// fixtures counts the answers compared with a fixture or recorded as one, and names those with no fixture
	// to compare with.
	fixtures struct {
		done    int
		missing []string
	}
	outMu sync.Mutex
}

// CaseResult is what happened to one case.
type CaseResult struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Billable    bool   `json:"billable,omitempty"`
	// Request is "METHOD path".
	Request string `json:"request"`
	// Status is the answer's status; 0 when there was none.
	Status int `json:"status,omitempty"`
	// Answered is true when a response was received and checked.
	Answered bool   `json:"answered"`
	Duration string `json:"duration,omitempty"`
	// Skipped says why the case did not run ("" when it ran).
	Skipped string   `json:"skipped,omitempty"`
	Checks  []string `json:"checks"`
	// TaskID and States follow the task a billable case created (states in the order observed).
	TaskID    string               `json:"task_id,omitempty"`
	States    []lumamock.TaskState `json:"states,omitempty"`
	Callbacks int                  `json:"callbacks,omitempty"`
}

// roundTrip is one request sent and what came back.
type roundTrip struct {
	req  *http.Request
	resp contract.Response
}

// send sends req, reading at most MaxBody bytes of the answer. A transport failure is returned as a finding.
func (r *runner) send(req *http.Request) (roundTrip, *contract.Finding) {
	start := time.Now()
	resp, err := r.client.Do(req)
	if err != nil {
		f := r.transportFinding(err)
		return roundTrip{req: req}, &f
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, r.cfg.MaxBody+1))
	ex := roundTrip{req: req, resp: contract.Response{Status: resp.StatusCode, Header: resp.Header, Body: body, Duration: time.Since(start)}}
	if err != nil {
		f := r.transportFinding(err)
		return ex, &f
	}
	if int64(len(body)) > r.cfg.MaxBody {
		ex.resp.Body, ex.resp.Truncated = body[:r.cfg.MaxBody], true
	}
	return ex, nil
}

func (r *runner) transportFinding(err error) contract.Finding {
	kind := contract.KindUnreachable
	var (
		netErr   net.Error
		recErr   tls.RecordHeaderError
		verErr   *tls.CertificateVerificationError
		authErr  x509.UnknownAuthorityError
		hostErr  x509.HostnameError
		certErr  x509.CertificateInvalidError
		alertErr tls.AlertError
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()):
		kind = contract.KindTimeout
	case errors.As(err, &recErr), errors.As(err, &verErr), errors.As(err, &authErr), errors.As(err, &hostErr),
		errors.As(err, &certErr), errors.As(err, &alertErr), strings.Contains(err.Error(), "tls:"):
		kind = contract.KindTLS
	}
	expected, msg := "an answer within "+r.cfg.Timeout.String(), "no usable answer: "+string(kind)
	if r.timedOut() {
		kind = contract.KindTimeout
		expected, msg = "an answer before the run's time limit ("+r.cfg.RunTimeout.String()+")", "the run's time limit ended the request"
	}
	return contract.NewFinding(CheckTransport, kind, "", expected, r.redact(err.Error()), msg)
}

// timedOut reports whether the run's time limit has passed.
func (r *runner) timedOut() bool {
	return r.bound != nil && errors.Is(r.bound.Err(), context.DeadlineExceeded)
}

// runCase sends one case and runs all its checks.
func (r *runner) runCase(ctx context.Context, c Case) (CaseResult, []contract.Finding) {
	res := CaseResult{Name: c.Name, Description: c.Description, Billable: c.Billable, Request: c.Method + " " + c.Path, Checks: c.Checks}
	req, err := c.NewRequest(ctx, r.cfg.BaseURL, r.cfg.APIKey)
	if err != nil {
		f := contract.NewFinding(CheckTransport, contract.KindUnreachable, "", "a request", "", r.redact(err.Error()))
		return res, finalize(c.Name, []contract.Finding{f})
	}
	if r.hooks != nil && c.Follow {
		req, err = r.withHook(ctx, c)
		if err != nil {
			f := contract.NewFinding(CheckTransport, contract.KindUnreachable, "", "a request", "", r.redact(err.Error()))
			return res, finalize(c.Name, []contract.Finding{f})
		}
	}
	ex, tf := r.send(req)
	if tf != nil {
		return res, finalize(c.Name, []contract.Finding{*tf})
	}
	res.Status, res.Answered = ex.resp.Status, true
	res.Duration = ex.resp.Duration.Round(time.Millisecond).String()
	checked, err := r.checker.CheckResponse(ctx, documentRequest(req, c.Path), ex.resp)
	if err != nil {
		return res, finalize(c.Name, []contract.Finding{contract.NewFinding(contract.CheckStatus, contract.KindUndocumentedStatus, "", "", "", err.Error())})
	}
	findings := checked.Findings
	findings = append(findings, r.expectation(c, ex.resp, checked)...)
	r.observe(ex.resp.Status, checked.Shape)
	r.probe(c, ex.resp.Status)
	r.fixture(c.Name, ex.resp, checked, &findings)
	if c.Follow && ex.resp.Status == http.StatusOK && checked.Task != nil {
		res.TaskID = checked.Task.ID
		findings = append(findings, r.follow(ctx, c, checked, &res)...)
	}
	return res, finalize(c.Name, findings)
}

// documentRequest returns req as the document sees it: at path, without the base URL's own path prefix (an API
// mounted at https://host/v1 answers /v1/luma/generations, which the document calls /luma/generations).
func documentRequest(req *http.Request, path string) *http.Request {
	shallow := *req
	u := *req.URL
	u.Path, u.RawPath = path, ""
	shallow.URL = &u
	return &shallow
}

// withHook returns the case's request with a notify_hook naming the case on the listener.
func (r *runner) withHook(ctx context.Context, c Case) (*http.Request, error) {
	var body map[string]any
	if err := jsonUnmarshal(c.Body, &body); err != nil {
		return nil, err
	}
	body[lumamock.FieldNotifyHook] = r.hooks.URL(c.Name)
	c.Body = marshal(body)
	return c.NewRequest(ctx, r.cfg.BaseURL, r.cfg.APIKey)
}

// expectation judges the status against what a correct API answers to this case.
func (r *runner) expectation(c Case, resp contract.Response, checked contract.Result) []contract.Finding {
	status := resp.Status
	if has(c.Expect, status) || (status >= 300 && status < 400) {
		return nil
	}
	want := "status " + joinInts(c.Expect)
	got := strconv.Itoa(status)
	if c.Negative && status < 300 {
		// Reported even when the status is undocumented too: a task may have been created.
		msg := "the API accepted a request the document forbids (" + c.Description + ")"
		if checked.Task != nil && checked.Task.ID != "" {
			msg += "; it created task " + checked.Task.ID + ", which may be billed"
		} else {
			msg += "; it may have created a billable task"
		}
		return []contract.Finding{contract.NewFinding(CheckEnforcement, contract.KindAcceptsInvalid, c.Pointer, want, got, msg)}
	}
	for _, f := range checked.Findings {
		if f.Kind == contract.KindUndocumentedStatus || f.Kind == contract.KindServerError {
			return nil // already reported by the status check
		}
	}
	switch {
	case status >= 500:
		return []contract.Finding{contract.NewFinding(contract.CheckStatus, contract.KindServerError, "", want, got, "the API failed (5xx)")}
	case status == http.StatusTooManyRequests:
		return []contract.Finding{contract.NewFinding(contract.CheckStatus, contract.KindRateLimited, "", want, got, "the API rate-limited the check; retry later or with fewer cases")}
	case !c.Negative && status == http.StatusUnauthorized:
		return []contract.Finding{contract.NewFinding(contract.CheckStatus, contract.KindUnauthorized, "", want, got, "the API rejected the key; check --api-key")}
	case !c.Negative && status >= 400:
		return []contract.Finding{contract.NewFinding(CheckEnforcement, contract.KindRejectsValid, "", want, got, "the API rejected a request the document allows ("+c.Description+")")}
	}
	return []contract.Finding{contract.NewFinding(contract.CheckStatus, contract.KindUnexpectedStatus, "", want, got, "a documented status, but not the one this request calls for")}
}

// observe counts the shape of each answer, successes and errors apart.
func (r *runner) observe(status int, shape lumamock.Shape) {
	if shape == "" {
		return
	}
	key := "success"
	if status >= 400 {
		key = "error"
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.shapes[key] == nil {
		r.shapes[key] = map[lumamock.Shape]int{}
	}
	r.shapes[key][shape]++
}

func (r *runner) probe(c Case, status int) {
	if c.Probe == "" {
		return
	}
	var found string
	switch {
	case c.Probe == ProbeRequiredReading && status == http.StatusOK:
		found = "the document's: only the required fields were sent and accepted"
	case c.Probe == ProbeRequiredReading && status == http.StatusBadRequest:
		found = "the source's literal list: a request with only the required fields was rejected"
	case c.Probe == ProbeKeyCheck && status == http.StatusUnauthorized:
		found = "a wrong key is rejected (401)"
	case c.Probe == ProbeKeyCheck && status == http.StatusBadRequest:
		found = "not proven: the body was validated before the key (400), or any key is accepted"
	default:
		found = "inconclusive (status " + strconv.Itoa(status) + ")"
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.probes == nil {
		r.probes = map[string]string{}
	}
	r.probes[c.Probe] = found
}

// shapeFindings reports an API that mixes response shapes, or errors in another shape than successes.
func (r *runner) shapeFindings() []contract.Finding {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []contract.Finding
	success, errs := r.shapes["success"], r.shapes["error"]
	if len(success) > 1 {
		out = append(out, contract.NewFinding(CheckShape, contract.KindShapeInconsistent, "", "one response shape", shapeCounts(success),
			"the API answers tasks in more than one shape"))
	}
	if len(errs) > 1 {
		out = append(out, contract.NewFinding(CheckShape, contract.KindShapeInconsistent, "/error", "one error shape", shapeCounts(errs),
			"the API answers errors in more than one shape"))
	}
	if len(success) == 1 && len(errs) == 1 {
		for s := range success {
			if errs[s] == 0 {
				out = append(out, contract.NewFinding(CheckShape, contract.KindShapeInconsistent, "/error", "errors in the "+string(s)+" shape",
					shapeCounts(errs), "errors do not follow the shape of successes, as the document says they do"))
			}
		}
	}
	return out
}

func shapeCounts(m map[lumamock.Shape]int) string {
	var parts []string
	for _, s := range []lumamock.Shape{lumamock.ShapeEnvelope, lumamock.ShapeLuma} {
		if m[s] > 0 {
			parts = append(parts, fmt.Sprintf("%s ×%d", s, m[s]))
		}
	}
	return strings.Join(parts, ", ")
}

// facts summarises what the run learned besides drift.
func (r *runner) facts(run, skipped []Case) []Fact {
	r.mu.Lock()
	defer r.mu.Unlock()
	shape := func(key string) string {
		if len(r.shapes[key]) == 0 {
			return "not seen"
		}
		return shapeCounts(r.shapes[key])
	}
	facts := []Fact{
		{Name: "response shape", Value: shape("success")},
		{Name: "error shape", Value: shape("error")},
	}
	for _, p := range []string{ProbeRequiredReading, ProbeKeyCheck} {
		v, ok := r.probes[p]
		if !ok {
			v = "not probed"
			if slices.ContainsFunc(skipped, func(c Case) bool { return c.Probe == p }) {
				v = "not probed (billable; allow with --billable)"
			}
		}
		facts = append(facts, Fact{Name: p, Value: v})
	}
	billable := 0
	for _, c := range run {
		if c.Billable {
			billable++
		}
	}
	facts = append(facts, Fact{Name: "billable cases", Value: fmt.Sprintf("%d run, %d skipped", billable, len(skipped))})
	if r.hooks != nil {
		facts = append(facts, Fact{Name: "callbacks", Value: "received at " + r.redact(r.hooks.base)})
	}
	if r.cfg.Fixtures != "" {
		facts = append(facts, Fact{Name: "fixtures", Value: r.fixturesFact()})
	}
	return facts
}

func (r *runner) progress(res CaseResult, fs []contract.Finding) {
	r.outMu.Lock()
	defer r.outMu.Unlock()
	mark := "ok  "
	if len(fs) > 0 {
		mark = "FAIL"
	}
	status := "-"
	if res.Status != 0 {
		status = strconv.Itoa(res.Status)
	}
	fmt.Fprintln(r.cfg.Progress, r.redact(fmt.Sprintf("%s %-32s %s %s (%d findings)", mark, res.Name, status, res.Duration, len(fs))))
}

func (r *runner) redact(s string) string { return redact.Text(s, r.secrets...) }

func joinInts(v []int) string {
	parts := make([]string, len(v))
	for i, n := range v {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, " or ")
}

func redactErr(err error, secrets []string) error {
	if err == nil {
		return nil
	}
	msg := redact.Text(err.Error(), secrets...)
	if msg == err.Error() {
		return err
	}
	return errors.New(msg)
}

// finalize sets Case, Class and ID on each finding, drops duplicates by id (polls repeat findings) and sorts them
// (contract.Compare).
func finalize(caseName string, fs []contract.Finding) []contract.Finding {
	seen := map[string]bool{}
	out := fs[:0:0]
	for _, f := range fs {
		if f.Case == "" {
			f.Case = caseName
		}
		f.Class = f.Kind.Class()
		f.ID = f.Key()
		if seen[f.ID] {
			continue
		}
		seen[f.ID] = true
		out = append(out, f)
	}
	slices.SortStableFunc(out, contract.Compare)
	return out
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/lumamock/lumamock/coverage"
	"github.com/lumamock/lumamock/internal/redact"
	"github.com/lumamock/lumamock/mock"
)

// coverageConfig is what "lumamock coverage" is told by its flags and LUMAMOCK_* variables.
type coverageConfig struct {
	url            string
	session        string
	format, output string
	min            percentFlag
	failOnFindings bool
	ignore         stringList
	adminToken     string
	timeout        time.Duration
}

// percentFlag is --min: a percentage from 0 to 100, "80" or "80%".
type percentFlag struct {
	value float64
	set   bool
}

func (p *percentFlag) String() string {
	if !p.set {
		return ""
	}
	return strconv.FormatFloat(p.value, 'f', -1, 64)
}

func (p *percentFlag) Set(s string) error {
	v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
	if err != nil || math.IsNaN(v) || v < 0 || v > 100 {
		return fmt.Errorf("%q is not a percentage from 0 to 100", s)
	}
	p.value, p.set = v, true
	return nil
}

// maxCoverageAnswer bounds the answer read from the server.
const maxCoverageAnswer = 64 << 20

func newCoverageFlags(stderr io.Writer) (*flag.FlagSet, *coverageConfig) {
	c := &coverageConfig{}
	fs := flag.NewFlagSet("lumamock coverage", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.url, "url", "http://127.0.0.1:8080", "base `URL` of the running lumamock serve")
	fs.StringVar(&c.session, "session", "", "read the coverage of session `NAME` (default: the session default)")
	fs.StringVar(&c.format, "format", "text", "report `format`: "+strings.Join(coverage.Formats(), ", "))
	fs.StringVar(&c.output, "output", "", "write the report to `file` instead of stdout")
	fs.Var(&c.min, "min", "exit 1 when the coverage is below this `percent` (0 to 100)")
	fs.BoolVar(&c.failOnFindings, "fail-on-findings", false, "exit 1 when there is any client discipline finding")
	fs.Var(&c.ignore, "ignore", "leave out an item (its `name`, or a pattern such as '*.fault.*') or a kind of finding (repeatable)")
	fs.StringVar(&c.adminToken, "admin-token", "", "bearer `token` of the admin API, when the server was started with --admin-token")
	fs.DurationVar(&c.timeout, "timeout", 10*time.Second, "time limit of the read")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: lumamock coverage [flags]

Reads what the clients of a running "lumamock serve" (of one session) were exposed to, item by item from openapi.yaml
(every documented status per operation, both task shapes on submit, poll and callbacks, every task state
seen through a poll, every callback event acknowledged, both outcomes, every webhook fault, a callback
retried after a refusal), and where they misbehaved (poll-too-fast, retry-after-ignored, poll-after-end,
hook-not-acknowledged, resubmitted). It writes the report as text, JSON, JUnit XML (a test case per item
and per finding) or Markdown (for a CI job summary).

Exit status: 0 met, 1 below --min or a finding with --fail-on-findings, 2 could not read the coverage
(unreachable server, bad flags).

Every flag can also be set with the environment variable LUMAMOCK_<FLAG> (e.g. LUMAMOCK_URL,
LUMAMOCK_IGNORE=a,b); a flag on the command line wins.

Flags:
`)
		fs.PrintDefaults()
	}
	return fs, c
}

// runCoverage runs "lumamock coverage".
func runCoverage(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, c := newCoverageFlags(stderr)
	if done, err := parseFlags(fs, args, stdout); done || err != nil {
		return err
	}
	if err := coverage.CheckFormat(c.format); err != nil {
		return &ExitError{Code: 2, Err: fmt.Errorf("coverage: --format: %w", err)}
	}
	if c.timeout <= 0 {
		return &ExitError{Code: 2, Err: errors.New("coverage: --timeout must be positive")}
	}
	var output *reportFile
	if c.output != "" {
		var err error
		if output, err = openReportFile(c.output); err != nil {
			return &ExitError{Code: 2, Err: fmt.Errorf("coverage: --output: %w", err)}
		}
		defer output.abandon()
	}
	rep, err := c.read(ctx)
	if err != nil {
		return &ExitError{Code: 2, Err: fmt.Errorf("coverage: %w", err)}
	}
	if rep, err = rep.Exclude(c.ignore...); err != nil {
		return &ExitError{Code: 2, Err: fmt.Errorf("coverage: --ignore %w", err)}
	}
	var rendered bytes.Buffer
	if err := rep.Write(&rendered, c.format); err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	if output == nil {
		_, _ = stdout.Write(rendered.Bytes())
	} else {
		if err := output.replace(rendered.Bytes()); err != nil {
			return &ExitError{Code: 2, Err: fmt.Errorf("coverage: --output: %w", err)}
		}
		fmt.Fprintf(stderr, "lumamock coverage: %s (report in %s)\n", rep.Summary(), c.output)
	}
	var unmet []string
	if c.min.set && rep.Below(c.min.value) {
		unmet = append(unmet, fmt.Sprintf("coverage %d of %d items (%v%%) is below --min %v%%", rep.Covered, rep.Total, rep.Percent, c.min.value))
	}
	if n := rep.FindingCount(); c.failOnFindings && n > 0 {
		unmet = append(unmet, fmt.Sprintf("%d client discipline finding%s (--fail-on-findings)", n, map[bool]string{true: "", false: "s"}[n == 1]))
	}
	if len(unmet) > 0 {
		return &ExitError{Code: 1, Err: errors.New("coverage: " + strings.Join(unmet, "; "))}
	}
	return nil
}

// read reads the coverage report of the server at c.url.
func (c *coverageConfig) read(ctx context.Context) (coverage.Report, error) {
	base, err := url.Parse(c.url)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return coverage.Report{}, fmt.Errorf("--url %q: want the base URL of a lumamock serve, such as http://127.0.0.1:8080", redact.URL(c.url))
	}
	where := strings.TrimSuffix(base.String(), "/") + "/__mock/coverage"
	if c.session != "" {
		if err := mock.CheckSessionName(c.session); err != nil {
			return coverage.Report{}, fmt.Errorf("--session: %w", err)
		}
		where = strings.TrimSuffix(base.String(), "/") + "/__mock/sessions/" + c.session + "/coverage"
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, where, nil)
	if err != nil {
		return coverage.Report{}, err
	}
	req.Header.Set("Accept", "application/json")
	if c.adminToken != "" {
		req.Header.Set("Authorization", "Bearer "+c.adminToken)
	}
	shown := redact.URL(where)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return coverage.Report{}, fmt.Errorf("read %s: %w", shown, errors.New(redact.Text(err.Error(), c.adminToken)))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxCoverageAnswer))
	if err != nil {
		return coverage.Report{}, fmt.Errorf("read %s: %w", shown, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		msg := strings.TrimSpace(string(data))
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		hint := ""
		switch resp.StatusCode {
		case http.StatusUnauthorized:
			hint = " (pass the server's --admin-token with --admin-token)"
		case http.StatusNotFound:
			hint = " (is it a lumamock serve of this version? the proxy measures no coverage)"
			if c.session != "" && strings.HasPrefix(msg, "no session ") {
				// The server is one that measures coverage, by sessions; the session is what it lacks.
				hint = fmt.Sprintf(" (no client has used session %q on this server, or it was deleted or evicted)", c.session)
			}
		}
		return coverage.Report{}, fmt.Errorf("GET %s: %d: %s%s", shown, resp.StatusCode, redact.Text(msg, c.adminToken), hint)
	}
	var rep coverage.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		return coverage.Report{}, fmt.Errorf("GET %s: not a coverage report: %w", shown, err)
	}
	return rep, nil
}

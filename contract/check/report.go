package check

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lumamock/lumamock/contract"
	"github.com/lumamock/lumamock/internal/redact"
)

// Report is the outcome of Run.
type Report struct {
	// Target is the base URL checked (user info removed).
	Target   string    `json:"target"`
	Started  time.Time `json:"started"`
	Duration string    `json:"duration"`
	// Answered counts the cases that got a response to check.
	Answered int `json:"answered"`
	// Facts are what the run learned besides drift: the shapes the API uses, which reading of the source's
	// required list it follows, whether it checks keys.
	Facts    []Fact             `json:"facts"`
	Cases    []CaseResult       `json:"cases"`
	Findings []contract.Finding `json:"findings"`

	secrets []string
}

// Fact is one thing the run learned about the API that is not drift.
type Fact struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Exit codes of a check run.
const (
	ExitOK         = 0 // no drift
	ExitDrift      = 1 // drift found
	ExitNotChecked = 2 // nothing could be checked
)

// ExitCode is 2 when no case got an answer (none that ran, or the run's time limit passed before any did), 1
// when any finding is not accepted by the baseline, else 0.
func (r *Report) ExitCode() int {
	ran := 0
	for _, c := range r.Cases {
		if c.Skipped == "" {
			ran++
		}
	}
	if (ran > 0 || r.timedOut()) && r.Answered == 0 {
		return ExitNotChecked
	}
	if len(r.Drift()) > 0 {
		return ExitDrift
	}
	return ExitOK
}

// timedOut reports whether the run's time limit cut the run short.
func (r *Report) timedOut() bool {
	return slices.ContainsFunc(r.Findings, func(f contract.Finding) bool { return f.Kind == contract.KindRunTimeout })
}

// Drift returns the findings no baseline accepts.
func (r *Report) Drift() []contract.Finding {
	var out []contract.Finding
	for _, f := range r.Findings {
		if !f.Accepted {
			out = append(out, f)
		}
	}
	return out
}

// Formats lists the formats Write accepts; the slice is the caller's.
func Formats() []string { return []string{"text", "json", "junit", "markdown"} }

// Write renders the report in format (text, json, junit or markdown) to w. No secret of the run appears in it,
// nor any URL credential (see internal/redact).
func (r *Report) Write(w io.Writer, format string) error {
	r, err := r.redacted()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	switch format {
	case "", "text":
		r.writeText(&buf)
	case "json":
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		err = enc.Encode(r)
	case "junit":
		err = r.writeJUnit(&buf)
	case "markdown", "md":
		r.writeMarkdown(&buf)
	default:
		return fmt.Errorf("check: unknown report format %q (want one of %s)", format, strings.Join(Formats(), ", "))
	}
	if err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// redacted returns a copy of r with every string redacted, before it is rendered: each format then escapes
// what it must without a secret to escape, and no rendering can break a scrubbed value's surroundings.
func (r *Report) redacted() (*Report, error) {
	data, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("check: redact report: %w", err)
	}
	out := &Report{secrets: r.secrets}
	if err := json.Unmarshal(redact.Body(data, r.secrets...), out); err != nil {
		return nil, fmt.Errorf("check: redact report: %w", err)
	}
	return out, nil
}

// verdict is the report's one-line outcome.
func (r *Report) verdict() string {
	drift := r.Drift()
	accepted := len(r.Findings) - len(drift)
	var s string
	switch r.ExitCode() {
	case ExitNotChecked:
		s = "NOT CHECKED — no case got an answer"
		if r.timedOut() {
			s = "NOT CHECKED — the run's time limit passed before any case got an answer"
		}
	case ExitDrift:
		s = fmt.Sprintf("DRIFT — %d finding%s (%s)", len(drift), plural(len(drift)), classCounts(drift))
		if r.timedOut() {
			s += "; cut short by the run's time limit"
		}
	default:
		s = "OK — no drift"
	}
	if accepted > 0 {
		s += fmt.Sprintf("; %d accepted by the baseline", accepted)
	}
	return s
}

func (r *Report) counts() (ran, skipped int) {
	for _, c := range r.Cases {
		if c.Skipped != "" {
			skipped++
		} else {
			ran++
		}
	}
	return ran, skipped
}

func classCounts(fs []contract.Finding) string {
	n := map[contract.Class]int{}
	for _, f := range fs {
		n[f.Class]++
	}
	var parts []string
	for _, c := range []contract.Class{contract.Breaking, contract.Validation, contract.Additive, contract.Transport} {
		if n[c] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[c], c))
		}
	}
	return strings.Join(parts, ", ")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func (r *Report) writeText(w *bytes.Buffer) {
	ran, skipped := r.counts()
	fmt.Fprintf(w, "lumamock check %s: %s\n", r.Target, r.verdict())
	fmt.Fprintf(w, "%d cases run, %d answered, %d skipped, in %s\n\n", ran, r.Answered, skipped, r.Duration)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, f := range r.Facts {
		fmt.Fprintf(tw, "  %s\t%s\n", f.Name, f.Value)
	}
	tw.Flush()
	findings := r.Findings
	if r.Answered == 0 && len(findings) > 1 {
		// Nothing answered: every case failed the same way; one says it (the run's time limit, when it ended
		// the run), the json and junit reports list all.
		i := max(0, slices.IndexFunc(findings, func(f contract.Finding) bool { return f.Kind == contract.KindRunTimeout }))
		findings = findings[i : i+1]
	}
	for _, f := range findings {
		mark := strings.ToUpper(string(f.Class))
		if f.Accepted {
			mark = "accepted"
		}
		where := f.Case + " › " + f.Check
		if f.Pointer != "" {
			where += " " + f.Pointer
		}
		fmt.Fprintf(w, "\n%-10s  %s  %s\n", mark, f.Kind, where)
		fmt.Fprintf(w, "            %s\n", f.Message)
		if f.Expected != "" || f.Actual != "" {
			fmt.Fprintf(w, "            expected: %s\n            actual:   %s\n", orDash(f.Expected), orDash(f.Actual))
		}
		fmt.Fprintf(w, "            id: %s\n", f.ID)
	}
	if more := len(r.Findings) - len(findings); more > 0 {
		fmt.Fprintf(w, "\n(%d more cases failed the same way; --format json lists them)\n", more)
	}
	if skipped > 0 {
		// Cases skipped for the same reason are listed together: the billable ones, the ones the run's time
		// limit left unrun.
		var reasons []string
		byReason := map[string][]string{}
		for _, c := range r.Cases {
			if c.Skipped == "" {
				continue
			}
			if byReason[c.Skipped] == nil {
				reasons = append(reasons, c.Skipped)
			}
			byReason[c.Skipped] = append(byReason[c.Skipped], c.Name)
		}
		var billable []string
		for _, reason := range reasons {
			if strings.HasPrefix(reason, "billable") {
				billable = append(billable, byReason[reason]...)
				continue
			}
			fmt.Fprintf(w, "\nskipped: %s\n  (%s)\n", strings.Join(byReason[reason], " "), reason)
		}
		if len(billable) > 0 {
			fmt.Fprintf(w, "\nskipped: %s\n  (billable cases create real tasks; run them with --billable N)\n", strings.Join(billable, " "))
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (r *Report) writeMarkdown(w *bytes.Buffer) {
	ran, skipped := r.counts()
	fmt.Fprintf(w, "## lumamock check: %s\n\n", mdEscape(r.verdict()))
	fmt.Fprintf(w, "`%s` — %d cases run, %d answered, %d skipped, in %s.\n\n", r.Target, ran, r.Answered, skipped, r.Duration)
	fmt.Fprintf(w, "| fact | value |\n|---|---|\n")
	for _, f := range r.Facts {
		fmt.Fprintf(w, "| %s | %s |\n", mdEscape(f.Name), mdEscape(f.Value))
	}
	if len(r.Findings) > 0 {
		fmt.Fprintf(w, "\n### Findings\n\n| class | kind | case › check | pointer | expected | actual | message |\n|---|---|---|---|---|---|---|\n")
		for _, f := range r.Findings {
			class := "**" + string(f.Class) + "**"
			if f.Accepted {
				class = string(f.Class) + " (accepted)"
			}
			fmt.Fprintf(w, "| %s | %s | %s › %s | %s | %s | %s | %s |\n", class, f.Kind, mdEscape(f.Case), mdEscape(f.Check),
				mdCode(f.Pointer), mdEscape(f.Expected), mdEscape(f.Actual), mdEscape(f.Message))
		}
	}
	fmt.Fprintf(w, "\n<details><summary>Cases</summary>\n\n| case | request | status | findings | note |\n|---|---|---|---|---|\n")
	perCase := map[string]int{}
	for _, f := range r.Drift() {
		perCase[f.Case]++
	}
	for _, c := range r.Cases {
		status := "-"
		if c.Status != 0 {
			status = fmt.Sprint(c.Status)
		}
		note := c.Skipped
		if len(c.States) > 0 {
			var states []string
			for _, s := range c.States {
				states = append(states, string(s))
			}
			note = strings.Join(states, " → ")
		}
		fmt.Fprintf(w, "| %s | `%s` | %s | %d | %s |\n", mdEscape(c.Name), c.Request, status, perCase[c.Name], mdEscape(note))
	}
	fmt.Fprintf(w, "\n</details>\n")
}

func mdEscape(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

func mdCode(s string) string {
	if s == "" {
		return ""
	}
	return "`" + strings.ReplaceAll(s, "`", "'") + "`"
}

// JUnit XML: one testsuite per run, one testcase per check of each case.
type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr,omitempty"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

func (r *Report) writeJUnit(w *bytes.Buffer) error {
	byCheck := map[[2]string][]contract.Finding{}
	for _, f := range r.Drift() {
		k := [2]string{f.Case, f.Check}
		byCheck[k] = append(byCheck[k], f)
	}
	suite := junitSuite{Name: "lumamock check " + r.Target}
	add := func(c junitCase) {
		suite.Cases = append(suite.Cases, c)
		suite.Tests++
		if c.Failure != nil {
			suite.Failures++
		}
		if c.Skipped != nil {
			suite.Skipped++
		}
	}
	failure := func(fs []contract.Finding) *junitFailure {
		if len(fs) == 0 {
			return nil
		}
		var text strings.Builder
		for _, f := range fs {
			fmt.Fprintf(&text, "%s %s %s: %s (expected %s, actual %s) [%s]\n", f.Class, f.Kind, f.Pointer, f.Message, orDash(f.Expected), orDash(f.Actual), f.ID)
		}
		return &junitFailure{Message: fmt.Sprintf("%d finding%s: %s", len(fs), plural(len(fs)), fs[0].Message), Type: string(fs[0].Class), Text: text.String()}
	}
	for _, c := range r.Cases {
		checks := append([]string(nil), c.Checks...)
		// Checks that produced findings outside the case's declared list (poll., callbacks., transport).
		var extra []string
		for k := range byCheck {
			if k[0] == c.Name && !contains(checks, k[1]) {
				extra = append(extra, k[1])
			}
		}
		sort.Strings(extra)
		checks = append(checks, extra...)
		for _, check := range checks {
			jc := junitCase{Classname: c.Name, Name: check}
			if c.Skipped != "" {
				jc.Skipped = &junitSkipped{Message: c.Skipped}
			} else {
				jc.Failure = failure(byCheck[[2]string{c.Name, check}])
			}
			add(jc)
		}
	}
	var runChecks []string
	for k := range byCheck {
		if k[0] == "run" {
			runChecks = append(runChecks, k[1])
		}
	}
	sort.Strings(runChecks)
	for _, check := range runChecks {
		add(junitCase{Classname: "run", Name: check, Failure: failure(byCheck[[2]string{"run", check}])})
	}
	w.WriteString(xml.Header)
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(junitSuites{Suites: []junitSuite{suite}}); err != nil {
		return err
	}
	w.WriteString("\n")
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

package diff

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// Exit codes of lumamock diff.
const (
	ExitOK         = 0 // nothing at or above the --fail-on class (settled and accepted findings never count)
	ExitChanged    = 1 // a change at or above the --fail-on class
	ExitUnreadable = 2 // a side could not be read (or bad flags)
)

// Report is the outcome of Compare.
type Report struct {
	Base     string `json:"base"`
	Revision string `json:"revision"`
	// FailOn is the least severe class that fails the comparison; zero means Breaking.
	FailOn   Class     `json:"fail_on"`
	Findings []Finding `json:"findings"`
}

// Formats Write accepts.
var Formats = []string{"text", "json", "junit", "markdown", "github"}

func (r *Report) failOn() Class {
	if r.FailOn == "" {
		return Breaking
	}
	return r.FailOn
}

// Accept marks the findings whose id accepted reports true (a baseline's ids): they no longer fail.
func (r *Report) Accept(accepted func(id string) bool) {
	for i := range r.Findings {
		if accepted(r.Findings[i].ID) {
			r.Findings[i].Accepted = true
		}
	}
}

// Failing returns the findings at or above FailOn that are neither settled nor accepted.
func (r *Report) Failing() []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.counts() && f.Class.AtLeast(r.failOn()) {
			out = append(out, f)
		}
	}
	return out
}

// ExitCode is ExitChanged when any finding fails, else ExitOK.
func (r *Report) ExitCode() int {
	if len(r.Failing()) > 0 {
		return ExitChanged
	}
	return ExitOK
}

// Count returns how many findings of class c there are, settled and accepted ones left out.
func (r *Report) Count(c Class) int {
	n := 0
	for _, f := range r.Findings {
		if f.counts() && f.Class == c {
			n++
		}
	}
	return n
}

// Summary says in one line how many changes of each class there are: "2 breaking, 0 warning, 1 info", with
// the settled and accepted ones when there are any.
func (r *Report) Summary() string {
	s := fmt.Sprintf("%d breaking, %d warning, %d info", r.Count(Breaking), r.Count(Warning), r.Count(Info))
	settled, accepted := 0, 0
	for _, f := range r.Findings {
		switch {
		case f.Settled != "":
			settled++
		case f.Accepted:
			accepted++
		}
	}
	if settled > 0 {
		s += fmt.Sprintf("; %d known, settled", settled)
	}
	if accepted > 0 {
		s += fmt.Sprintf("; %d accepted by the baseline", accepted)
	}
	return s
}

// verdict is the report's one-line outcome.
func (r *Report) verdict() string {
	switch {
	case len(r.Failing()) > 0:
		return fmt.Sprintf("CHANGED — %s (fails on %s)", r.Summary(), r.failOn())
	case len(r.Findings) == 0:
		return "OK — no change"
	}
	return fmt.Sprintf("OK — %s (fails on %s)", r.Summary(), r.failOn())
}

// Write renders the report in format (text, json, junit, markdown or github) to w.
func (r *Report) Write(w io.Writer, format string) error {
	var buf bytes.Buffer
	var err error
	switch format {
	case "", "text":
		r.writeText(&buf)
	case "json":
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		out := struct {
			Base     string         `json:"base"`
			Revision string         `json:"revision"`
			FailOn   Class          `json:"fail_on"`
			Verdict  string         `json:"verdict"`
			Counts   map[string]int `json:"counts"`
			Findings []Finding      `json:"findings"`
		}{r.Base, r.Revision, r.failOn(), r.verdict(), map[string]int{"breaking": r.Count(Breaking), "warning": r.Count(Warning), "info": r.Count(Info)}, r.Findings}
		if out.Findings == nil {
			out.Findings = []Finding{}
		}
		err = enc.Encode(out)
	case "junit":
		err = r.writeJUnit(&buf)
	case "markdown", "md":
		r.writeMarkdown(&buf)
	case "github":
		r.writeGitHub(&buf)
	default:
		return fmt.Errorf("diff: unknown report format %q (want one of %s)", format, strings.Join(Formats, ", "))
	}
	if err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// mark is how a finding is labelled: its class, or why it does not count.
func (f Finding) mark() string {
	switch {
	case f.Settled != "":
		return "settled"
	case f.Accepted:
		return "accepted"
	}
	return string(f.Class)
}

func (f Finding) location() string {
	switch {
	case f.File != "" && f.Line > 0:
		return fmt.Sprintf("%s:%d", f.File, f.Line)
	case f.File != "":
		return f.File
	}
	return ""
}

func (r *Report) writeText(w *bytes.Buffer) {
	fmt.Fprintf(w, "lumamock diff %s → %s: %s\n", r.Base, r.Revision, r.verdict())
	for _, f := range r.Findings {
		mark := f.mark()
		if f.counts() && f.Class.AtLeast(r.failOn()) {
			mark = strings.ToUpper(mark)
		}
		fmt.Fprintf(w, "\n%-9s %s", mark, f.Rule)
		if loc := f.location(); loc != "" {
			fmt.Fprintf(w, "  %s", loc)
		}
		fmt.Fprintf(w, "\n          %s\n", f.Reason)
		fmt.Fprintf(w, "          at %s (%s)\n", orRoot(f.Pointer), f.In)
		if len(f.Where) > 0 {
			fmt.Fprintf(w, "          seen in %s\n", strings.Join(f.Where, "; "))
		}
		fmt.Fprintf(w, "          id: %s\n", f.ID)
	}
}

func (r *Report) writeMarkdown(w *bytes.Buffer) {
	fmt.Fprintf(w, "## lumamock diff: %s\n\n", mdEscape(r.verdict()))
	fmt.Fprintf(w, "`%s` → `%s`\n", mdCode(r.Base), mdCode(r.Revision))
	var counted, other []Finding
	for _, f := range r.Findings {
		if f.counts() {
			counted = append(counted, f)
		} else {
			other = append(other, f)
		}
	}
	table := func(fs []Finding) {
		fmt.Fprintf(w, "\n| class | rule | where | pointer | reason |\n|---|---|---|---|---|\n")
		for _, f := range fs {
			class := f.mark()
			if f.counts() && f.Class.AtLeast(r.failOn()) {
				class = "**" + class + "**"
			}
			fmt.Fprintf(w, "| %s | %s | %s | `%s` | %s |\n", class, f.Rule, mdEscape(f.location()), mdCode(orRoot(f.Pointer)), mdEscape(f.Reason))
		}
	}
	if len(counted) > 0 {
		table(counted)
	}
	if len(other) > 0 {
		fmt.Fprintf(w, "\n<details><summary>%d known (settled or accepted)</summary>\n", len(other))
		table(other)
		fmt.Fprintf(w, "\n</details>\n")
	}
}

func mdEscape(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

func mdCode(s string) string { return strings.ReplaceAll(s, "`", "'") }

// writeGitHub writes one workflow command per finding (::error for the failing ones, ::warning and
// ::notice for the others), with the file and line where known, then the verdict.
func (r *Report) writeGitHub(w *bytes.Buffer) {
	for _, f := range r.Findings {
		level := "notice"
		switch {
		case !f.counts():
		case f.Class.AtLeast(r.failOn()):
			level = "error"
		case f.Class != Info:
			level = "warning"
		}
		var props []string
		if f.File != "" {
			props = append(props, "file="+ghProperty(f.File))
			if f.Line > 0 {
				props = append(props, fmt.Sprintf("line=%d", f.Line))
			}
		}
		props = append(props, "title="+ghProperty(fmt.Sprintf("%s: %s", f.mark(), f.Rule)))
		fmt.Fprintf(w, "::%s %s::%s\n", level, strings.Join(props, ","), ghData(fmt.Sprintf("%s (%s, %s)", f.Reason, orRoot(f.Pointer), f.ID)))
	}
	fmt.Fprintf(w, "lumamock diff %s → %s: %s\n", r.Base, r.Revision, r.verdict())
}

// ghData escapes a workflow command's message.
func ghData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// ghProperty escapes a workflow command's property value.
func ghProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// JUnit XML: one testcase per rule; a rule with a failing finding fails, the others pass (or list what they
// found below the --fail-on class in system-out).
type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

func (r *Report) writeJUnit(w *bytes.Buffer) error {
	suite := junitSuite{Name: fmt.Sprintf("lumamock diff %s → %s", r.Base, r.Revision)}
	for _, rule := range Rules {
		jc := junitCase{Classname: "lumamock diff." + string(rule.Class), Name: rule.ID}
		var failing, other []string
		for _, f := range r.Findings {
			if f.Rule != rule.ID {
				continue
			}
			line := fmt.Sprintf("%s %s: %s [%s]", f.mark(), orRoot(f.Pointer), f.Reason, f.ID)
			if f.counts() && f.Class.AtLeast(r.failOn()) {
				failing = append(failing, line)
			} else {
				other = append(other, line)
			}
		}
		if len(failing) > 0 {
			jc.Failure = &junitFailure{Message: fmt.Sprintf("%d %s change%s", len(failing), rule.Class, plural(len(failing))), Type: string(rule.Class), Text: strings.Join(failing, "\n") + "\n"}
			suite.Failures++
		}
		if len(other) > 0 {
			jc.SystemOut = strings.Join(other, "\n") + "\n"
		}
		suite.Cases = append(suite.Cases, jc)
		suite.Tests++
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

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

package coverage

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is what a client was exposed to and how it behaved: the answer of GET /__mock/coverage, and what
// lumamock coverage renders.
type Report struct {
	// Session is the session the report is about ("" before sessions).
	Session string `json:"session,omitempty"`
	// At is when the report was read, on the server's clock.
	At time.Time `json:"at"`
	// Covered of Total items were covered, Percent of them (100 when no item counts). Ignored items count in
	// neither.
	Covered int     `json:"covered"`
	Total   int     `json:"total"`
	Percent float64 `json:"percent"`
	// Items are every item, in the document's order.
	Items []Item `json:"items"`
	// Missing names the items never covered, ignored ones aside.
	Missing []string `json:"missing"`
	// Ignore are the patterns excluded (Exclude); Ignored the item names and finding kinds they matched.
	Ignore  []string `json:"ignore,omitempty"`
	Ignored []string `json:"ignored,omitempty"`
	// Findings are the client discipline findings listed, by kind, then client. The lists are bounded (see
	// Options); Totals counts every occurrence by kind, listed or not, and Unlisted those not listed.
	Findings []Finding        `json:"findings"`
	Totals   map[string]int64 `json:"finding_totals"`
	Unlisted int64            `json:"findings_unlisted"`
	// Clients says how many clients are remembered and how many were forgotten to stay within the bound.
	Clients Clients `json:"clients"`
	// Thresholds are the thresholds the findings were judged by.
	Thresholds Thresholds `json:"thresholds"`
}

// Finding is one way one client misbehaved, with the journal records that show it.
type Finding struct {
	Kind string `json:"kind"`
	// Client is the client's label: redact.Label of its API key, or "anonymous".
	Client   string `json:"client"`
	TaskID   string `json:"task_id,omitempty"`
	Receiver string `json:"receiver,omitempty"`
	Message  string `json:"message"`
	// Count is how many times it occurred.
	Count int64 `json:"count"`
	// Evidence are the requests and callbacks that show it (the first ones, at most Options.MaxEvidence).
	Evidence []Ref `json:"evidence"`
	// Advice says what a well-behaved client does instead.
	Advice string `json:"advice"`
}

// Clients counts the clients a Recorder judged.
type Clients struct {
	// Seen is how many are remembered, at most Max; Forgotten how many were forgotten, least recently seen
	// first, to stay within Max.
	Seen      int   `json:"seen"`
	Forgotten int64 `json:"forgotten"`
	Max       int   `json:"max"`
}

type thresholdsJSON struct {
	PollMinInterval string `json:"poll_min_interval"`
	PollAfterEnd    int    `json:"poll_after_end"`
	ResubmitWindow  string `json:"resubmit_window"`
}

// MarshalJSON writes the durations as Go durations ("1s").
func (t Thresholds) MarshalJSON() ([]byte, error) {
	return json.Marshal(thresholdsJSON{t.PollMinInterval.String(), t.PollAfterEnd, t.ResubmitWindow.String()})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (t *Thresholds) UnmarshalJSON(b []byte) error {
	var j thresholdsJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	var out Thresholds
	var err error
	if out.PollMinInterval, err = parseDuration(j.PollMinInterval); err != nil {
		return fmt.Errorf("poll_min_interval: %w", err)
	}
	if out.ResubmitWindow, err = parseDuration(j.ResubmitWindow); err != nil {
		return fmt.Errorf("resubmit_window: %w", err)
	}
	out.PollAfterEnd = j.PollAfterEnd
	*t = out
	return nil
}

func parseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	return time.ParseDuration(s)
}

// finish computes the counts, the percentage and the missing items from Items, and orders the findings.
func (r *Report) finish() {
	r.Covered, r.Total, r.Missing = 0, 0, []string{}
	for _, it := range r.Items {
		if it.Ignored {
			continue
		}
		r.Total++
		if it.Covered {
			r.Covered++
		} else {
			r.Missing = append(r.Missing, it.Name)
		}
	}
	r.Percent = 100
	if r.Total > 0 {
		r.Percent = math.Floor(float64(r.Covered)*1000/float64(r.Total)) / 10 // never rounded up to 100
	}
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	rank := func(kind string) int { return slices.Index(kindNames[:], kind) }
	slices.SortStableFunc(r.Findings, func(a, b Finding) int {
		if d := rank(a.Kind) - rank(b.Kind); d != 0 {
			return d
		}
		return strings.Compare(a.Client, b.Client)
	})
	var listed int64
	for _, f := range r.Findings {
		listed += f.Count
	}
	var total int64
	for _, k := range kindNames {
		if !slices.Contains(r.Ignored, k) {
			total += r.Totals[k]
		}
	}
	r.Unlisted = max(0, total-listed)
}

// Below reports whether the coverage is below min percent. It compares the counts, not the rounded Percent.
func (r Report) Below(min float64) bool {
	return r.Total > 0 && float64(r.Covered)*100 < min*float64(r.Total)
}

// FindingCount is how many findings occurred, of the kinds not ignored, listed or not.
func (r Report) FindingCount() int64 {
	var n int64
	for _, k := range kindNames {
		if !slices.Contains(r.Ignored, k) {
			n += r.Totals[k]
		}
	}
	return n
}

// Exclude returns the report without the items and finding kinds patterns name: an item's name or a finding's
// kind, or a pattern of them (path.Match: "createGeneration.status.4*", "*.fault.*"). Excluded items count in
// neither the covered nor the total; excluded findings are not listed nor counted. The report lists the patterns
// and what they matched. A pattern that matches nothing is an error, so that a typo does not go unnoticed.
func (r Report) Exclude(patterns ...string) (Report, error) {
	if len(patterns) == 0 {
		return r, nil
	}
	r.Items = slices.Clone(r.Items)
	r.Ignore = append(slices.Clip(r.Ignore), patterns...)
	r.Ignored = slices.Clone(r.Ignored)
	var errs []error
	for _, p := range patterns {
		if _, err := path.Match(p, ""); err != nil {
			errs = append(errs, fmt.Errorf("%q: %w", p, err))
			continue
		}
		matched := false
		for i := range r.Items {
			if ok, _ := path.Match(p, r.Items[i].Name); ok {
				r.Items[i].Ignored, matched = true, true
				if !slices.Contains(r.Ignored, r.Items[i].Name) {
					r.Ignored = append(r.Ignored, r.Items[i].Name)
				}
			}
		}
		for _, k := range kindNames {
			if ok, _ := path.Match(p, k); ok {
				matched = true
				if !slices.Contains(r.Ignored, k) {
					r.Ignored = append(r.Ignored, k)
				}
			}
		}
		if !matched {
			errs = append(errs, fmt.Errorf("%q matches no item and no finding kind", p))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Report{}, err
	}
	r.Findings = slices.DeleteFunc(slices.Clone(r.Findings), func(f Finding) bool { return slices.Contains(r.Ignored, f.Kind) })
	r.finish()
	return r, nil
}

// Formats lists the formats Write renders.
func Formats() []string { return []string{"text", "json", "junit", "markdown"} }

// FormatOf is the format a report file's name suggests: json for .json, junit for .xml, markdown for .md, else
// text.
func FormatOf(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json":
		return "json"
	case ".xml":
		return "junit"
	case ".md", ".markdown":
		return "markdown"
	}
	return "text"
}

// CheckFormat returns an error naming the formats when format is not one of them.
func CheckFormat(format string) error {
	if slices.Contains(Formats(), format) {
		return nil
	}
	return fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(Formats(), ", "))
}

// Write renders the report in format (Formats) to w.
func (r Report) Write(w io.Writer, format string) error {
	if err := CheckFormat(format); err != nil {
		return fmt.Errorf("coverage: %w", err)
	}
	var buf bytes.Buffer
	switch format {
	case "text":
		r.writeText(&buf)
	case "json":
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("coverage: %w", err)
		}
	case "junit":
		if err := r.writeJUnit(&buf); err != nil {
			return fmt.Errorf("coverage: %w", err)
		}
	case "markdown":
		r.writeMarkdown(&buf)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// Summary is the report's one-line verdict.
func (r Report) Summary() string {
	s := fmt.Sprintf("%d of %d items covered (%s)", r.Covered, r.Total, percent(r.Percent))
	if n := r.FindingCount(); n > 0 {
		s += fmt.Sprintf("; %d client discipline finding%s", n, pluralS(n))
	} else {
		s += "; no client discipline finding"
	}
	return s
}

func percent(p float64) string {
	if p == math.Trunc(p) {
		return fmt.Sprintf("%.0f%%", p)
	}
	return fmt.Sprintf("%.1f%%", p)
}

func pluralS(n int64) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func (r Report) title() string {
	t := "lumamock coverage"
	if r.Session != "" && r.Session != "default" { // the session of those that name none
		t += " of session " + r.Session
	}
	return t
}

func (r Report) writeText(w *bytes.Buffer) {
	fmt.Fprintf(w, "%s: %s\n", r.title(), r.Summary())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\nITEM\tCOVERED\tCOUNT\tFIRST\n")
	for _, it := range r.Items {
		covered, count, first := "no", "-", "-"
		switch {
		case it.Ignored:
			covered = "ignored"
		case it.Covered:
			covered = "yes"
		}
		if it.Count > 0 {
			count = fmt.Sprint(it.Count)
		}
		if it.First != nil {
			first = it.First.String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", it.Name, covered, count, first)
	}
	tw.Flush()
	if len(r.Missing) > 0 {
		fmt.Fprintf(w, "\nNever covered (%d):\n", len(r.Missing))
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, it := range r.Items {
			if !it.Covered && !it.Ignored {
				fmt.Fprintf(tw, "  %s\t%s\n", it.Name, it.Hint)
			}
		}
		tw.Flush()
	}
	if len(r.Ignore) > 0 {
		fmt.Fprintf(w, "\nExcluded (--ignore %s): %s\n", strings.Join(r.Ignore, " "), strings.Join(r.Ignored, ", "))
	}
	fmt.Fprintf(w, "\nClient discipline (%s):", r.thresholdText())
	var counts []string
	for _, k := range kindNames {
		if slices.Contains(r.Ignored, k) {
			counts = append(counts, k+" ignored")
		} else {
			counts = append(counts, fmt.Sprintf("%s %d", k, r.Totals[k]))
		}
	}
	fmt.Fprintf(w, "\n  %s\n", strings.Join(counts, ", "))
	for _, f := range r.Findings {
		fmt.Fprintf(w, "\n%s  %s\n  %s\n  evidence: %s\n  instead: %s\n", f.Kind, f.Client, f.Message, refs(f.Evidence, f.Count), f.Advice)
	}
	if r.Unlisted > 0 {
		fmt.Fprintf(w, "\n(%d more occurrences not listed: the lists are bounded per client)\n", r.Unlisted)
	}
	if r.Clients.Forgotten > 0 {
		fmt.Fprintf(w, "\n(%d clients forgotten: at most %d are remembered)\n", r.Clients.Forgotten, r.Clients.Max)
	}
}

func (r Report) thresholdText() string {
	t := r.Thresholds
	return fmt.Sprintf("poll-min-interval %s, poll-after-end %d, resubmit-window %s", t.PollMinInterval, t.PollAfterEnd, t.ResubmitWindow)
}

// refs lists evidence, saying how many more occurrences there were than records listed.
func refs(ev []Ref, count int64) string {
	parts := make([]string, len(ev))
	for i, e := range ev {
		parts[i] = e.String()
	}
	s := strings.Join(parts, " ")
	if len(ev) > 0 && int64(len(ev)) < count {
		s += " …"
	}
	return s
}

func (r Report) writeMarkdown(w *bytes.Buffer) {
	fmt.Fprintf(w, "## %s: %s\n\n", r.title(), mdEscape(r.Summary()))
	if len(r.Missing) > 0 {
		fmt.Fprintf(w, "### Never covered (%d)\n\n| item | how to cover it |\n|---|---|\n", len(r.Missing))
		for _, it := range r.Items {
			if !it.Covered && !it.Ignored {
				fmt.Fprintf(w, "| `%s` | %s |\n", it.Name, mdEscape(it.Hint))
			}
		}
		fmt.Fprintln(w)
	}
	if len(r.Ignore) > 0 {
		fmt.Fprintf(w, "Excluded (`--ignore %s`): %s\n\n", strings.Join(r.Ignore, " "), mdEscape(strings.Join(r.Ignored, ", ")))
	}
	fmt.Fprintf(w, "### Client discipline\n\n%s.\n\n", mdEscape(r.thresholdText()))
	if len(r.Findings) == 0 {
		fmt.Fprintf(w, "No finding.\n\n")
	} else {
		fmt.Fprintf(w, "| finding | client | what happened | evidence |\n|---|---|---|---|\n")
		for _, f := range r.Findings {
			fmt.Fprintf(w, "| **%s** | `%s` | %s | %s |\n", f.Kind, f.Client, mdEscape(f.Message), refs(f.Evidence, f.Count))
		}
		fmt.Fprintln(w)
		var kinds []string
		for _, f := range r.Findings {
			if !slices.Contains(kinds, f.Kind) {
				kinds = append(kinds, f.Kind)
				fmt.Fprintf(w, "- **%s**: %s\n", f.Kind, mdEscape(f.Advice))
			}
		}
		fmt.Fprintln(w)
	}
	if r.Unlisted > 0 {
		fmt.Fprintf(w, "%d more occurrences not listed (the lists are bounded per client).\n\n", r.Unlisted)
	}
	fmt.Fprintf(w, "<details><summary>Every item</summary>\n\n| item | covered | count | first |\n|---|---|---|---|\n")
	for _, it := range r.Items {
		covered := "❌"
		switch {
		case it.Ignored:
			covered = "ignored"
		case it.Covered:
			covered = "✅"
		}
		first := ""
		if it.First != nil {
			first = it.First.String()
		}
		fmt.Fprintf(w, "| `%s` | %s | %d | %s |\n", it.Name, covered, it.Count, first)
	}
	fmt.Fprintf(w, "\n</details>\n")
}

func mdEscape(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

// JUnit XML: a testsuite of the items (one testcase each, failing when never covered, skipped when ignored) and
// one of the client discipline (one failing testcase per finding, one passing testcase per kind without any).
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
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

func (s *junitSuite) add(c junitCase) {
	s.Cases = append(s.Cases, c)
	s.Tests++
	if c.Failure != nil {
		s.Failures++
	}
	if c.Skipped != nil {
		s.Skipped++
	}
}

func (r Report) writeJUnit(w *bytes.Buffer) error {
	return writeJUnit(w, r.title(), r.junitSuites(""))
}

// WriteAll renders several reports (a server's sessions) in format to w: in text and Markdown one after the
// other, in JUnit as the test suites of one document (each named after its session), in JSON as an array.
func WriteAll(w io.Writer, format string, reports []Report) error {
	if err := CheckFormat(format); err != nil {
		return fmt.Errorf("coverage: %w", err)
	}
	var buf bytes.Buffer
	switch format {
	case "text", "markdown":
		for i, r := range reports {
			if i > 0 {
				buf.WriteString("\n")
			}
			if err := r.Write(&buf, format); err != nil {
				return err
			}
		}
	case "json":
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		if reports == nil {
			reports = []Report{}
		}
		if err := enc.Encode(reports); err != nil {
			return fmt.Errorf("coverage: %w", err)
		}
	case "junit":
		var suites []junitSuite
		for _, r := range reports {
			prefix := ""
			if r.Session != "" {
				prefix = "session " + r.Session + ": "
			}
			suites = append(suites, r.junitSuites(prefix)...)
		}
		if err := writeJUnit(&buf, "lumamock coverage", suites); err != nil {
			return fmt.Errorf("coverage: %w", err)
		}
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// junitSuites are the report's JUnit test suites, their names prefixed with prefix.
func (r Report) junitSuites(prefix string) []junitSuite {
	items := junitSuite{Name: prefix + "coverage"}
	for _, it := range r.Items {
		c := junitCase{Classname: "coverage." + it.Kind, Name: it.Name}
		switch {
		case it.Ignored:
			c.Skipped = &junitSkipped{Message: "excluded by --ignore"}
		case !it.Covered:
			c.Failure = &junitFailure{Message: "never covered: " + it.Description, Type: "not-covered", Text: "how to cover it: " + it.Hint}
		}
		items.add(c)
	}
	discipline := junitSuite{Name: prefix + "client discipline"}
	for _, k := range kindNames {
		if slices.Contains(r.Ignored, k) {
			discipline.add(junitCase{Classname: "discipline", Name: k, Skipped: &junitSkipped{Message: "excluded by --ignore"}})
			continue
		}
		listed := int64(0)
		for _, f := range r.Findings {
			if f.Kind != k {
				continue
			}
			listed += f.Count
			name := f.Client + " " + f.TaskID + f.Receiver
			if f.TaskID == "" && f.Receiver == "" && len(f.Evidence) > 0 {
				name = f.Client + " " + f.Evidence[0].String()
			}
			discipline.add(junitCase{Classname: "discipline." + k, Name: strings.TrimSpace(name), Failure: &junitFailure{
				Message: f.Message, Type: k, Text: "evidence: " + refs(f.Evidence, f.Count) + "\ninstead: " + f.Advice}})
		}
		switch more := r.Totals[k] - listed; {
		case listed == 0 && more <= 0:
			discipline.add(junitCase{Classname: "discipline", Name: k})
		case more > 0:
			discipline.add(junitCase{Classname: "discipline." + k, Name: "not listed", Failure: &junitFailure{
				Message: fmt.Sprintf("%d more occurrences not listed (the lists are bounded per client)", more), Type: k}})
		}
	}
	return []junitSuite{items, discipline}
}

// writeJUnit writes suites as one JUnit document named name.
func writeJUnit(w *bytes.Buffer, name string, suites []junitSuite) error {
	all := junitSuites{Name: name, Suites: suites}
	for _, s := range all.Suites {
		all.Tests += s.Tests
		all.Failures += s.Failures
		all.Skipped += s.Skipped
	}
	w.WriteString(xml.Header)
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(all); err != nil {
		return err
	}
	w.WriteString("\n")
	return nil
}

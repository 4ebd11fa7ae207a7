package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/contract/check"
	"github.com/lumamock/lumamock/contract/diff"
)

// diffConfig is what "lumamock diff" is told by its flags and LUMAMOCK_* variables.
type diffConfig struct {
	format, output, failOn, baseline string
}

func newDiffFlags(stderr io.Writer) (*flag.FlagSet, *diffConfig) {
	c := &diffConfig{}
	fs := flag.NewFlagSet("lumamock diff", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.format, "format", "text", "report `format`: text, json, junit, markdown or github (workflow annotations)")
	fs.StringVar(&c.output, "output", "", "write the report to `file` instead of stdout")
	fs.StringVar(&c.failOn, "fail-on", "breaking", "exit 1 on a change of this `class` or a more severe one: breaking, warning or info")
	fs.StringVar(&c.baseline, "baseline", "", "accept the changes listed in `file` (a previous JSON report, a JSON array of ids, or one id per line)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: lumamock diff [flags] BASE REVISION

Reports every change from BASE to REVISION, each classified for clients of the API as breaking,
warning or info, with a JSON pointer and a reason: requests, responses, callbacks (their body judged
as a response the client receives), the task lifecycle (x-transitions, x-terminal), settled conflicts
(x-settled) and what the mock's Prefer header can force.

BASE and REVISION are each an OpenAPI 3 document (YAML or JSON), an Apifox page export (recognised
by its content; compared only as far as the page says anything, and what the OpenAPI document
settled on purpose is reported as "known, settled"), - for standard input, or REF:PATH read from
git (main:openapi.yaml). At most %d MiB each; $refs outside the document are refused, never fetched.

Exit status: 0 no change at or above --fail-on, 1 such a change, 2 a side could not be read (or bad
flags).

Flags:
`, diff.MaxDocumentSize>>20)
		fs.PrintDefaults()
	}
	return fs, c
}

// splitArgs separates the flags of fs from the positional arguments, which may come before, between or
// after them ("-" is an argument; everything after "--" is one).
func splitArgs(fs *flag.FlagSet, args []string) (flags, positional []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return flags, append(positional, args[i+1:]...)
		case a == "-" || !strings.HasPrefix(a, "-"):
			positional = append(positional, a)
		default:
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if strings.Contains(name, "=") {
				continue
			}
			if f := fs.Lookup(name); f != nil {
				if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
					continue
				}
				if i+1 < len(args) {
					i++
					flags = append(flags, args[i])
				}
			}
		}
	}
	return flags, positional
}

// runDiff runs "lumamock diff".
func runDiff(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs, c := newDiffFlags(stderr)
	flags, positional := splitArgs(fs, args)
	if done, err := parseFlags(fs, flags, stdout); done || err != nil {
		return err
	}
	if len(positional) != 2 {
		return &ExitError{Code: diff.ExitUnreadable, Err: fmt.Errorf("diff: want BASE and REVISION, got %d argument(s) (see lumamock diff --help)", len(positional))}
	}
	if positional[0] == "-" && positional[1] == "-" {
		return &ExitError{Code: diff.ExitUnreadable, Err: errors.New("diff: only one side can be - (standard input)")}
	}
	if !slices.Contains(diff.Formats, c.format) {
		return &ExitError{Code: diff.ExitUnreadable, Err: fmt.Errorf("diff: --format %q: want one of %s", c.format, strings.Join(diff.Formats, ", "))}
	}
	failOn, err := diff.ParseClass(c.failOn)
	if err != nil {
		return &ExitError{Code: diff.ExitUnreadable, Err: fmt.Errorf("diff: --fail-on: %w", err)}
	}
	var baseline check.Baseline
	if c.baseline != "" {
		if baseline, err = check.ReadBaseline(c.baseline); err != nil {
			return &ExitError{Code: diff.ExitUnreadable, Err: fmt.Errorf("diff: --baseline %s: %w", c.baseline, errors.Unwrap(err))}
		}
	}
	var output *reportFile
	if c.output != "" {
		if output, err = openReportFile(c.output); err != nil {
			return &ExitError{Code: diff.ExitUnreadable, Err: fmt.Errorf("diff: --output: %w", err)}
		}
		defer output.abandon()
	}
	var docs [2]*diff.Document
	for i, arg := range positional {
		side := [2]string{"BASE", "REVISION"}[i]
		if docs[i], err = diff.Read(ctx, arg, stdin); err != nil {
			return &ExitError{Code: diff.ExitUnreadable, Err: fmt.Errorf("diff: %s %w", side, err)}
		}
	}
	report := diff.Compare(docs[0], docs[1])
	report.FailOn = failOn
	if baseline != nil {
		report.Accept(baseline.Has)
	}
	var rendered bytes.Buffer
	if err := report.Write(&rendered, c.format); err != nil {
		return &ExitError{Code: diff.ExitUnreadable, Err: fmt.Errorf("diff: write report: %w", err)}
	}
	if output == nil {
		_, _ = stdout.Write(rendered.Bytes())
	} else {
		if err := output.replace(rendered.Bytes()); err != nil {
			return &ExitError{Code: diff.ExitUnreadable, Err: fmt.Errorf("diff: write report: %w", err)}
		}
		fmt.Fprintf(stderr, "lumamock diff: %s (report in %s)\n", report.Summary(), c.output)
	}
	if code := report.ExitCode(); code != diff.ExitOK {
		return &ExitError{Code: code, Err: errReported}
	}
	return nil
}

// specSummary says in one line how the document at path differs from the embedded openapi.yaml, for
// --spec: so that nobody runs against a drifted copy unknowingly.
func specSummary(ctx context.Context, path string) string {
	embedded, err := diff.Load(ctx, "the embedded openapi.yaml", lumamock.Document)
	if err != nil {
		return fmt.Sprintf("--spec %s: not compared with the embedded openapi.yaml: %v", path, err)
	}
	given, err := diff.Read(ctx, path, strings.NewReader(""))
	if err != nil {
		return fmt.Sprintf("--spec %s: not compared with the embedded openapi.yaml: %v", path, err)
	}
	report := diff.Compare(embedded, given)
	if len(report.Findings) == 0 {
		return fmt.Sprintf("--spec %s: the same contract as the embedded openapi.yaml", path)
	}
	return fmt.Sprintf("--spec %s differs from the embedded openapi.yaml: %s (lumamock diff for the list)", path, report.Summary())
}

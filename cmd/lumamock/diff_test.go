package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// changedCopy writes openapi.yaml with model_name required and a new TaskState (breaking), and a new optional
// request field (info), and returns its path.
func changedCopy(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile("../../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	for old, new := range map[string]string{
		"      required:\n        - user_prompt\n": "      required:\n        - user_prompt\n        - model_name\n",
		"        image_url:\n":                     "        seed:\n          type: integer\n          description: A seed.\n        image_url:\n",
	} {
		if !strings.Contains(text, old) {
			t.Fatalf("openapi.yaml has no %q", old)
		}
		text = strings.Replace(text, old, new, 1)
	}
	path := filepath.Join(t.TempDir(), "changed.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func runDiffArgs(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := runDiff(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String() + errText(err), exitCode(err, &errOut)
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestDiffCommand(t *testing.T) {
	changed := changedCopy(t)
	source, err := os.ReadFile("../../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		stdin string
		args  []string
		code  int
		want  []string // in stdout
		err   string   // in stderr
	}{
		{"identical", "", []string{"../../openapi.yaml", "../../openapi.yaml"}, 0, []string{"OK — no change"}, ""},
		{"breaking", "", []string{"../../openapi.yaml", changed}, 1, []string{"CHANGED — 1 breaking, 0 warning, 1 info", "BREAKING  request-property-required-added", "id: request-property-required-added#/components/schemas/GenerationRequest/properties/model_name"}, ""},
		{"flags after the arguments", "", []string{"../../openapi.yaml", changed, "--format", "json"}, 1, []string{`"rule": "request-property-required-added"`, `"verdict"`}, ""},
		{"reversed: only info fails on info", "", []string{"--fail-on", "info", changed, "../../openapi.yaml"}, 1, []string{"request-property-became-optional", "request-property-removed"}, ""},
		{"warning threshold, nothing at it", "", []string{"--fail-on=warning", "../../internal/apifox/testdata/luma-generations.apifox.txt", "../../internal/apifox/testdata/luma-generations.apifox.txt"}, 0, []string{"OK — no change"}, ""},
		{"stdin", string(source), []string{"-", "../../openapi.yaml"}, 0, []string{"lumamock diff - → ../../openapi.yaml: OK"}, ""},
		{"the source page shows only settled differences", "", []string{"../../openapi.yaml", "../../internal/apifox/testdata/luma-generations.apifox.txt", "--fail-on", "info"}, 0, []string{"OK — 0 breaking, 0 warning, 0 info; 3 known, settled"}, ""},
		{"github annotations", "", []string{"--format", "github", "../../openapi.yaml", changed}, 1, []string{"::error file=" + changed + ",line=", "title=breaking%3A request-property-required-added::"}, ""},
		{"help", "", []string{"--help"}, 0, nil, "Usage: lumamock diff [flags] BASE REVISION"},
		{"one argument", "", []string{"../../openapi.yaml"}, 2, nil, "want BASE and REVISION, got 1 argument(s)"},
		{"two stdins", "", []string{"-", "-"}, 2, nil, "only one side can be -"},
		{"missing file", "", []string{"../../openapi.yaml", "nope.yaml"}, 2, nil, "REVISION nope.yaml: open nope.yaml: no such file"},
		{"not a document", "", []string{"../../go.mod", "../../openapi.yaml"}, 2, nil, "BASE ../../go.mod: neither an OpenAPI document"},
		{"bad format", "", []string{"--format", "yaml", "a", "b"}, 2, nil, `--format "yaml"`},
		{"bad class", "", []string{"--fail-on", "major", "a", "b"}, 2, nil, `"major" is not a class`},
		{"missing baseline", "", []string{"--baseline", "nope.txt", "a", "b"}, 2, nil, "--baseline nope.txt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := runDiffArgs(t, tc.stdin, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
			if !strings.Contains(stderr, tc.err) {
				t.Errorf("stderr lacks %q:\n%s", tc.err, stderr)
			}
			if tc.code == 2 && strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
				t.Errorf("exit 2 with more than one line:\n%s", stderr)
			}
		})
	}
}

// TestDiffBaseline: the JSON report of a run, given as --baseline, accepts its findings, as check's does; a
// new change still fails.
func TestDiffBaseline(t *testing.T) {
	changed := changedCopy(t)
	dir := t.TempDir()
	report := filepath.Join(dir, "report.json")
	if _, stderr, code := runDiffArgs(t, "", "../../openapi.yaml", changed, "--format", "json", "--output", report); code != 1 || !strings.Contains(stderr, "(report in "+report+")") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	stdout, stderr, code := runDiffArgs(t, "", "--baseline", report, "../../openapi.yaml", changed)
	if code != 0 || !strings.Contains(stdout, "accepted by the baseline") {
		t.Fatalf("with the baseline: exit %d\n%s%s", code, stdout, stderr)
	}
	var parsed struct {
		Findings []struct{ ID string } `json:"findings"`
	}
	data, _ := os.ReadFile(report)
	if err := json.Unmarshal(data, &parsed); err != nil || len(parsed.Findings) != 2 {
		t.Fatalf("report: %v\n%s", err, data)
	}
	// One id per line accepts only that one: the other (info) does not fail on breaking.
	ids := filepath.Join(dir, "ids.txt")
	if err := os.WriteFile(ids, []byte("# known\n"+parsed.Findings[0].ID+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, code := runDiffArgs(t, "", "--baseline", ids, "../../openapi.yaml", changed); code != 0 {
		t.Errorf("ids baseline: exit %d", code)
	}
	if _, _, code := runDiffArgs(t, "", "--baseline", ids, "--fail-on", "info", "../../openapi.yaml", changed); code != 1 {
		t.Errorf("ids baseline, --fail-on info: exit %d, want 1 (the info change is not accepted)", code)
	}
}

// TestSpecSummary: --spec says, in one line, how the given document differs from the embedded one.
func TestSpecSummary(t *testing.T) {
	ctx := context.Background()
	if got := specSummary(ctx, "../../openapi.yaml"); !strings.Contains(got, "the same contract as the embedded openapi.yaml") {
		t.Errorf("same document: %q", got)
	}
	got := specSummary(ctx, changedCopy(t))
	if !strings.Contains(got, "differs from the embedded openapi.yaml: 1 breaking, 0 warning, 1 info") || strings.Contains(got, "\n") {
		t.Errorf("changed copy: %q", got)
	}
}

// TestSpecSummaryAtStart: serve --spec prints the summary before it serves, check --spec before it runs.
func TestSpecSummaryAtStart(t *testing.T) {
	changed := changedCopy(t)
	const want = "differs from the embedded openapi.yaml: 1 breaking, 0 warning, 1 info"

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--spec", changed}, stdout, stderr)
	}()
	for !listening.MatchString(stdout.String()) {
		select {
		case err := <-done:
			t.Fatalf("serve ended: %v\n%s", err, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	<-done
	out := stdout.String()
	if i := strings.Index(out, want); i < 0 || i > strings.Index(out, "serving") {
		t.Errorf("serve --spec: stdout lacks the summary before it serves:\n%s", out)
	}

	var checkOut, checkErr bytes.Buffer
	if err := Run(context.Background(), []string{"check", "--base-url", "http://127.0.0.1:1", "--dry-run", "--spec", changed}, &checkOut, &checkErr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(checkErr.String(), "--spec "+changed+" "+want) {
		t.Errorf("check --spec: stderr lacks the summary:\n%s", checkErr.String())
	}
}

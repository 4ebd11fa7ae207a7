//go:build unix

package recipes

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestContractDiffRecipe runs the recipe's steps in a repository whose pull request edits openapi.yaml: a
// breaking edit fails the job with an annotation on the changed line and the report in the job summary; an
// additive one passes; a baseline accepts a known change; a new openapi.yaml is skipped.
func TestContractDiffRecipe(t *testing.T) {
	bin := buildLumamock(t)
	w := load(t, "contract-diff.yml")
	compare := w.step(t, "diff", "Compare the contract")
	summary := w.step(t, "diff", "Post the report")

	original, err := os.ReadFile(filepath.Join("..", "..", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git("init", "-q", "-b", "main")
	write("README", "a service\n")
	git("add", "README")
	git("commit", "-q", "-m", "first")
	git("update-ref", "refs/remotes/origin/main", "HEAD")

	env := map[string]string{
		"PATH":                bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"SPEC":                w.Jobs["diff"].Env["SPEC"],
		"BASELINE":            w.Jobs["diff"].Env["BASELINE"],
		"BASE_REF":            "main",
		"GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary.md"),
	}

	// openapi.yaml is new in the pull request: nothing to compare.
	write("openapi.yaml", string(original))
	if out, code := run(t, dir, compare, env); code != 0 || !strings.Contains(out, "nothing to compare") {
		t.Fatalf("new openapi.yaml: exit %d\n%s", code, out)
	}
	git("add", "openapi.yaml")
	git("commit", "-q", "-m", "contract")
	git("update-ref", "refs/remotes/origin/main", "HEAD")

	// A breaking edit: model_name becomes required.
	breaking := strings.Replace(string(original), "      required:\n        - user_prompt\n", "      required:\n        - user_prompt\n        - model_name\n", 1)
	write("openapi.yaml", breaking)
	out, code := run(t, dir, compare, env)
	if code != 1 || !strings.Contains(out, "::error file=openapi.yaml,line=") || !strings.Contains(out, "request-property-required-added") {
		t.Fatalf("breaking edit: exit %d, want 1 with an annotation\n%s", code, out)
	}
	if out, code := run(t, dir, summary, env); code != 0 {
		t.Fatalf("summary step: exit %d\n%s", code, out)
	}
	posted, err := os.ReadFile(env["GITHUB_STEP_SUMMARY"])
	if err != nil || !strings.HasPrefix(string(posted), "## lumamock diff: CHANGED") {
		t.Fatalf("job summary (%v):\n%s", err, posted)
	}

	// The same change, accepted by a baseline: the job passes.
	if err := os.MkdirAll(filepath.Join(dir, ".github"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(env["BASELINE"], "# model_name is required from v2 on\nrequest-property-required-added#/components/schemas/GenerationRequest/properties/model_name\n")
	if out, code := run(t, dir, compare, env); code != 0 || !strings.Contains(out, "accepted") {
		t.Fatalf("accepted by the baseline: exit %d\n%s", code, out)
	}
	os.Remove(filepath.Join(dir, env["BASELINE"]))

	// An additive edit: a new optional field passes, with a notice.
	additive := strings.Replace(string(original), "        image_url:\n", "        seed:\n          type: integer\n          description: A seed.\n        image_url:\n", 1)
	write("openapi.yaml", additive)
	if out, code := run(t, dir, compare, env); code != 0 || !strings.Contains(out, "::notice file=openapi.yaml") {
		t.Fatalf("additive edit: exit %d, want 0 with a notice\n%s", code, out)
	}
}

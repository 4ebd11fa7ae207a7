//go:build unix

// Package recipes holds GitHub Actions workflows that use lumamock (the .yml files here). Its test runs their
// shell steps, as GitHub's runner would, against the lumamock binary built from this checkout. It is a module of
// its own, so that the main module's tests neither run it nor depend on a YAML parser.
package recipes

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v4"
)

type workflow struct {
	Jobs map[string]struct {
		Env      map[string]string `yaml:"env"`
		Services map[string]struct {
			Env map[string]string `yaml:"env"`
		} `yaml:"services"`
		Steps []struct {
			Name string            `yaml:"name"`
			Run  string            `yaml:"run"`
			Env  map[string]string `yaml:"env"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

func load(t *testing.T, file string) workflow {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var w workflow
	if err := yaml.Unmarshal(b, &w); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return w
}

// step returns the run script of job's step whose name starts with name.
func (w workflow) step(t *testing.T, job, name string) string {
	t.Helper()
	for _, s := range w.Jobs[job].Steps {
		if strings.HasPrefix(s.Name, name) && s.Run != "" {
			return s.Run
		}
	}
	t.Fatalf("no step %q with a run script in job %q", name, job)
	return ""
}

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// TestMain removes the binary buildLumamock built.
func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// buildLumamock builds the binary once and returns its directory, to put first on PATH.
func buildLumamock(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the lumamock binary")
	}
	buildOnce.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "lumamock-recipes-"); buildErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", filepath.Join(binDir, "lumamock"), "./cmd/lumamock")
		cmd.Dir = filepath.Join("..", "..") // this checkout
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binDir
}

// run runs script as a GitHub run step does (bash -e) in dir, with env added, and returns its output and exit
// code. Processes it leaves in the background are killed when the test ends.
func run(t *testing.T, dir, script string, env map[string]string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if cmd.Process != nil {
		pgid := cmd.Process.Pid
		t.Cleanup(func() { _ = syscall.Kill(-pgid, syscall.SIGTERM) })
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
		return out.String(), 0
	case errors.As(err, &exit):
		return out.String(), exit.ExitCode()
	default:
		t.Fatalf("bash: %v\n%s", err, out.String())
		return "", -1
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestDriftCheckRecipe(t *testing.T) {
	bin := buildLumamock(t)
	w := load(t, "drift-check.yml")
	check := w.step(t, "drift", "Check the live API")
	summary := w.step(t, "drift", "Post the report")

	// An API that has drifted from the document: every answer is 200 with an empty object.
	drifted := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{}`)
	}))
	defer drifted.Close()

	dir := t.TempDir()
	env := map[string]string{
		"PATH":                bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"BASELINE":            w.Jobs["drift"].Env["BASELINE"],
		"LUMA_BASE_URL":       drifted.URL,
		"LUMA_API_KEY":        "sk-recipe-test",
		"GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary.md"),
	}

	// No baseline: the drift fails the job, and the summary step posts the report.
	out, code := run(t, dir, check, env)
	if code != 1 {
		t.Fatalf("check against a drifted API, no baseline: exit %d, want 1\n%s", code, out)
	}
	if out, code := run(t, dir, summary, env); code != 0 {
		t.Fatalf("summary step: exit %d\n%s", code, out)
	}
	posted, err := os.ReadFile(env["GITHUB_STEP_SUMMARY"])
	if err != nil || !bytes.Contains(posted, []byte("DRIFT")) || !bytes.HasPrefix(posted, []byte("## ")) {
		t.Fatalf("job summary (%v):\n%s", err, posted)
	}
	if bytes.Contains(posted, []byte("sk-recipe-test")) {
		t.Fatal("the API key is in the job summary")
	}

	// A baseline accepting today's findings: the same drift passes; the report still lists it.
	var ids []string
	report, err := exec.Command(filepath.Join(bin, "lumamock"), "check", "--base-url", drifted.URL, "--api-key", "k", "--format", "json").Output()
	if len(report) == 0 {
		t.Fatalf("json report: %v", err)
	}
	var parsed struct {
		Findings []struct {
			ID string `json:"id"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(report, &parsed); err != nil {
		t.Fatalf("json report: %v\n%s", err, report)
	}
	for _, f := range parsed.Findings {
		ids = append(ids, f.ID)
	}
	if len(ids) == 0 {
		t.Fatalf("the drifted API produced no findings:\n%s", report)
	}
	baseline := filepath.Join(dir, env["BASELINE"])
	if err := os.MkdirAll(filepath.Dir(baseline), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(baseline, []byte("# accepted drift\n"+strings.Join(ids, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, code := run(t, dir, check, env); code != 0 {
		t.Fatalf("check with every finding accepted: exit %d, want 0\n%s", code, out)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "drift.md"))
	if !bytes.Contains(md, []byte("accepted")) {
		t.Errorf("report with a baseline does not mark the accepted findings:\n%s", md)
	}

	// An unreachable API: exit 2, the job fails.
	env["LUMA_BASE_URL"] = "http://" + freeAddr(t)
	if out, code := run(t, dir, check, env); code != 2 {
		t.Fatalf("check against nothing: exit %d, want 2\n%s", code, out)
	}
}

func TestMockTestsRecipe(t *testing.T) {
	bin := buildLumamock(t)
	w := load(t, "mock-tests.yml")
	path := bin + string(os.PathListSeparator) + os.Getenv("PATH")

	// (b) The binary started by the "Start the mock" step answers at LUMA_BASE_URL. The recipe's port 8080 is
	// swapped for a free one, so that the test does not depend on it.
	job := w.Jobs["with-binary"]
	addr := freeAddr(t)
	start := strings.ReplaceAll(w.step(t, "with-binary", "Start the mock"), "127.0.0.1:8080", addr)
	base := strings.ReplaceAll(job.Env["LUMA_BASE_URL"], "127.0.0.1:8080", addr)
	if base == job.Env["LUMA_BASE_URL"] {
		t.Fatalf("LUMA_BASE_URL %q does not name 127.0.0.1:8080, the address the recipe starts the mock on", base)
	}
	dir := t.TempDir()
	if out, code := run(t, dir, start, map[string]string{"PATH": path, "LUMA_BASE_URL": base}); code != 0 {
		t.Fatalf("start step: exit %d\n%s", code, out)
	}
	submit(t, base, job.Env["LUMA_API_KEY"])

	// (b) The coverage step writes a JUnit report of what the tests exercised: the submit above covers the
	// envelope shape, and the failed state was never seen.
	cov := w.step(t, "with-binary", "What the tests never exercised (coverage of the API by your client; add --min 100 to require all)")
	if out, code := run(t, dir, cov, map[string]string{"PATH": path, "LUMA_BASE_URL": base}); code != 0 {
		t.Fatalf("coverage step: exit %d\n%s", code, out)
	}
	report, err := os.ReadFile(filepath.Join(dir, "lumamock-coverage.xml"))
	if err != nil {
		t.Fatalf("the coverage step wrote no report: %v", err)
	}
	var suites struct {
		Suites []struct {
			Cases []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
				Skipped *struct{} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(report, &suites); err != nil {
		t.Fatalf("the coverage report is no JUnit XML: %v\n%s", err, report)
	}
	covered, missed := 0, 0
	for _, s := range suites.Suites {
		for _, c := range s.Cases {
			if c.Failure == nil && c.Skipped == nil {
				covered++
			} else {
				missed++
			}
		}
	}
	if covered == 0 || missed == 0 {
		t.Errorf("the coverage report after one submit: %d items covered, %d missed; want some of each\n%s", covered, missed, report)
	}

	// (a) The service container's settings are valid serve settings: the binary starts with them.
	svc := w.Jobs["with-service-container"].Services["lumamock"]
	if len(svc.Env) == 0 {
		t.Fatal("the service container sets no LUMAMOCK_ variables")
	}
	addr = freeAddr(t)
	env := map[string]string{"PATH": path}
	for k, v := range svc.Env {
		env[k] = v
	}
	env["LUMAMOCK_ADDR"] = addr
	if out, code := run(t, dir, `lumamock serve > svc.log 2>&1 &
curl --fail --silent --show-error --retry 30 --retry-delay 1 --retry-all-errors "http://$LUMAMOCK_ADDR/healthz"`, env); code != 0 {
		log, _ := os.ReadFile(filepath.Join(dir, "svc.log"))
		t.Fatalf("serve with the service container's environment: exit %d\n%s\n%s", code, out, log)
	}
	submit(t, "http://"+addr, w.Jobs["with-service-container"].Env["LUMA_API_KEY"])
}

// submit posts the API's example request to base and fails unless a pending task comes back.
func submit(t *testing.T, base, key string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/luma/generations", strings.NewReader(`{"user_prompt": "wind"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Data struct {
			TaskStatus string `json:"task_status"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK || body.Data.TaskStatus != "pending" {
		t.Fatalf("submit to %s: %d %+v %v", base, resp.StatusCode, body, err)
	}
}

// suiteTest is the test of one package of the module parallelSuites writes: it submits tasks through
// LUMA_BASE_URL and asks the admin API, in its session (LUMA_SESSION), for its tasks: only its own must be
// there, whatever the other packages do at the same time.
const suiteTest = `package PKG

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
)

func TestOwnSession(t *testing.T) {
	base, session := os.Getenv("LUMA_BASE_URL"), os.Getenv("LUMA_SESSION")
	mock := base[:strings.Index(base, "/__session/")]
	for range 5 {
		req, _ := http.NewRequest(http.MethodPost, base+"/luma/generations", strings.NewReader(` + "`" + `{"user_prompt":"PKG"}` + "`" + `))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+os.Getenv("LUMA_API_KEY"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("submit: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	resp, err := http.Get(mock + "/__mock/sessions/" + session + "/tasks")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tasks []struct{ Prompt string }
	if err := json.NewDecoder(resp.Body).Decode(&tasks); err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 5 {
		t.Fatalf("session %s keeps %d tasks, want its own 5", session, len(tasks))
	}
	for _, task := range tasks {
		if task.Prompt != "PKG" {
			t.Errorf("session %s shows a task of another suite: %q", session, task.Prompt)
		}
	}
}
`

func TestParallelSuitesRecipe(t *testing.T) {
	bin := buildLumamock(t)
	w := load(t, "mock-tests.yml")
	job := w.Jobs["parallel-suites"]
	svc := job.Services["lumamock"]
	path := bin + string(os.PathListSeparator) + os.Getenv("PATH")

	// The service container, as the binary with its environment, on a free port.
	dir := t.TempDir()
	addr := freeAddr(t)
	env := map[string]string{"PATH": path}
	for k, v := range svc.Env {
		env[k] = v
	}
	env["LUMAMOCK_ADDR"] = addr
	if out, code := run(t, dir, `lumamock serve > svc.log 2>&1 &
curl --fail --silent --show-error --retry 30 --retry-delay 1 --retry-all-errors "http://$LUMAMOCK_ADDR/healthz"`, env); code != 0 {
		t.Fatalf("serve with the service container's environment: exit %d\n%s", code, out)
	}

	// A module of four packages, each a suite, all run at once by the recipe's test step.
	mod := filepath.Join(dir, "app")
	pkgs := []string{"alpha", "beta", "gamma", "delta"}
	if err := os.MkdirAll(mod, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module example.com/app\n\ngo 1.25\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, pkg := range pkgs {
		if err := os.MkdirAll(filepath.Join(mod, pkg), 0o755); err != nil {
			t.Fatal(err)
		}
		src := strings.ReplaceAll(suiteTest, "PKG", pkg)
		if err := os.WriteFile(filepath.Join(mod, pkg, pkg+"_test.go"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	testEnv := map[string]string{"PATH": path, "LUMAMOCK_URL": "http://" + addr, "LUMA_API_KEY": job.Env["LUMA_API_KEY"],
		"GITHUB_RUN_ID": "4242", "GOFLAGS": "-count=1", "GOWORK": "off"}
	if job.Env["LUMAMOCK_URL"] != "http://localhost:8080" {
		t.Fatalf("LUMAMOCK_URL %q: the recipe's test step reaches the service container there", job.Env["LUMAMOCK_URL"])
	}
	out, code := run(t, mod, w.step(t, "parallel-suites", "Test, every package at once"), testEnv)
	if code != 0 {
		t.Fatalf("the parallel suites: exit %d\n%s", code, out)
	}

	// Four sessions, one per suite, named after the run.
	resp, err := http.Get("http://" + addr + "/__mock/sessions")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sessions []struct {
		Name  string
		Tasks int
	}
	if err := json.NewDecoder(resp.Body).Decode(&sessions); err != nil {
		t.Fatal(err)
	}
	if len(sessions) != len(pkgs) {
		t.Fatalf("sessions %+v, want one per suite", sessions)
	}
	for _, s := range sessions {
		if !strings.HasPrefix(s.Name, "run-4242-") || s.Tasks != 5 {
			t.Errorf("session %+v, want run-4242-… with 5 tasks", s)
		}
	}
	// The failure step lists each session's journals.
	if out, code := run(t, mod, w.step(t, "parallel-suites", "Every session's"), testEnv); code != 0 || strings.Count(out, "== run-4242-") != len(pkgs) {
		t.Errorf("the failure step: exit %d\n%s", code, out)
	}
}

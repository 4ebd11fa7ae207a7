package docs_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lumamock/lumamock/mock"
)

// Each client's timeout: a stalled answer's, and any other's (never reached but on a machine that stalls).
const (
	stallTimeout = 2 * time.Second
	otherTimeout = 30 * time.Second
)

// faultRow is one row of the table "What a client sees" of docs/failure-modes.md.
type faultRow struct {
	line              int
	fault             string // the first cell, without its backquotes
	goSees, nodeSees  string
	pythonSees, askBy string
}

var codeSpanRE = regexp.MustCompile("`([^`]+)`")

// faultTable reads the rows of the table under "### What a client sees".
func faultTable(t *testing.T) []faultRow {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "docs", "failure-modes.md"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	var rows []faultRow
	in := false
	for i, line := range lines {
		switch {
		case strings.HasPrefix(line, "### What a client sees"):
			in = true
		case in && strings.HasPrefix(line, "#"):
			in = false
		case in && strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "| fault |"):
			cells := strings.Split(strings.Trim(line, "| "), " | ")
			if len(cells) != 5 {
				t.Fatalf("docs/failure-modes.md:%d: %d cells, want 5 (fault, ask with, Go, Node, Python)", i+1, len(cells))
			}
			rows = append(rows, faultRow{line: i + 1, fault: strings.Trim(cells[0], "`"), askBy: cells[1],
				goSees: cells[2], nodeSees: cells[3], pythonSees: cells[4]})
		}
	}
	if len(rows) == 0 {
		t.Fatal(`docs/failure-modes.md has no table under "### What a client sees"`)
	}
	return rows
}

// shows checks that every code span of cell is in observed, in order, each "…" matching any text.
func shows(cell, observed string) error {
	rest := observed
	for _, m := range codeSpanRE.FindAllStringSubmatch(cell, -1) {
		i := findGlob(m[1], rest)
		if i < 0 {
			return fmt.Errorf("%q is not in what the client reported (after what matched before): %q", m[1], observed)
		}
		rest = rest[i:]
	}
	return nil
}

// findGlob returns where, in s, the end of the first match of pattern is, "…" matching any text, or -1.
func findGlob(pattern, s string) int {
	at := 0
	for _, part := range strings.Split(pattern, ellipsis) {
		i := strings.Index(s[at:], part)
		if i < 0 {
			return -1
		}
		at += i + len(part)
	}
	return at
}

// setup is the mock options and the request (its Prefer header, how many times it is sent) a row needs.
func (r faultRow) setup(t *testing.T) (opts mock.Options, prefer string, count int) {
	switch {
	case r.fault == "rate limit":
		return mock.Options{RateLimit: mock.RateLimit{Requests: 1, Per: time.Minute}}, "", 2
	case r.fault == "503":
		return mock.Options{}, "code=503", 1
	}
	for _, f := range mock.ConnectionFaults() {
		if f == r.fault {
			return mock.Options{StallLimit: time.Hour}, "fault=" + f, 1
		}
	}
	t.Fatalf("docs/failure-modes.md:%d: %q is no fault the test knows how to ask for", r.line, r.fault)
	return
}

// serve starts a mock with opts for the test.
func serve(t *testing.T, opts mock.Options) string {
	t.Helper()
	m, err := mock.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(m)
	t.Cleanup(func() { ts.Close(); m.Close() })
	return ts.URL
}

// TestFailureModesTable walks the table "What a client sees" of docs/failure-modes.md: for each fault, Go's
// net/http, Node's fetch and Python's requests are each sent the request that asks for it, and what each
// reports must hold every code span of its cell. Node's and Python's columns are skipped when node, or
// python3 with requests, is not installed.
func TestFailureModesTable(t *testing.T) {
	if testing.Short() {
		t.Skip("runs node and python3 against the mock")
	}
	dir := t.TempDir()
	nodeProbe, pythonProbe := filepath.Join(dir, "probe.mjs"), filepath.Join(dir, "probe.py")
	if err := os.WriteFile(nodeProbe, []byte(nodeProbeSource), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pythonProbe, []byte(pythonProbeSource), 0o644); err != nil {
		t.Fatal(err)
	}
	node, nodeErr := exec.LookPath("node")
	python, pythonErr := exec.LookPath("python3")
	if pythonErr == nil {
		if out, err := exec.Command(python, "-c", "import requests").CombinedOutput(); err != nil {
			pythonErr = fmt.Errorf("python3 cannot import requests: %s", strings.TrimSpace(string(out)))
		}
	}
	for _, row := range faultTable(t) {
		t.Run(row.fault, func(t *testing.T) {
			opts, prefer, count := row.setup(t)
			timeout := otherTimeout
			if row.fault == mock.FaultStall {
				timeout = stallTimeout
			}
			if !strings.Contains(row.askBy, "`--fault-api") && !strings.Contains(row.askBy, "`--rate-limit") {
				t.Errorf("docs/failure-modes.md:%d: the row does not say which flag asks for it", row.line)
			}
			t.Run("go", func(t *testing.T) {
				got := goSees(t, serve(t, opts), prefer, count, timeout)
				if row.fault == mock.FaultStall { // and a client without a timeout, at the server's limit
					short := opts
					short.StallLimit = 50 * time.Millisecond
					got += "; a client without one gets " + goSees(t, serve(t, short), prefer, 1, 0) + " at --stall-limit"
				}
				if err := shows(row.goSees, got); err != nil {
					t.Errorf("docs/failure-modes.md:%d, Go: %v", row.line, err)
				}
			})
			t.Run("node", func(t *testing.T) {
				if nodeErr != nil {
					t.Skipf("node is not installed: %v", nodeErr)
				}
				got := probe(t, node, nodeProbe, serve(t, opts), prefer, count, timeout)
				if err := shows(row.nodeSees, got); err != nil {
					t.Errorf("docs/failure-modes.md:%d, Node: %v", row.line, err)
				}
			})
			t.Run("python", func(t *testing.T) {
				if pythonErr != nil {
					t.Skipf("python3 with requests is not installed: %v", pythonErr)
				}
				got := probe(t, python, pythonProbe, serve(t, opts), prefer, count, timeout)
				if err := shows(row.pythonSees, got); err != nil {
					t.Errorf("docs/failure-modes.md:%d, Python: %v", row.line, err)
				}
			})
		})
	}
}

// goSees sends count submissions to base with prefer, with timeout (0: none), and says what Go's client
// reported of the last, in the table's words.
func goSees(t *testing.T, base, prefer string, count int, timeout time.Duration) string {
	t.Helper()
	client := &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
	var out string
	for range count {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, base+"/luma/generations", strings.NewReader(`{"user_prompt":"wind"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer any-key")
		if prefer != "" {
			req.Header.Set("Prefer", prefer)
		}
		resp, err := client.Do(req)
		if err != nil {
			out = "Do fails: " + err.Error()
			continue
		}
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case err != nil && client.Timeout > 0 && strings.Contains(err.Error(), "Timeout"):
			out = fmt.Sprintf("status %d, then the client's timeout while reading the body: %v", resp.StatusCode, err)
		case err != nil:
			out = fmt.Sprintf("status %d, then reading the body fails: %v", resp.StatusCode, err)
		default:
			out = fmt.Sprintf("status %d, Retry-After: %s", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
	return out
}

// probe runs a probe script with interpreter against base and returns what it printed.
func probe(t *testing.T, interpreter, script, base, prefer string, count int, timeout time.Duration) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*otherTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, interpreter, script, base, prefer, fmt.Sprint(count), fmt.Sprint(timeout.Milliseconds())).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", interpreter, script, err, out)
	}
	return strings.TrimSpace(string(out))
}

// nodeProbeSource sends COUNT submissions to BASE with PREFER and prints what fetch reported of the last.
const nodeProbeSource = `const [base, prefer, count, timeoutMS] = process.argv.slice(2);
const cause = (err) => err.cause ? ", cause " + (err.cause.code || err.cause.name) + ": " + err.cause.message : "";
let out = "";
for (let i = 0; i < Number(count); i++) {
  const headers = { "Content-Type": "application/json", Authorization: "Bearer any-key" };
  if (prefer) headers.Prefer = prefer;
  let res;
  try {
    res = await fetch(base + "/luma/generations", { method: "POST", headers, body: JSON.stringify({ user_prompt: "wind" }),
      signal: AbortSignal.timeout(Number(timeoutMS)) });
  } catch (err) {
    out = "fetch rejects: " + err.name + ": " + err.message + cause(err);
    continue;
  }
  try {
    await res.text();
    out = "status " + res.status + ", Retry-After: " + res.headers.get("retry-after");
  } catch (err) {
    out = err.name === "TimeoutError"
      ? "status " + res.status + ", then with AbortSignal.timeout: " + err.name + ": " + err.message
      : "status " + res.status + ", then res.text() rejects: " + err.name + ": " + err.message + cause(err);
  }
}
console.log(out);
`

// pythonProbeSource sends COUNT submissions to BASE with PREFER and prints what requests reported of the last.
const pythonProbeSource = `import sys, requests
base, prefer, count, timeout_ms = sys.argv[1:]
out = ""
for _ in range(int(count)):
    headers = {"Authorization": "Bearer any-key"}
    if prefer:
        headers["Prefer"] = prefer
    try:
        r = requests.post(base + "/luma/generations", json={"user_prompt": "wind"}, headers=headers, timeout=int(timeout_ms) / 1000)
    except requests.exceptions.RequestException as e:
        name = type(e).__module__ + "." + type(e).__name__
        out = ("with timeout=: " if "timed out" in str(e) else "") + name + ": " + str(e)
        continue
    out = "status %d, Retry-After: %s" % (r.status_code, r.headers.get("Retry-After"))
    try:
        r.raise_for_status()
    except requests.exceptions.HTTPError:
        out += " (raise_for_status() raises HTTPError)"
print(out)
`

//go:build unix

package docs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// TestMain removes the binary lumamockBin built.
func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// lumamockBin builds the lumamock binary of this checkout once, next to a jq that refuses to run, and returns
// their directory, to put first on PATH.
func lumamockBin(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "lumamock-docs-"); buildErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", filepath.Join(binDir, "lumamock"), "./cmd/lumamock")
		cmd.Dir = repoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		jq := "#!/bin/sh\necho 'jq: the examples must not need jq, which users may not have: rewrite the example, or mark it skip with the reason' >&2\nexit 127\n"
		buildErr = os.WriteFile(filepath.Join(binDir, "jq"), []byte(jq), 0o755)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binDir
}

// TestShellExamples runs the commands of every page, as the package doc says.
func TestShellExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the documentation's commands against the built binary")
	}
	bin := lumamockBin(t)
	for _, page := range pages(t) {
		blocks, err := parsePage(page)
		if err != nil {
			t.Error(err)
			continue
		}
		t.Run(strings.TrimSuffix(filepath.Base(page), ".md"), func(t *testing.T) {
			t.Parallel()
			runPage(t, bin, blocks)
		})
	}
}

var (
	loopbackPortRE = regexp.MustCompile(`\b(127\.0\.0\.1|localhost|\[::1\]):([0-9]{2,5})\b`)
	urlRE          = regexp.MustCompile(`\bhttps?://[^\s'"\\)<>]+`)
)

// session is what the blocks of one page share: the scratch directory, the ports and the servers.
type session struct {
	t       *testing.T
	dir     string
	clone   string // the clone of the repository checkout blocks run in, once made
	env     []string
	ports   map[string]string // the port an example names → the free port that stands for it
	servers []*server
}

// server is a background block's process.
type server struct {
	b      *block
	cmd    *exec.Cmd
	stdout string // file
	stderr string // file
	done   chan struct{}
}

func runPage(t *testing.T, bin string, blocks []*block) {
	s := &session{t: t, dir: t.TempDir(), ports: map[string]string{}}
	s.env = []string{
		"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"LUMAMOCK_ADDR=127.0.0.1:" + s.port("8080"),
		"LUMAMOCK_LISTEN=127.0.0.1:" + s.port("9000"),
		"GOBIN=" + filepath.Join(s.dir, ".gobin"), // a go install writes nothing outside the scratch directory
	}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case name == "PATH", name == "GOBIN", strings.HasPrefix(name, "LUMAMOCK_"), strings.HasPrefix(name, "LUMA_"):
		default:
			s.env = append(s.env, kv)
		}
	}
	t.Cleanup(s.stopServers)
	ran := 0
	for _, b := range blocks {
		if !b.shell() || b.skip != "" {
			continue
		}
		if u := s.remote(b.text); u != "" {
			t.Fatalf("%s: the example reaches %s: examples that run reach loopback addresses only (mark it <!-- test: skip: REASON --> if it needs a live API)", b, u)
		}
		ran++
		if b.background {
			s.start(b)
			continue
		}
		s.run(b)
	}
	for _, srv := range s.servers {
		if srv.b.output != nil {
			s.waitOutput(srv)
		}
	}
	if ran == 0 {
		t.Skip("no command to run on this page")
	}
}

// port returns the free port standing for the port p an example names.
func (s *session) port(p string) string {
	if free, ok := s.ports[p]; ok {
		return free
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.t.Fatal(err)
	}
	defer ln.Close()
	free := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	s.ports[p] = free
	return free
}

// rewrite moves the loopback ports text names to the page's free ports.
func (s *session) rewrite(text string) string {
	return loopbackPortRE.ReplaceAllStringFunc(text, func(m string) string {
		sub := loopbackPortRE.FindStringSubmatch(m)
		return sub[1] + ":" + s.port(sub[2])
	})
}

// remote returns the first URL of text that is not on a loopback host, "" when there is none.
func (s *session) remote(text string) string {
	for _, raw := range urlRE.FindAllString(text, -1) {
		u, err := url.Parse(raw)
		if err != nil {
			return raw
		}
		host := u.Hostname()
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return raw
		}
	}
	return ""
}

// checkout returns the page's clone of the repository at HEAD, cloning it the first time.
func (s *session) checkout(b *block) string {
	if s.clone != "" {
		return s.clone
	}
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		s.t.Fatal(err)
	}
	clone := filepath.Join(s.dir, "lumamock")
	if out, err := exec.Command("git", "clone", "--quiet", "--shared", root, clone).CombinedOutput(); err != nil {
		s.t.Fatalf("%s: a checkout block runs in a clone of the repository, and git clone failed: %v\n%s", b, err, out)
	}
	s.clone = clone
	return clone
}

// command prepares b's script to run in bash, in its own process group.
func (s *session) command(ctx context.Context, b *block) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", s.rewrite(b.text))
	cmd.Dir = s.dir
	if b.checkout {
		cmd.Dir = s.checkout(b)
	}
	cmd.Env = s.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// files opens the files a block's output goes to (files, not pipes: a process the block leaves running must
// not hold the test up).
func (s *session) files(b *block) (stdout, stderr *os.File) {
	name := fmt.Sprintf("%s.%d", strings.NewReplacer("/", "_", ".", "_").Replace(b.page), b.line)
	var err error
	if stdout, err = os.CreateTemp("", name+".out"); err != nil {
		s.t.Fatal(err)
	}
	if stderr, err = os.CreateTemp("", name+".err"); err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { os.Remove(stdout.Name()); os.Remove(stderr.Name()) })
	return stdout, stderr
}

// run runs a command block to its end and checks its exit status and output.
func (s *session) run(b *block) {
	t := s.t
	ctx, cancel := context.WithTimeout(context.Background(), b.timeout)
	defer cancel()
	cmd := s.command(ctx, b)
	stdout, stderr := s.files(b)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	stdout.Close()
	stderr.Close()
	pgid := cmd.Process.Pid
	// What the block left running (a server started with &) is stopped with the page's servers.
	t.Cleanup(func() { _ = syscall.Kill(-pgid, syscall.SIGTERM) })
	out, _ := os.ReadFile(stdout.Name())
	errOut, _ := os.ReadFile(stderr.Name())
	code := 0
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("%s: the block did not end within %v (a server? mark it <!-- test: background -->)\n%s", b, b.timeout, s.report(b, out, errOut))
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v", b, err)
	}
	if code != b.exit {
		t.Fatalf("%s: the block exited with status %d, want %d\n%s", b, code, b.exit, s.report(b, out, errOut))
	}
	if b.output != nil {
		if err := matchOutput(b.output.lang, s.rewrite(b.output.text), string(out)); err != nil {
			t.Fatalf("%s: the output is not what %s shows: %v\n%s", b, b.output, err, s.report(b, out, errOut))
		}
	}
}

// start starts a background block and waits until it prints its first line.
func (s *session) start(b *block) {
	t := s.t
	cmd := s.command(context.Background(), b)
	stdout, stderr := s.files(b)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	srv := &server{b: b, cmd: cmd, stdout: stdout.Name(), stderr: stderr.Name(), done: make(chan struct{})}
	s.servers = append(s.servers, srv)
	go func() {
		_ = cmd.Wait()
		stdout.Close()
		stderr.Close()
		close(srv.done)
	}()
	ready := func() bool {
		out, _ := os.ReadFile(srv.stdout)
		return bytes.Contains(out, []byte("\n"))
	}
	if !waitUntil(20*time.Second, srv.done, ready) {
		out, _ := os.ReadFile(srv.stdout)
		errOut, _ := os.ReadFile(srv.stderr)
		select {
		case <-srv.done:
			t.Fatalf("%s: the background block ended (%v) before it printed a line\n%s", b, cmd.ProcessState, s.report(b, out, errOut))
		default:
			t.Fatalf("%s: the background block printed no line on stdout within 20s (a background block is ready once it does)\n%s", b, s.report(b, out, errOut))
		}
	}
}

// waitUntil polls cond (the output of another process, which sends no event) until it holds, done is closed
// or limit passes, and reports whether it held.
func waitUntil(limit time.Duration, done <-chan struct{}, cond func() bool) bool {
	deadline := time.After(limit)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if cond() {
			return true
		}
		select {
		case <-done:
			return cond()
		case <-deadline:
			return cond()
		case <-tick.C:
		}
	}
}

// waitOutput waits up to 20 s for a background block's output to match the block shown after it.
func (s *session) waitOutput(srv *server) {
	want := s.rewrite(srv.b.output.text)
	matches := func() bool {
		out, _ := os.ReadFile(srv.stdout)
		return matchOutput(srv.b.output.lang, want, string(out)) == nil
	}
	if !waitUntil(20*time.Second, srv.done, matches) {
		out, _ := os.ReadFile(srv.stdout)
		errOut, _ := os.ReadFile(srv.stderr)
		err := matchOutput(srv.b.output.lang, want, string(out))
		s.t.Fatalf("%s: within 20s, the background block's output is not what %s shows: %v\n%s", srv.b, srv.b.output, err, s.report(srv.b, out, errOut))
	}
}

func (s *session) stopServers() {
	for _, srv := range s.servers {
		_ = syscall.Kill(-srv.cmd.Process.Pid, syscall.SIGTERM)
	}
	for _, srv := range s.servers {
		select {
		case <-srv.done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-srv.cmd.Process.Pid, syscall.SIGKILL)
			<-srv.done
		}
	}
}

// report shows what ran and what it printed.
func (s *session) report(b *block, stdout, stderr []byte) string {
	var servers strings.Builder
	for _, srv := range s.servers {
		if srv.b == b {
			continue
		}
		out, _ := os.ReadFile(srv.stdout)
		errOut, _ := os.ReadFile(srv.stderr)
		fmt.Fprintf(&servers, "--- background %s: stdout\n%s--- stderr\n%s", srv.b, tail(out), tail(errOut))
	}
	return fmt.Sprintf("--- script (ports moved: %v)\n%s--- stdout\n%s\n--- stderr\n%s\n%s", s.ports, s.rewrite(b.text), tail(stdout), tail(stderr), servers.String())
}

func tail(b []byte) string {
	const max = 4000
	if len(b) > max {
		return "…" + string(b[len(b)-max:])
	}
	return string(b)
}

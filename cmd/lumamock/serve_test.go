package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
)

// syncBuffer is a bytes.Buffer safe for a server goroutine writing and a test reading; a test can wait for
// what it expects to be written (await).
type syncBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed at the next write; nil until a reader waits
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.changed != nil {
		close(b.changed)
		b.changed = nil
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// awaitLimit bounds a wait for output, which comes at once: only a broken command makes a test wait that long.
const awaitLimit = 10 * time.Second

// await waits until what was written satisfies ok, and returns it; it gives up when exited is closed (the
// command ended) or after awaitLimit, returning what was written and false.
func (b *syncBuffer) await(exited <-chan struct{}, ok func(string) bool) (string, bool) {
	limit := time.NewTimer(awaitLimit)
	defer limit.Stop()
	for {
		b.mu.Lock()
		out := b.buf.String()
		if b.changed == nil {
			b.changed = make(chan struct{})
		}
		changed := b.changed
		b.mu.Unlock()
		if ok(out) {
			return out, true
		}
		select {
		case <-changed:
		case <-exited:
			out = b.String()
			return out, ok(out)
		case <-limit.C:
			return out, false
		}
	}
}

var listening = regexp.MustCompile(`on (http://\S+) `)

// startServe runs "lumamock serve args..." on a free loopback port and returns its base URL, its stderr, and a
// stop function that shuts it down and returns Run's error.
func startServe(t *testing.T, env map[string]string, args ...string) (string, *syncBuffer, func() error) {
	t.Helper()
	return startCommand(t, env, "serve", listening, args...)
}

// startCommand runs "lumamock command --addr 127.0.0.1:0 args..." until ready matches its stdout, and returns
// the URL ready captured, its stderr, and a stop function that cancels it and returns Run's error.
func startCommand(t *testing.T, env map[string]string, command string, ready *regexp.Regexp, args ...string) (string, *syncBuffer, func() error) {
	t.Helper()
	setEnv(t, env)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	exited := make(chan struct{})
	go func() {
		done <- Run(ctx, append([]string{command, "--addr", "127.0.0.1:0"}, args...), stdout, stderr)
		close(exited)
	}()
	stop := func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			t.Fatalf("%s did not stop within 10s of cancellation", command)
			return nil
		}
	}
	out, ok := stdout.await(exited, ready.MatchString)
	if !ok {
		select {
		case <-exited:
			t.Fatalf("%s exited early: %v\nstderr: %s", command, <-done, stderr)
		default:
		}
		t.Fatalf("%s did not report its address; stdout %q stderr %q", command, out, stderr)
	}
	return ready.FindStringSubmatch(out)[1], stderr, stop
}

// runCLI runs lumamock with args and env (bounded to five seconds) and returns its exit code, all it printed
// and its error.
func runCLI(t *testing.T, env map[string]string, args ...string) (code int, out string, err error) {
	t.Helper()
	setEnv(t, env)
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = Run(ctx, args, &stdout, &stderr)
	code = exitCode(err, &stderr)
	return code, stdout.String() + stderr.String(), err
}

func setEnv(t *testing.T, env map[string]string) {
	t.Helper()
	old := lookupEnv
	lookupEnv = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	t.Cleanup(func() { lookupEnv = old })
}

func post(t *testing.T, url, key, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url+lumamock.PathGenerations, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

const example = `{"user_prompt": "wind", "model_name": "ray-v2", "duration": "5s", "resolution": "720p"}`

func TestServeAnswersAndShutsDownGracefully(t *testing.T) {
	url, stderr, stop := startServe(t, nil, "--api-key", "secret-key-123", "--log-format", "json")
	status, body := post(t, url, "secret-key-123", example)
	if status != 200 || !strings.Contains(body, `"task_status":"pending"`) {
		t.Fatalf("POST: %d %s", status, body)
	}
	if status, _ := post(t, url, "wrong-key-456", example); status != 401 {
		t.Errorf("wrong key: %d, want 401", status)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run after shutdown: %v", err)
	}
	logs := stderr.String()
	if !strings.Contains(logs, `"status":200`) || !strings.Contains(logs, `"status":401`) {
		t.Errorf("request logs missing:\n%s", logs)
	}
	for _, secret := range []string{"secret-key-123", "wrong-key-456"} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain the API key %q:\n%s", secret, logs)
		}
	}
}

func TestServeFlagsFromEnvironment(t *testing.T) {
	url, _, stop := startServe(t, map[string]string{"LUMAMOCK_SCHEMA": "luma", "LUMAMOCK_API_KEY": "k1,k2"})
	defer stop()
	for _, key := range []string{"k1", "k2"} {
		status, body := post(t, url, key, example)
		if status != 200 || !strings.Contains(body, `"state":"pending"`) {
			t.Errorf("key %s: %d %s, want a luma-shaped 200", key, status, body)
		}
	}
	if status, _ := post(t, url, "k3", example); status != 401 {
		t.Errorf("key k3: %d, want 401", status)
	}
}

func TestServeFlagBeatsEnvironment(t *testing.T) {
	url, _, stop := startServe(t, map[string]string{"LUMAMOCK_SCHEMA": "luma"}, "--schema", "envelope")
	defer stop()
	if _, body := post(t, url, "any", example); !strings.Contains(body, `"task_status"`) {
		t.Errorf("want the envelope (flag) over luma (env): %s", body)
	}
}

func TestRunUsageAndErrors(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantCode int    // 0 for a nil error
		wantOut  string // in stdout or stderr
	}{
		{"version flag", []string{"--version"}, nil, 0, "lumamock " + lumamock.Version},
		{"version command", []string{"version"}, nil, 0, "lumamock " + lumamock.Version},
		{"help", []string{"serve", "--help"}, nil, 0, "-pending"},
		{"help mentions env", []string{"--help"}, nil, 0, "LUMAMOCK_"},
		{"top-level help", []string{"help"}, nil, 0, "lumamock check"},
		{"unknown command", []string{"frobnicate"}, nil, 2, "unknown command"},
		{"unknown flag", []string{"--nope"}, nil, 2, "flag provided but not defined"},
		{"bad schema", []string{"--schema", "xml"}, nil, 2, "--schema"},
		{"bad outcome", []string{"--outcome", "exploded"}, nil, 2, "--outcome"},
		{"bad log format", []string{"--log-format", "xml"}, nil, 2, "--log-format"},
		{"bad max-body", []string{"--max-body", "lots"}, nil, 2, "max-body"},
		{"bad journal-max-bytes", []string{"--journal-max-bytes", "lots"}, nil, 2, "journal-max-bytes"},
		{"journal-max-bytes zero", []string{"--journal-max-bytes", "0"}, nil, 2, "journal-max-bytes"},
		{"help names journal-max-bytes", []string{"serve", "--help"}, nil, 0, "-journal-max-bytes"},
		{"bad env", nil, map[string]string{"LUMAMOCK_PENDING": "soon"}, 2, "LUMAMOCK_PENDING"},
		{"stray argument", []string{"serve", "extra"}, nil, 2, "unexpected argument"},
		{"max-tasks zero", []string{"--max-tasks", "0"}, nil, 2, "--max-tasks"},
		{"negative drain", []string{"--drain", "-1s"}, nil, 2, "--drain"},
		{"fault-drop pending", []string{"--fault-drop", "pending"}, nil, 2, "--fault-drop"},
		{"bad delay", []string{"--delay", "lognormal(median=200ms)"}, nil, 2, `invalid value "lognormal(median=200ms)" for flag -delay: "lognormal(median=200ms)" is not a latency: sigma is required`},
		{"bad delay from env", nil, map[string]string{"LUMAMOCK_DELAY": "900ms..100ms"}, 2, "LUMAMOCK_DELAY"},
		{"help names delay", []string{"serve", "--help"}, nil, 0, "-delay latency"},
		{"bad fault-api", []string{"--fault-api", "explode:5%"}, nil, 2, `invalid value "explode:5%" for flag -fault-api: "explode:5%": unknown fault "explode"`},
		{"fault-api without a share", []string{"--fault-api", "reset"}, nil, 2, "flag -fault-api"},
		{"fault-api over 100%", []string{"--fault-api", "reset:60%", "--fault-api", "503:50%"}, nil, 2, "--fault-api reset:60%,503:50%: the shares add up to 110%"},
		{"fault-api over 100% from env", nil, map[string]string{"LUMAMOCK_FAULT_API": "reset:60%,503:50%"}, 2, "the shares add up to 110%"},
		{"fault-api status not documented", []string{"--fault-api", "418:5%"}, nil, 2, "--fault-api 418:5%: no operation of the document answers 418"},
		{"bad rate-limit", []string{"--rate-limit", "10/h"}, nil, 2, `invalid value "10/h" for flag -rate-limit: "10/h": the unit "h" is not s (a second) or m (a minute)`},
		{"rate-limit zero", []string{"--rate-limit", "0/s"}, nil, 2, "flag -rate-limit"},
		{"bad rate-limit from env", nil, map[string]string{"LUMAMOCK_RATE_LIMIT": "many"}, 2, "LUMAMOCK_RATE_LIMIT"},
		{"negative capacity", []string{"--capacity", "-1"}, nil, 2, "--capacity -1: must not be negative"},
		{"capacity not a number", []string{"--capacity", "two"}, nil, 2, "flag -capacity"},
		{"stall-limit zero", []string{"--stall-limit", "0s"}, nil, 2, "--stall-limit 0s: must be positive"},
		{"max-sessions zero is named alone", []string{"--max-sessions", "0"}, nil, 2, "lumamock: --max-sessions 0: must be positive\n"},
		{"journal-size zero is named alone", []string{"--journal-size", "0"}, nil, 2, "lumamock: --journal-size 0: must be positive\n"},
		{"callback-workers negative is named alone", []string{"--callback-workers", "-2"}, nil, 2, "lumamock: --callback-workers -2: must be positive\n"},
		{"callback-timeout zero is named alone", []string{"--callback-timeout", "0s"}, nil, 2, "lumamock: --callback-timeout 0s: must be positive\n"},
		{"callback-retries negative is named alone", []string{"--callback-retries", "-1"}, nil, 2, "lumamock: --callback-retries -1: must not be negative\n"},
		{"processing negative is named alone", []string{"--processing", "-1s"}, nil, 2, "lumamock: --processing -1s: must not be negative\n"},
		{"poll-after-end zero is named alone", []string{"--poll-after-end", "0"}, nil, 2, "lumamock: --poll-after-end 0: must be positive\n"},
		{"pending over a day", []string{"--pending", "25h"}, nil, 2, "lumamock: --pending 25h0m0s: at most 24h0m0s (a session's settings take no more)"},
		{"processing over a day", []string{"--processing", "48h"}, nil, 2, "lumamock: --processing 48h0m0s: at most 24h0m0s"},
		{"fault-late over a day", []string{"--fault-late", "25h"}, nil, 2, "lumamock: --fault-late 25h0m0s: at most 24h0m0s"},
		{"check version", []string{"check", "--version"}, nil, 0, "lumamock " + lumamock.Version},
		{"proxy version", []string{"proxy", "--version"}, nil, 0, "lumamock " + lumamock.Version},
		{"missing spec", []string{"--spec", "/nonexistent/openapi.yaml"}, nil, 2, "--spec"},
		{"bad address", []string{"--addr", "256.0.0.1:1"}, nil, 2, "listen"},
		{"help of a command", []string{"help", "check"}, nil, 0, "Usage: lumamock check"},
		{"bad flag points to --help", []string{"--max-body", "1kb"}, nil, 2, `Run "lumamock serve --help" for the flags.`},
		{"bad env says what it wants", nil, map[string]string{"LUMAMOCK_PENDING": "abc"}, 2, "want a duration"},
		{"bad env bool", nil, map[string]string{"LUMAMOCK_FAULT_REORDER": "yes"}, 2, "want true or false"},
		{"fault-duplicate over the bound", []string{"--fault-duplicate", "11"}, nil, 2, "--fault-duplicate 11: want 0 to 10"},
		{"stray argument names the command once", []string{"check", "extra"}, nil, 2, `lumamock: check: unexpected argument "extra"`},
		{"check names the negative flag", []string{"check", "--base-url", "http://127.0.0.1:1", "--api-key", "k", "--billable", "-1"}, nil, 2, "--billable must not be negative"},
		{"hooks refuses an interim status", []string{"hooks", "--status", "100"}, nil, 2, "want a final HTTP status"},
		{"placeholders say what a flag takes", []string{"serve", "--help"}, nil, 0, "-pending time"},
		{"proxy hook-url without relay", []string{"proxy", "--upstream", "http://127.0.0.1:1", "--hook-url", "http://127.0.0.1:2"}, nil, 2, "--hook-url needs --hook-relay"},
		{"proxy journal-max-bytes zero", []string{"proxy", "--upstream", "http://127.0.0.1:1", "--journal-max-bytes", "0"}, nil, 2, "journal-max-bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, err := runCLI(t, tt.env, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d (err %v)", code, tt.wantCode, err)
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("output does not contain %q:\n%s", tt.wantOut, out)
			}
			if tt.wantCode == 2 && strings.Contains(out, "Flags:") {
				t.Errorf("an error printed the whole usage:\n%s", out)
			}
			var exit *ExitError
			if tt.wantCode == 2 && !errors.As(err, &exit) {
				t.Errorf("err %v is not an *ExitError", err)
			}
		})
	}
}

func TestParseBytes(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"20MiB", 20 << 20, true}, {"512KiB", 512 << 10, true}, {"1GiB", 1 << 30, true}, {"1MB", 1e6, true},
		{"1048576", 1 << 20, true}, {"10 MiB", 10 << 20, true}, {"0", 0, false}, {"-1MiB", 0, false},
		{"lots", 0, false}, {"", 0, false}, {"99999999999GiB", 0, false},
	}
	for _, tt := range tests {
		got, err := parseBytes(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if tt.ok && formatBytes(got) != strings.ReplaceAll(tt.in, " ", "") && tt.in != "1MB" && tt.in != "1048576" {
			t.Errorf("formatBytes(%d) = %q, want %q", got, formatBytes(got), tt.in)
		}
	}
}

func TestServeJournalMaxBytesReachesTheMock(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want int64
	}{
		{"default", nil, nil, mock.DefaultJournalMaxBytes},
		{"flag", []string{"--journal-max-bytes", "4MiB"}, nil, 4 << 20},
		{"environment", nil, map[string]string{"LUMAMOCK_JOURNAL_MAX_BYTES": "512KiB"}, 512 << 10},
		{"flag beats environment", []string{"--journal-max-bytes", "1MB"}, map[string]string{"LUMAMOCK_JOURNAL_MAX_BYTES": "512KiB"}, 1e6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setEnv(t, tt.env)
			fs, c := newServeFlags(io.Discard)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			if err := applyEnv(fs, lookupEnv); err != nil {
				t.Fatal(err)
			}
			opts, err := c.mockOptions(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if opts.JournalMaxBytes != tt.want {
				t.Errorf("JournalMaxBytes = %d, want %d", opts.JournalMaxBytes, tt.want)
			}
		})
	}
}

// TestServeSpecIsServedVerbatim checks that GET /__mock/openapi.yaml answers the --spec file byte for byte.
func TestServeSpecIsServedVerbatim(t *testing.T) {
	spec := bytes.Replace(lumamock.Document, []byte("title: Luma video generation proxy API"), []byte("title: Spec from a file"), 1)
	path := filepath.Join(t.TempDir(), "openapi.yaml")
	if err := os.WriteFile(path, spec, 0o600); err != nil {
		t.Fatal(err)
	}
	url, _, stop := startServe(t, nil, "--spec", path)
	defer stop()
	resp, err := http.Get(url + "/__mock/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, spec) {
		t.Errorf("GET /__mock/openapi.yaml: %d, %d bytes; want 200 and the %d bytes of --spec", resp.StatusCode, len(got), len(spec))
	}
}

// TestServeMaxTaskMemoryBoundsTheTasksKept checks --max-task-memory over HTTP: with room for two large prompts,
// a third submission makes the mock forget the oldest task (its GET is the 404 of an unknown task), and without
// the flag all three are kept.
func TestServeMaxTaskMemoryBoundsTheTasksKept(t *testing.T) {
	prompt := strings.Repeat("a gust of wind ", 2<<10) // 30 KiB
	body := `{"user_prompt": "` + prompt + `"}`
	for _, tt := range []struct {
		name string
		args []string
		env  map[string]string
		kept int
	}{
		{"default", nil, nil, 3},
		{"flag", []string{"--max-task-memory", "64KiB"}, nil, 2},
		{"environment", nil, map[string]string{"LUMAMOCK_MAX_TASK_MEMORY": "64KiB"}, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			url, _, stop := startServe(t, tt.env, tt.args...)
			defer stop()
			var ids []string
			for range 3 {
				status, answer := post(t, url, "k", body)
				var task lumamock.TaskEnvelope
				if err := json.Unmarshal([]byte(answer), &task); status != 200 || err != nil {
					t.Fatalf("POST: %d %.200s (%v)", status, answer, err)
				}
				ids = append(ids, task.Data.TaskID)
			}
			var kept []string
			for _, id := range ids {
				req, _ := http.NewRequest(http.MethodGet, url+lumamock.PathGenerations+"/"+id, nil)
				req.Header.Set("Authorization", "Bearer k")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				switch resp.StatusCode {
				case http.StatusOK:
					kept = append(kept, id)
				case http.StatusNotFound:
				default:
					t.Fatalf("GET %s: %d", id, resp.StatusCode)
				}
			}
			if want := ids[len(ids)-tt.kept:]; !slices.Equal(kept, want) {
				t.Errorf("tasks kept %v, want the newest %d: %v", kept, tt.kept, want)
			}
		})
	}
}

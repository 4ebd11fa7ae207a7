package proxy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/lumamock/lumamock/cassette"
	"github.com/lumamock/lumamock/internal/redact/leaktest"
)

// lockedBuffer is a log destination shared by the proxy's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newEchoingHook is a hookReceiver whose answers echo the URL and password it was called with.
func newEchoingHook(t *testing.T) *hookReceiver {
	h := &hookReceiver{cond: make(chan struct{}, 100)}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.got = append(h.got, seen{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), string(body)})
		h.mu.Unlock()
		h.cond <- struct{}{}
		_, password, _ := r.BasicAuth()
		_, _ = io.WriteString(w, "got "+r.URL.RequestURI()+" as "+password)
	}))
	t.Cleanup(h.Close)
	return h
}

// TestNoOutputShowsCredentials sends a key of each length as bearer token, api_key query parameter, body field
// and header value, through a recording, hook-relaying proxy to an upstream that echoes it (in a member's value,
// in a member's name, as the task id of its answers and callbacks), with a notify_hook carrying a token and a
// password; then looks for them in the journals (task ids, findings' ids and pointers included), the log, the
// X-Lumamock-Violations headers, every cassette file and the cassettes' file names. The client's hook must still
// get the callbacks at its full URL.
func TestNoOutputShowsCredentials(t *testing.T) {
	const hookToken, hookPassword = "Zt9", "Pw4"
	for name, key := range leaktest.Keys {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			rec, err := cassette.NewRecorder(dir)
			if err != nil {
				t.Fatal(err)
			}
			api := newLumaAPI(t, false)
			// The key as the task id, and in a member name the document does not have: findings point at it.
			api.answer = func(state string) string {
				return strings.Replace(strings.Replace(envelope(state), taskID, "task-"+key, 1),
					`"task_status"`, `"extra_`+key+`":1,"task_status"`, 1)
			}
			echo := api.upstream.next
			api.upstream.next = func(w http.ResponseWriter, r *http.Request, body []byte) {
				if r.Method == http.MethodGet {
					// An API that echoes the key it was given, in a member the document does not have.
					w.Header().Set("Content-Type", "application/json")
					_, _ = io.WriteString(w, strings.Replace(api.body("processing"), `"code":200`, `"code":200,"echo":"key `+key+`"`, 1))
					return
				}
				echo(w, r, body)
			}
			client := newEchoingHook(t)
			var logs lockedBuffer
			var proxyURL string
			p, px := startProxyWithHook(t, api.upstream, Options{HookRelay: true, Recorder: rec,
				Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}, &proxyURL)
			// The key also under a parameter name that says nothing: only knowing the key finds it.
			hook := strings.Replace(client.URL, "http://", "http://user:"+hookPassword+"@", 1) + "/cb?token=" + hookToken + "&keep=1&k=" + key

			var violations []string
			send := func(method, path, body string) {
				t.Helper()
				resp, _ := call(t, px.URL, method, path, body, map[string]string{"Authorization": "Bearer " + key, "X-Note": "copy of " + key})
				violations = append(violations, resp.Header.Values(HeaderViolations)...)
			}
			body, _ := json.Marshal(map[string]any{"user_prompt": "wind, key " + key, "notify_hook": hook, "resolution": key})
			send(http.MethodPost, "/luma/generations?api_key="+key+"&keep=1", string(body))
			api.deliver(t)
			send(http.MethodGet, "/luma/generations/"+taskID+"?token="+key, "")
			got := client.wait(t, 2)
			waitJournal(t, p, 2)

			outputs := map[string]string{"X-Lumamock-Violations": strings.Join(violations, "\n"), "log": logs.String()}
			for _, path := range []string{"/__mock/requests", "/__mock/callbacks"} {
				resp, data := call(t, px.URL, http.MethodGet, path, "", nil)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("GET %s: %d %s", path, resp.StatusCode, data)
				}
				outputs["GET "+path] = string(data)
			}
			files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
			if len(files) < 3 {
				t.Fatalf("%d cassette files, want the submission, the poll and the callbacks", len(files))
			}
			for _, f := range files {
				outputs["cassette file names"] += filepath.Base(f) + "\n"
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				outputs["cassette "+filepath.Base(f)] = string(data)
			}
			for what, out := range outputs {
				leaktest.Check(t, what, out, key, hookToken, hookPassword)
			}
			all := strings.Join([]string{outputs["GET /__mock/requests"], outputs["GET /__mock/callbacks"]}, "\n")
			for _, want := range []string{`api_key=[redacted]&keep=1`, `token=[redacted]&keep=1`, `user:[redacted]@`} {
				if !strings.Contains(all, want) {
					t.Errorf("the journals lack %s:\n%s", want, all)
				}
			}
			if outputs["X-Lumamock-Violations"] == "" {
				t.Error("no X-Lumamock-Violations header: the test sends a resolution the document does not allow")
			}
			for _, c := range got {
				if c.Path != "/cb" || c.Query != "token="+hookToken+"&keep=1&k="+key {
					t.Errorf("the hook was called at %s?%s, want /cb?token=%s&keep=1&k=<key>", c.Path, c.Query, hookToken)
				}
				if _, password, _ := (&http.Request{Header: c.Header}).BasicAuth(); password != hookPassword {
					t.Errorf("the hook was called with password %q, want %q", password, hookPassword)
				}
			}
		})
	}
}

// TestMethodThatIsAKeyIsNotShown sends, through a recording proxy, requests whose method is the API key they
// carry (curl -X KEY): no cassette file name, cassette, journal read, log line or X-Lumamock-Violations header
// shows it.
func TestMethodThatIsAKeyIsNotShown(t *testing.T) {
	for name, key := range leaktest.Keys {
		for _, strict := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/strict=%v", name, strict), func(t *testing.T) {
				dir := t.TempDir()
				rec, err := cassette.NewRecorder(dir)
				if err != nil {
					t.Fatal(err)
				}
				up := newUpstream(t, answer(http.StatusMethodNotAllowed, `{"code":405,"message":"method `+key+` not allowed"}`))
				var logs lockedBuffer
				p, px := startProxy(t, up, Options{Strict: strict, Recorder: rec,
					Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
				var violations []string
				for _, path := range []string{"/luma/generations", "/luma/nothing"} {
					resp, _ := call(t, px.URL, key, path, `{"user_prompt":"x"}`, map[string]string{"Authorization": "Bearer " + key})
					violations = append(violations, resp.Header.Values(HeaderViolations)...)
				}
				waitJournal(t, p, 2)
				_, journal := call(t, px.URL, http.MethodGet, AdminPrefix+"/requests", "", nil)
				outputs := map[string]string{"X-Lumamock-Violations": strings.Join(violations, "\n"), "log": logs.String(), "journal": string(journal)}
				files, _ := filepath.Glob(filepath.Join(dir, "*"))
				if !strict && len(files) != 2 {
					t.Errorf("%d cassette files, want 2", len(files))
				}
				for _, f := range files {
					data, err := os.ReadFile(f)
					if err != nil {
						t.Fatal(err)
					}
					outputs["cassette file name"] += filepath.Base(f) + "\n"
					outputs["cassette "+filepath.Base(f)] = string(data)
				}
				for what, out := range outputs {
					leaktest.Check(t, what, out, key)
				}
				if violations == nil {
					t.Error("no X-Lumamock-Violations header: the method is not one the document has")
				}
			})
		}
	}
}

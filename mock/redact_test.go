package mock_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/internal/redact/leaktest"
	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

// Hook credentials: short, so that only their place in the URL can hide them.
const (
	hookToken    = "Zt9"
	hookPassword = "Pw4"
)

// hookServer is a loopback callback receiver that notes the URL and password each callback came with, and
// answers 500 with a body that echoes them and echo, so that failures are journaled and logged.
type hookServer struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string // "<password> <request URI>"
}

func newHookServer(t *testing.T, echo string) *hookServer {
	h := &hookServer{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, password, _ := r.BasicAuth()
		h.mu.Lock()
		h.seen = append(h.seen, password+" "+r.URL.RequestURI())
		h.mu.Unlock()
		http.Error(w, "refused "+r.URL.RequestURI()+" as "+password+", "+echo, http.StatusInternalServerError)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookServer) calls() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.seen...)
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestNoOutputShowsCredentials sends a key of each length everywhere a client might put one (bearer token,
// the first word of Authorization, api_key query parameter, a body field, next to non-ASCII punctuation,
// another header, a Prefer value) and a notify_hook with a token and a password, to a receiver that answers
// with all of them; and looks for them in every output of the mock: admin answers (requests, tasks, callbacks)
// and logs. The hook must still get its callbacks at its full URL.
func TestNoOutputShowsCredentials(t *testing.T) {
	for name, key := range leaktest.Keys {
		t.Run(name, func(t *testing.T) {
			var logs bytes.Buffer
			var logMu sync.Mutex
			logger := slog.New(slog.NewJSONHandler(lockedWriter{mu: &logMu, buf: &logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
			srv := mocktest.NewServer(t, mock.Options{APIKeys: []string{key}, Logger: logger, CallbackRetries: mock.NoRetries})
			hook := newHookServer(t, "key "+key) // a receiver that repeats the API key
			hookURL := strings.Replace(hook.URL, "http://", "http://user:"+hookPassword+"@", 1) + "/cb?token=" + hookToken + "&keep=1"
			// The key also under a parameter name that says nothing: only knowing the key finds it.
			deadHook := "http://user:" + hookPassword + "@" + closedPort(t) + "/cb?token=" + hookToken + "&k=" + key

			auth := "Bearer " + key
			send := func(method, path, prefer, body string) int {
				t.Helper()
				req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Authorization", auth)
				req.Header.Set("X-Note", "copy of "+key)
				if body != "" {
					req.Header.Set("Content-Type", "application/json")
				}
				if prefer != "" {
					req.Header.Set("Prefer", prefer)
				}
				resp, err := srv.Client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				_, _ = io.Copy(io.Discard, resp.Body)
				return resp.StatusCode
			}
			// Punctuation of any script glues nothing: a short key next to it is a whole token.
			prompt := "wind, key " + key + ", 密钥：" + key + "、“" + key + "” key—" + key
			submit := func(hook string) {
				t.Helper()
				body, _ := json.Marshal(map[string]any{lumamock.FieldUserPrompt: prompt, lumamock.FieldNotifyHook: hook})
				if status := send(http.MethodPost, lumamock.PathGenerations+"?api_key="+key+"&keep=1", "", string(body)); status != http.StatusOK {
					t.Fatalf("submit: status %d", status)
				}
			}
			submit(hookURL)
			submit(deadHook)
			prompt = "wind" // the receiver repeats the key even though nothing the task holds shows it
			submit(hookURL)
			if status := send(http.MethodPost, lumamock.PathGenerations, "schema="+key, `{"user_prompt":"x"}`); status != http.StatusBadRequest {
				t.Errorf("Prefer schema=<key>: status %d, want 400", status)
			}
			tasks := srv.Mock.Tasks()
			if len(tasks) != 3 {
				t.Fatalf("%d tasks, want 3", len(tasks))
			}
			send(http.MethodGet, lumamock.PathGenerations+"/"+tasks[0].ID+"?token="+key, "", "")
			send(http.MethodGet, lumamock.PathGenerations+"/"+key, "", "") // the key as a task id
			send(key, lumamock.PathGenerations, "", "")                    // the key as a method
			auth = key + " x"                                              // the key as the first word of Authorization
			if status := send(http.MethodPost, lumamock.PathGenerations, "", `{"user_prompt":"x"}`); status != http.StatusUnauthorized {
				t.Errorf("Authorization: <key> x: status %d, want 401", status)
			}
			auth = "Bearer " + key
			// The key across the journal's body limit: the cut must not leave a piece of it.
			pad := mock.DefaultJournalBodyLimit - len(`{"user_prompt":"`) - len(key)/2
			send(http.MethodPost, lumamock.PathGenerations, "", `{"user_prompt":"`+strings.Repeat("a", pad)+key+`"}`)
			srv.Advance(mock.DefaultPending + mock.DefaultProcessing)

			outputs := map[string]string{}
			for _, path := range []string{"/__mock/requests", "/__mock/tasks", "/__mock/tasks/" + tasks[0].ID, "/__mock/callbacks"} {
				resp, err := srv.Client.Get(srv.URL + path)
				if err != nil {
					t.Fatal(err)
				}
				data, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("GET %s: %d %s", path, resp.StatusCode, data)
				}
				outputs["GET "+path] = string(data)
			}
			logMu.Lock()
			outputs["log"] = logs.String()
			logMu.Unlock()

			for what, out := range outputs {
				leaktest.Check(t, what, out, key, hookToken, hookPassword)
				if len(key) >= leaktest.MinLen && strings.Contains(out, key[:len(key)/2]) {
					t.Errorf("%s shows the first half of the key, %q: a cut went through it", what, key[:len(key)/2])
				}
			}
			// The outputs are not empty of what was sent: only the credentials are gone.
			for what, want := range map[string]string{
				"GET /__mock/requests":  `api_key=[redacted]&keep=1`,
				"GET /__mock/tasks":     `token=[redacted]&keep=1`,
				"GET /__mock/callbacks": `"url":"http://user:[redacted]@`,
				"log":                   `callback failed`,
			} {
				if !strings.Contains(outputs[what], want) {
					t.Errorf("%s lacks %s:\n%s", what, want, outputs[what])
				}
			}
			if !strings.Contains(outputs["GET /__mock/requests"], `is not a schema`) {
				t.Errorf("the Prefer violation is not journaled:\n%s", outputs["GET /__mock/requests"])
			}

			calls := hook.calls()
			if len(calls) == 0 {
				t.Fatal("no callback reached the hook")
			}
			for _, c := range calls {
				if want := hookPassword + " /cb?token=" + hookToken + "&keep=1"; c != want {
					t.Errorf("the hook was called as %q, want %q: redaction must not touch the callback itself", c, want)
				}
			}
		})
	}
}

// TestEscapedKeyIsNotShown sends a key that every format escapes its own way (leaktest.EscapingKey) where a
// header or a body can carry it: as the bearer token, a Prefer value (which a violation message quotes) and in
// the prompt. No output of the mock shows it, as it is or escaped.
func TestEscapedKeyIsNotShown(t *testing.T) {
	key := leaktest.EscapingKey
	var logs bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(slog.NewJSONHandler(lockedWriter{mu: &logMu, buf: &logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := mocktest.NewServer(t, mock.Options{APIKeys: []string{key}, Logger: logger})
	send := func(prefer, body string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+lumamock.PathGenerations, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		if prefer != "" {
			req.Header.Set("Prefer", prefer)
		}
		resp, err := srv.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	body, _ := json.Marshal(map[string]any{lumamock.FieldUserPrompt: "key " + key})
	if status := send("", string(body)); status != http.StatusOK {
		t.Fatalf("submit: status %d", status)
	}
	if status := send("schema="+key, `{"user_prompt":"x"}`); status != http.StatusBadRequest {
		t.Errorf("Prefer schema=<key>: status %d, want 400", status)
	}
	outputs := map[string]string{}
	for _, path := range []string{"/__mock/requests", "/__mock/tasks"} {
		resp, err := srv.Client.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		outputs["GET "+path] = string(data)
	}
	logMu.Lock()
	outputs["log"] = logs.String()
	logMu.Unlock()
	for what, out := range outputs {
		leaktest.Check(t, what, out, key)
	}
	if !strings.Contains(outputs["GET /__mock/requests"], `Prefer schema: \"[redacted]\"`) {
		t.Errorf("the Prefer violation is not journaled:\n%s", outputs["GET /__mock/requests"])
	}
}

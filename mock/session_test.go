package mock_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

// sess sends requests to a mock, in one session (by header) unless told otherwise.
type sess struct {
	t    testing.TB
	base string
	name string // sent as X-Lumamock-Session when not empty
}

// send sends a request and returns its status and body; header pairs are set (an empty value removes one), a
// header named twice gets both values.
func (c sess) send(method, path, body string, header ...string) (int, []byte) {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer k")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.name != "" {
		req.Header.Set(mock.HeaderSession, c.name)
	}
	named := map[string]bool{}
	for i := 0; i+1 < len(header); i += 2 {
		switch {
		case header[i+1] == "":
			req.Header.Del(header[i])
		case named[header[i]]:
			req.Header.Add(header[i], header[i+1])
		default:
			req.Header.Set(header[i], header[i+1])
		}
		named[header[i]] = true
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, data
}

// want sends a request and fails the test unless it is answered status; it returns the body.
func (c sess) want(status int, method, path, body string, header ...string) []byte {
	c.t.Helper()
	got, data := c.send(method, path, body, header...)
	if got != status {
		c.t.Fatalf("%s %s (session %q): %d %s; want %d", method, path, c.name, got, data, status)
	}
	return data
}

// create submits a task (its callbacks to hook, if any) and returns its id.
func (c sess) create(hook string, header ...string) string {
	c.t.Helper()
	body := `{"user_prompt":"a fox"`
	if hook != "" {
		body += `,"notify_hook":"` + hook + `"`
	}
	var v map[string]any
	if err := json.Unmarshal(c.want(http.StatusOK, http.MethodPost, lumamock.PathGenerations, body+"}", header...), &v); err != nil {
		c.t.Fatal(err)
	}
	if data, ok := v["data"].(map[string]any); ok {
		return data["task_id"].(string)
	}
	return v["id"].(string)
}

// ids decodes the ids (or task ids) of a JSON array of records.
func ids(t testing.TB, data []byte, key string) []string {
	t.Helper()
	var recs []map[string]any
	if err := json.Unmarshal(data, &recs); err != nil {
		t.Fatalf("%v: %s", err, data)
	}
	var out []string
	for _, r := range recs {
		if id, _ := r[key].(string); id != "" {
			out = append(out, id)
		}
	}
	return out
}

// TestSessionsAreIsolated: tasks, journals and callbacks belong to their session; a task is a 404 from any other
// session; a reset of one session leaves the others' tasks and deliveries alone.
func TestSessionsAreIsolated(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{})
	hookA, hookB := mocktest.NewHookReceiver(t), mocktest.NewHookReceiver(t)
	a, b, def := sess{t, srv.URL, "suite-a"}, sess{t, srv.URL, ""}, sess{t, srv.URL, ""}
	taskA := a.create(hookA.URL)
	taskB := b.create(hookB.URL, "") // by the path prefix below
	taskB2 := sess{t, srv.URL + "/__session/suite-b", ""}.create(hookB.URL)
	taskDef := def.create("")

	// taskB went to default (no header, no prefix): move it to be the default's; suite-b has taskB2.
	b = sess{t, srv.URL, "suite-b"}
	for _, tt := range []struct {
		who  sess
		id   string
		want int
	}{
		{a, taskA, http.StatusOK}, {b, taskA, http.StatusNotFound}, {def, taskA, http.StatusNotFound},
		{b, taskB2, http.StatusOK}, {a, taskB2, http.StatusNotFound}, {def, taskB2, http.StatusNotFound},
		{def, taskDef, http.StatusOK}, {def, taskB, http.StatusOK}, {a, taskDef, http.StatusNotFound},
	} {
		status, body := tt.who.send(http.MethodGet, "/luma/generations/"+tt.id, "")
		if status != tt.want {
			t.Errorf("GET task %s from session %q: %d %s; want %d", tt.id, tt.who.name, status, body, tt.want)
		}
	}
	if got := ids(t, def.want(http.StatusOK, http.MethodGet, "/__mock/sessions/suite-a/tasks", ""), "id"); !slices.Equal(got, []string{taskA}) {
		t.Errorf("suite-a's tasks: %v, want [%s]", got, taskA)
	}
	if got := ids(t, def.want(http.StatusOK, http.MethodGet, "/__mock/tasks", ""), "id"); !slices.Equal(got, []string{taskB, taskDef}) {
		t.Errorf("default's tasks: %v, want [%s %s]", got, taskB, taskDef)
	}
	if got := ids(t, b.want(http.StatusOK, http.MethodGet, "/__mock/tasks", ""), "id"); !slices.Equal(got, []string{taskB2}) {
		t.Errorf("suite-b's tasks through the header: %v, want [%s]", got, taskB2)
	}
	var reqs []mock.RequestRecord
	if err := json.Unmarshal(def.want(http.StatusOK, http.MethodGet, "/__mock/sessions/suite-b/requests", ""), &reqs); err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 3 || reqs[0].Path != "/__session/suite-b"+lumamock.PathGenerations || reqs[0].TaskID != taskB2 ||
		reqs[0].Header.Get(mock.HeaderSession) != "suite-b" {
		t.Errorf("suite-b's requests: %+v; want its POST (by the prefix, as sent) and its two GETs", reqs)
	}

	// Callbacks: each receiver gets its session's tasks only, and each session journals its own.
	srv.Advance(10 * time.Second)
	if got := hookA.States(taskA); !slices.Equal(got, []lumamock.TaskState{lumamock.StateProcessing, lumamock.StateCompleted}) {
		t.Errorf("suite-a's receiver got %v for its task", got)
	}
	for _, d := range hookA.Deliveries() {
		if d.TaskID != taskA {
			t.Errorf("suite-a's receiver got a callback of task %s", d.TaskID)
		}
	}
	if got := ids(t, def.want(http.StatusOK, http.MethodGet, "/__mock/sessions/suite-a/callbacks", ""), "task_id"); len(got) != 2 || got[0] != taskA || got[1] != taskA {
		t.Errorf("suite-a's callback journal: %v", got)
	}
	if got := ids(t, def.want(http.StatusOK, http.MethodGet, "/__mock/callbacks", ""), "task_id"); len(got) != 2 || got[0] != taskB {
		t.Errorf("default's callback journal: %v, want taskB's two", got)
	}

	// A reset of suite-a leaves suite-b's task and its callbacks to come alone.
	late := b.create(hookB.URL, "Prefer", "pending=1m")
	a.want(http.StatusNoContent, http.MethodPost, "/__mock/reset", "")
	if got := ids(t, def.want(http.StatusOK, http.MethodGet, "/__mock/sessions/suite-a/tasks", ""), "id"); len(got) != 0 {
		t.Errorf("suite-a keeps %v after its reset", got)
	}
	b.want(http.StatusOK, http.MethodGet, "/luma/generations/"+late, "")
	srv.Advance(2 * time.Minute)
	if got := hookB.States(late); !slices.Equal(got, []lumamock.TaskState{lumamock.StateProcessing, lumamock.StateCompleted}) {
		t.Errorf("suite-b's task after suite-a's reset got %v", got)
	}
}

// TestSessionNamesAreChecked: a bad name, or a header and a path naming two sessions, is a 400 naming the header
// or the path, on the API (in its error shape) and on the admin API.
func TestSessionNamesAreChecked(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{})
	c := sess{t, srv.URL, ""}
	long := strings.Repeat("x", 64)
	c.create("", mock.HeaderSession, long) // 64 characters are fine
	tests := []struct {
		name         string
		method, path string
		header       []string
		in, field    string
	}{
		{"header too long", http.MethodPost, lumamock.PathGenerations, []string{mock.HeaderSession, long + "x"}, "header", mock.HeaderSession},
		{"header with a slash", http.MethodPost, lumamock.PathGenerations, []string{mock.HeaderSession, "a/b"}, "header", mock.HeaderSession},
		{"header dot dot", http.MethodGet, lumamock.PathGenerations + "/x", []string{mock.HeaderSession, ".."}, "header", mock.HeaderSession},
		{"prefix with a space", http.MethodPost, "/__session/a%20b" + lumamock.PathGenerations, nil, "path", "/__session/{name}"},
		{"prefix and header disagree", http.MethodPost, "/__session/one" + lumamock.PathGenerations, []string{mock.HeaderSession, "two"}, "header", mock.HeaderSession},
		{"admin: header", http.MethodGet, "/__mock/tasks", []string{mock.HeaderSession, "ü"}, "header", mock.HeaderSession},
		{"admin: path", http.MethodGet, "/__mock/sessions/a%2Fb/tasks", nil, "path", "name"},
		{"admin: path and header disagree", http.MethodGet, "/__mock/sessions/one/tasks", []string{mock.HeaderSession, "two"}, "header", mock.HeaderSession},
		{"admin: prefix and path disagree", http.MethodGet, "/__session/one/__mock/sessions/two/tasks", nil, "header", mock.HeaderSession},
		// The prefix is read as sent: an encoded "/" (or any encoding) is in the name, as on the admin path.
		{"prefix with an encoded slash", http.MethodPost, "/__session/q%2Fr" + lumamock.PathGenerations, nil, "path", "/__session/{name}"},
		{"prefix with an encoded slash before the API path", http.MethodPost, "/__session/qq%2F" + lumamock.PathGenerations[1:], nil, "path", "/__session/{name}"},
		{"prefix with an encoded letter", http.MethodPost, "/__session/a%41b" + lumamock.PathGenerations, nil, "path", "/__session/{name}"},
		{"admin: prefix with an encoded slash", http.MethodGet, "/__session/q%2Fr/__mock/tasks", nil, "path", "/__session/{name}"},
		{"admin: path with an encoded letter", http.MethodGet, "/__mock/sessions/a%41b/tasks", nil, "path", "name"},
		{"two headers", http.MethodPost, lumamock.PathGenerations, []string{mock.HeaderSession, "h1", mock.HeaderSession, "h2"}, "header", mock.HeaderSession},
		{"two headers, one as the prefix", http.MethodPost, "/__session/h1" + lumamock.PathGenerations, []string{mock.HeaderSession, "h1", mock.HeaderSession, "h2"}, "header", mock.HeaderSession},
		{"admin: two headers", http.MethodGet, "/__mock/tasks", []string{mock.HeaderSession, "h1", mock.HeaderSession, "h2"}, "header", mock.HeaderSession},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := ""
			if tt.method == http.MethodPost {
				body = `{"user_prompt":"p"}`
			}
			status, data := c.send(tt.method, tt.path, body, tt.header...)
			var v struct {
				Violations []lumamock.Violation `json:"violations"`
				Errors     []lumamock.Violation `json:"errors"`
			}
			_ = json.Unmarshal(data, &v)
			vs := append(v.Violations, v.Errors...)
			if status != http.StatusBadRequest || len(vs) == 0 || vs[0].In != tt.in || vs[0].Field != tt.field {
				t.Errorf("%d %s; want 400 naming %s %s", status, data, tt.in, tt.field)
			}
		})
	}
	// A refused request makes no session.
	var listed []struct{ Name string }
	if err := json.Unmarshal(c.want(http.StatusOK, http.MethodGet, "/__mock/sessions", ""), &listed); err != nil {
		t.Fatal(err)
	}
	for _, s := range listed {
		if s.Name != mock.DefaultSession && s.Name != long {
			t.Errorf("a refused request made session %q", s.Name)
		}
	}
	// Two headers naming one session are that session.
	id := c.create("", mock.HeaderSession, "twice", mock.HeaderSession, "twice")
	if _, err := mustSession(t, srv.Mock, "twice").Task(id); err != nil {
		t.Errorf("two headers naming one session: %v", err)
	}
	// An admin path naming no session that exists is a 404 with a JSON error; the prefix works on admin paths.
	if status, data := c.send(http.MethodGet, "/__mock/sessions/nobody/requests", ""); status != http.StatusNotFound || !bytes.Contains(data, []byte(`"error":"no session \"nobody\"`)) {
		t.Errorf("unknown session: %d %s", status, data)
	}
	c.want(http.StatusOK, http.MethodGet, "/__session/"+long+"/__mock/tasks", "")
}

// TestSessionSettings: a session's settings shape its new tasks, a Prefer header still wins for its request, a
// new session starts with the server's options, and invalid settings are a 400 naming the field that change
// nothing.
func TestSessionSettings(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{Pending: 3 * time.Second, Processing: 4 * time.Second, Faults: mock.Faults{Duplicate: 2}})
	s := sess{t, srv.URL, "slow"}
	var got map[string]any
	if err := json.Unmarshal(sess{t, srv.URL, ""}.want(http.StatusOK, http.MethodPut, "/__mock/sessions/fresh/settings", `{}`), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"pending": "3s", "processing": "4s", "outcome": "completed", "schema": "envelope", "duplicate": 2.0,
		"drop": "none", "reorder": false, "late": "0s", "delay": "0s", "rate_limit": "none", "capacity": 0.0, "fault_api": []any{}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("a new session's settings: %v, want the server's %v", got, want)
	}
	s.want(http.StatusOK, http.MethodPut, "/__mock/settings", `{"pending":"0s","processing":"0s","outcome":"failed","schema":"luma","drop":"failed"}`)
	id := s.create("")
	rec, err := mustSession(t, srv.Mock, "slow").Task(id)
	if err != nil {
		t.Fatal(err)
	}
	if rec.State != lumamock.StateFailed || rec.Shape != lumamock.ShapeLuma || rec.Faults.Drop != lumamock.StateFailed || rec.Faults.Duplicate != 2 {
		t.Errorf("a task under the settings: %+v", rec)
	}
	id = s.create("", "Prefer", "outcome=completed, schema=envelope, pending=1s")
	if rec, _ := mustSession(t, srv.Mock, "slow").Task(id); rec.State != lumamock.StatePending || rec.Shape != lumamock.ShapeEnvelope {
		t.Errorf("Prefer does not win over the settings: %+v", rec)
	}
	if rec, _ := srv.Mock.Default().Settings(), 0; rec.Pending != 3*time.Second {
		t.Errorf("default's settings changed with another session's: %+v", rec)
	}

	before := s.want(http.StatusOK, http.MethodGet, "/__mock/settings", "")
	for body, field := range map[string]string{
		`{"pending":"soon"}`:                    "/pending",
		`{"pending":"-1s"}`:                     "/pending",
		`{"late":"25h"}`:                        "/late",
		`{"processing":5}`:                      "/processing",
		`{"outcome":"done"}`:                    "/outcome",
		`{"schema":"xml"}`:                      "/schema",
		`{"duplicate":11}`:                      "/duplicate",
		`{"drop":"pending"}`:                    "/drop",
		`{"reorder":"yes"}`:                     "/reorder",
		`{"delay":"lognormal(sigma=1)"}`:        "/delay",
		`{"rate_limit":"10/h"}`:                 "/rate_limit",
		`{"rate_limit":"0/s"}`:                  "/rate_limit",
		`{"capacity":-1}`:                       "/capacity",
		`{"fault_api":["explode:5%"]}`:          "/fault_api",
		`{"fault_api":["418:5%"]}`:              "/fault_api",
		`{"fault_api":["reset:60","503:50"]}`:   "/fault_api",
		`{"fault_api":"reset:5%"}`:              "/fault_api",
		`{"speed":"fast"}`:                      "/speed",
		`{"pendingx":"1s"}`:                     "/pendingx",
		`{"pending":"1s","outcome":"maybe"}`:    "/outcome",
		`{"pending":"1s","unknown_field":true}`: "/unknown_field",
	} {
		status, data := s.send(http.MethodPut, "/__mock/settings", body)
		var e struct {
			Error      string
			Violations []lumamock.Violation
		}
		_ = json.Unmarshal(data, &e)
		if status != http.StatusBadRequest || len(e.Violations) == 0 || e.Violations[0].Field != field || !strings.Contains(e.Error, field) {
			t.Errorf("PUT %s: %d %s; want 400 naming %s", body, status, data, field)
		}
	}
	if after := s.want(http.StatusOK, http.MethodGet, "/__mock/settings", ""); !bytes.Equal(before, after) {
		t.Errorf("invalid settings changed them:\n%s\n%s", before, after)
	}
}

func mustSession(t testing.TB, m *mock.Server, name string) *mock.Session {
	t.Helper()
	ss, err := m.Session(name)
	if err != nil {
		t.Fatal(err)
	}
	return ss
}

// countingHandler counts the log records with a message.
type countingHandler struct {
	mu   sync.Mutex
	msgs map[string]int
	text bytes.Buffer
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.msgs[r.Message]++
	if h.text.Len() < 1<<16 {
		fmt.Fprintf(&h.text, "%s", r.Message)
		r.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&h.text, " %s=%v", a.Key, a.Value); return true })
		h.text.WriteByte('\n')
	}
	return nil
}
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }

func (h *countingHandler) count(msg string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.msgs[msg]
}

// TestMaxSessionsEvictsTheLeastRecentlyUsed: past MaxSessions, a new session evicts the least recently used one,
// with a log line, its callbacks not yet delivered given up.
func TestMaxSessionsEvictsTheLeastRecentlyUsed(t *testing.T) {
	logs := &countingHandler{msgs: map[string]int{}}
	srv := mocktest.NewServer(t, mock.Options{MaxSessions: 3, Logger: slog.New(logs)})
	hook := mocktest.NewHookReceiver(t)
	c := sess{t, srv.URL, ""}
	c.create("", mock.HeaderSession, "s1")
	c.create(hook.URL, mock.HeaderSession, "s2", "Prefer", "pending=1m")
	c.create("", mock.HeaderSession, "s3")
	c.want(http.StatusOK, http.MethodGet, "/__mock/sessions/s1", "") // s1 used again: s2 is the least recently used
	if got := logs.count(evictedLog); got != 0 {
		t.Fatalf("%d eviction log lines with 3 sessions of 3:\n%s", got, logs.text.String())
	}
	c.create("", mock.HeaderSession, "s4")
	if got := logs.count(evictedLog); got != 1 || !strings.Contains(logs.text.String(), "session=s2 new=s4 tasks=0 callbacks_cancelled=0") {
		t.Errorf("%d eviction log lines, want 1 naming s2 and s4:\n%s", got, logs.text.String())
	}
	c.want(http.StatusNotFound, http.MethodGet, "/__mock/sessions/s2/tasks", "")
	c.create("", mock.HeaderSession, "s5") // evicts s3
	var list []mock.SessionInfo
	if err := json.Unmarshal(c.want(http.StatusOK, http.MethodGet, "/__mock/sessions", ""), &list); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range list {
		names = append(names, s.Name)
	}
	if !slices.Equal(names, []string{"s5", "s4", "s1"}) {
		t.Errorf("sessions %v, want [s5 s4 s1]", names)
	}
	// s2's task was to call back in a minute: evicting the session gave its callbacks up.
	srv.Advance(2 * time.Minute)
	if got := hook.Deliveries(); len(got) != 0 {
		t.Errorf("an evicted session's task still called back: %+v", got)
	}
}

const evictedLog = "session evicted to make room for a new one (--max-sessions)"

// TestSettingsDefaultsRoundTrip: the settings a new session gets from the Options can be PUT back unchanged,
// so New refuses a default no session's settings would take (a pending time over MaxSettingDuration), naming
// the option; at the bound, GET and PUT of the settings agree.
func TestSettingsDefaultsRoundTrip(t *testing.T) {
	over := mock.MaxSettingDuration + time.Hour
	for name, opts := range map[string]mock.Options{
		"Pending":     {Pending: over},
		"Processing":  {Processing: over},
		"Faults.Late": {Faults: mock.Faults{Late: over}},
	} {
		_, err := mock.New(opts)
		var oe *mock.OptionError
		if !errors.As(err, &oe) || oe.Option != name {
			t.Errorf("New with %s %s: %v; want an *OptionError naming %s", name, over, err, name)
		}
	}
	srv := mocktest.NewServer(t, mock.Options{Pending: mock.MaxSettingDuration, Faults: mock.Faults{Late: mock.MaxSettingDuration}})
	s := sess{t: t, base: srv.URL}
	got := s.want(http.StatusOK, http.MethodGet, "/__mock/settings", "")
	if put := s.want(http.StatusOK, http.MethodPut, "/__mock/settings", string(got)); !bytes.Equal(put, got) {
		t.Errorf("PUT of the settings GET answered changed them:\n%s\n%s", got, put)
	}
}

// TestSettingsErrorsSayWhatIsWanted: a setting or clock move of the wrong type or form is refused with the rule
// it breaks in words a user acts on, not a JSON Schema keyword ("allOf") or a regular expression.
func TestSettingsErrorsSayWhatIsWanted(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{})
	s := sess{t: t, base: srv.URL}
	for _, tt := range []struct {
		path, body, field, rule, says string
	}{
		{"/__mock/settings", `{"pending":5}`, "/pending", "type", "value must be a string"},
		{"/__mock/settings", `{"late":true}`, "/late", "type", "value must be a string"},
		{"/__mock/clock", `{"advance":5}`, "/advance", "type", "value must be a string"},
		{"/__mock/settings", `{"rate_limit":"10/h"}`, "/rate_limit", "pattern", "N/s or N/m"},
		{"/__mock/settings", `{"fault_api":["200:10%"]}`, "/fault_api/0", "pattern", "NAME:PERCENT"},
	} {
		method := http.MethodPut
		if tt.path == "/__mock/clock" {
			method = http.MethodPost
		}
		status, data := s.send(method, tt.path, tt.body)
		var e struct {
			Violations []lumamock.Violation
		}
		_ = json.Unmarshal(data, &e)
		if status != http.StatusBadRequest || len(e.Violations) != 1 {
			t.Errorf("%s %s: %d %s; want 400 with one violation", tt.path, tt.body, status, data)
			continue
		}
		v := e.Violations[0]
		if v.Field != tt.field || v.Rule != tt.rule || !strings.Contains(v.Message, tt.says) || strings.Contains(v.Message, "regular expression") {
			t.Errorf("%s %s: %+v; want field %s, rule %s, saying %q", tt.path, tt.body, v, tt.field, tt.rule, tt.says)
		}
	}
}

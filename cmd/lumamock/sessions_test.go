package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// delivery is one callback a suite's receiver got.
type delivery struct {
	task    string
	event   int
	state   string
	attempt int
}

// receiver is a suite's webhook receiver, on loopback.
type receiver struct {
	url     string
	mu      sync.Mutex
	got     []delivery
	changed chan struct{}
}

func newReceiver(t *testing.T) *receiver {
	rv := &receiver{changed: make(chan struct{})}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		d := delivery{task: r.Header.Get("X-Lumamock-Task-Id"), state: r.Header.Get("X-Lumamock-State")}
		d.event, _ = strconv.Atoi(r.Header.Get("X-Lumamock-Event"))
		d.attempt, _ = strconv.Atoi(r.Header.Get("X-Lumamock-Attempt"))
		rv.mu.Lock()
		rv.got = append(rv.got, d)
		close(rv.changed)
		rv.changed = make(chan struct{})
		rv.mu.Unlock()
	}))
	t.Cleanup(hs.Close)
	rv.url = hs.URL + "/hook"
	return rv
}

// await waits until the receiver has got n deliveries, and returns them.
func (rv *receiver) await(t *testing.T, n int) []delivery {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		rv.mu.Lock()
		got, ch := slices.Clone(rv.got), rv.changed
		rv.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("%d deliveries of %d after 20 s: %+v", len(got), n, got)
		}
	}
}

// of returns the states task got, in order of arrival.
func of(ds []delivery, task string) []string {
	var out []string
	for _, d := range ds {
		if d.task == task {
			out = append(out, d.state)
		}
	}
	return out
}

// suite is one test suite against the shared server, in its own session.
type suite struct {
	t       *testing.T
	base    string
	name    string
	hook    *receiver
	outcome string
	shape   string
	dup     int
}

func (s *suite) do(method, path, body string, header ...string) (int, []byte) {
	s.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.base+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer key-of-"+s.name)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Lumamock-Session", s.name)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

func (s *suite) want(status int, method, path, body string, header ...string) []byte {
	s.t.Helper()
	got, data := s.do(method, path, body, header...)
	if got != status {
		s.t.Fatalf("%s: %s %s: %d %s; want %d", s.name, method, path, got, data, status)
	}
	return data
}

// create submits a task; healthy ones ask for no webhook fault, whatever the session's settings.
func (s *suite) create(healthy bool) string {
	s.t.Helper()
	var header []string
	if healthy {
		header = []string{"Prefer", "duplicate=0, drop=none, reorder=0, late=0s"}
	}
	var v map[string]any
	if err := json.Unmarshal(s.want(http.StatusOK, http.MethodPost, "/luma/generations",
		`{"user_prompt":"a fox for `+s.name+`","notify_hook":"`+s.hook.url+`"}`, header...), &v); err != nil {
		s.t.Fatal(err)
	}
	if data, ok := v["data"].(map[string]any); ok {
		return data["task_id"].(string)
	}
	return v["id"].(string)
}

func (s *suite) advance(d string) {
	s.t.Helper()
	s.want(http.StatusOK, http.MethodPost, "/__mock/sessions/"+s.name+"/clock", `{"advance":"`+d+`"}`)
}

// list reads one of the session's admin lists and returns the values of key in its records.
func (s *suite) list(what, key string) []string {
	s.t.Helper()
	var recs []map[string]any
	if err := json.Unmarshal(s.want(http.StatusOK, http.MethodGet, "/__mock/sessions/"+s.name+"/"+what, ""), &recs); err != nil {
		s.t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		v, _ := r[key].(string)
		out = append(out, v)
	}
	return out
}

// checkOwn fails unless every task, request and callback the session's journals show is one of the suite's.
func (s *suite) checkOwn(tasks []string) {
	s.t.Helper()
	for _, id := range s.list("tasks", "id") {
		if !slices.Contains(tasks, id) {
			s.t.Errorf("%s sees task %s, not its own", s.name, id)
		}
	}
	for _, id := range s.list("callbacks", "task_id") {
		if !slices.Contains(tasks, id) {
			s.t.Errorf("%s's callback journal shows task %s, not its own", s.name, id)
		}
	}
	var reqs []struct {
		Header http.Header `json:"header"`
		TaskID string      `json:"task_id"`
	}
	if err := json.Unmarshal(s.want(http.StatusOK, http.MethodGet, "/__mock/sessions/"+s.name+"/requests", ""), &reqs); err != nil {
		s.t.Fatal(err)
	}
	for _, r := range reqs {
		if r.Header.Get("X-Lumamock-Session") != s.name || r.TaskID != "" && !slices.Contains(tasks, r.TaskID) {
			s.t.Errorf("%s's request journal shows a request of session %q, task %s", s.name, r.Header.Get("X-Lumamock-Session"), r.TaskID)
		}
	}
	s.hook.mu.Lock()
	defer s.hook.mu.Unlock()
	for _, d := range s.hook.got {
		if !slices.Contains(tasks, d.task) {
			s.t.Errorf("%s's receiver got a callback of task %s, not its own", s.name, d.task)
		}
	}
}

// run is the suite: its settings and a frozen clock, a round of tasks followed by moving its clock, a reset in
// the middle of a task's life, and a second round.
func (s *suite) run() (tasks []string) {
	t := s.t
	s.want(http.StatusOK, http.MethodPut, "/__mock/sessions/"+s.name+"/settings", fmt.Sprintf(
		`{"pending":"2s","processing":"3s","outcome":%q,"schema":%q,"duplicate":%d}`, s.outcome, s.shape, s.dup))
	s.want(http.StatusOK, http.MethodPost, "/__mock/sessions/"+s.name+"/clock", `{"freeze":true}`)
	want := []string{"processing", s.outcome}

	// Round 1: two healthy tasks, two with the session's fault, and a refused request.
	healthy := []string{s.create(true), s.create(true)}
	faulty := []string{s.create(false), s.create(false)}
	tasks = append(append(tasks, healthy...), faulty...)
	s.want(http.StatusBadRequest, http.MethodPost, "/luma/generations", `{"user_prompt":7}`)
	s.advance("2s")
	s.advance("3s")
	copies := 1 + s.dup
	got := s.hook.await(t, 2*len(healthy)+2*copies*len(faulty))
	for _, id := range healthy {
		if states := of(got, id); !slices.Equal(states, want) {
			t.Errorf("%s: healthy task %s got %v, want %v once each, in order", s.name, id, states, want)
		}
	}
	for _, id := range faulty {
		if states := of(got, id); len(states) != 2*copies {
			t.Errorf("%s: task %s with duplicate=%d got %v", s.name, id, s.dup, states)
		}
	}
	if n := len(s.list("requests", "request_id")); n != 5 {
		t.Errorf("%s: %d requests journaled, want its 5", s.name, n)
	}
	s.checkOwn(tasks)

	// A task in the middle of its life, then a reset: its end never comes.
	cut := s.create(true)
	tasks = append(tasks, cut)
	s.advance("2s")
	before := len(s.hook.await(t, len(got)+1))
	s.want(http.StatusNoContent, http.MethodPost, "/__mock/sessions/"+s.name+"/reset", "")
	if ids := s.list("tasks", "id"); len(ids) != 0 {
		t.Errorf("%s: tasks %v after its reset", s.name, ids)
	}
	if n := len(s.list("requests", "request_id")); n != 0 {
		t.Errorf("%s: %d requests journaled after its reset", s.name, n)
	}

	// Round 2, on a fresh journal: the reset task stays cut, the new ones run whole.
	again := []string{s.create(true), s.create(true)}
	tasks = append(tasks, again...)
	s.advance("10s")
	got = s.hook.await(t, before+4)
	for _, id := range again {
		if states := of(got, id); !slices.Equal(states, want) {
			t.Errorf("%s: healthy task %s after the reset got %v, want %v", s.name, id, states, want)
		}
	}
	if states := of(got, cut); !slices.Equal(states, []string{"processing"}) {
		t.Errorf("%s: the task reset in its middle got %v, want [processing] only", s.name, states)
	}
	if ids := s.list("tasks", "id"); !slices.Equal(ids, again) {
		t.Errorf("%s: tasks %v, want %v", s.name, ids, again)
	}
	s.checkOwn(tasks)
	return tasks
}

// TestEightSuitesShareOneServer: eight suites run in parallel against one lumamock serve, each in its own
// session with its own settings, faults and frozen clock, and a reset in the middle; each sees only its own tasks,
// requests and callbacks, and each healthy callback arrives exactly once, in order. A task is a 404 from any
// other session.
func TestEightSuitesShareOneServer(t *testing.T) {
	base, _, stop := startServe(t, nil, "--seed", "7")
	defer func() {
		if err := stop(); err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	var mu sync.Mutex
	owned := map[string][]string{}
	t.Run("suites", func(t *testing.T) {
		for i := range 8 {
			s := &suite{base: base, name: fmt.Sprintf("suite-%d", i), outcome: []string{"completed", "failed"}[i%2],
				shape: []string{"envelope", "luma"}[i/2%2], dup: i % 3}
			t.Run(s.name, func(t *testing.T) {
				t.Parallel()
				s.t, s.hook = t, newReceiver(t)
				tasks := s.run()
				mu.Lock()
				owned[s.name] = tasks
				mu.Unlock()
			})
		}
	})
	if t.Failed() {
		return
	}
	// Every suite's last tasks, read from every other session: the documented 404.
	for name, tasks := range owned {
		other := &suite{t: t, base: base, name: name + "-other"}
		if name != "suite-0" {
			other.name = "suite-0"
		}
		last := tasks[len(tasks)-1]
		if status, body := other.do(http.MethodGet, "/luma/generations/"+last, ""); status != http.StatusNotFound {
			t.Errorf("task %s of %s read from %s: %d %s", last, name, other.name, status, body)
		}
		mine := &suite{t: t, base: base, name: name}
		mine.want(http.StatusOK, http.MethodGet, "/luma/generations/"+last, "")
	}
}

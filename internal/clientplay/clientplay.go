// Package clientplay plays clients of the Luma API against a mock in a test, over HTTP, on the mock's virtual
// clock: clients that cover little or everything, that behave well or not. The coverage tests, the coverage
// command's tests and the coverage docs page's example run them.
package clientplay

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

// Key is the API key the clients send.
const Key = "sk-test-client-0123456789"

// Client sends requests to a mock as a client under test would, and waits on the mock's virtual clock.
type Client struct {
	tb  mocktest.TB
	srv *mocktest.Server
	// Key is the API key it sends (Key unless changed).
	Key string
	// Session, when set, is the session its requests join (the X-Lumamock-Session header).
	Session string
	n       int // prompts made, so that no two submissions are alike unless asked
}

// New returns a client of srv, whose clock must be a ManualClock.
func New(tb mocktest.TB, srv *mocktest.Server) *Client {
	return &Client{tb: tb, srv: srv, Key: Key}
}

// Answer is what the mock answered.
type Answer struct {
	Status     int
	RetryAfter time.Duration
	Body       []byte
}

// Do sends method path with body (none when empty) and the Prefer header prefer (none when empty).
func (c *Client) Do(method, path, body, prefer string) Answer {
	c.tb.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.srv.URL+path, rd)
	if err != nil {
		c.tb.Fatalf("clientplay: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Key)
	req.Header.Set("Accept", "application/json")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if prefer != "" {
		req.Header.Set("Prefer", prefer)
	}
	if c.Session != "" {
		req.Header.Set("X-Lumamock-Session", c.Session)
	}
	resp, err := c.srv.Client.Do(req)
	if err != nil {
		c.tb.Fatalf("clientplay: %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		c.tb.Fatalf("clientplay: %s %s: %v", method, path, err)
	}
	a := Answer{Status: resp.StatusCode, Body: data}
	if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil {
		a.RetryAfter = time.Duration(secs) * time.Second
	}
	return a
}

// Submit submits a task with a prompt of its own, notify_hook hook (none when empty) and the Prefer header
// prefer, and returns its id. It fails the test unless the answer is 200.
func (c *Client) Submit(hook, prefer string) string {
	c.tb.Helper()
	c.n++
	return c.SubmitBody(fmt.Sprintf("a fox in the snow, take %d", c.n), hook, prefer)
}

// SubmitBody submits a task with prompt, as Submit does.
func (c *Client) SubmitBody(prompt, hook, prefer string) string {
	c.tb.Helper()
	body := map[string]string{lumamock.FieldUserPrompt: prompt}
	if hook != "" {
		body[lumamock.FieldNotifyHook] = hook
	}
	data, _ := json.Marshal(body)
	a := c.Do(http.MethodPost, lumamock.PathGenerations, string(data), prefer)
	if a.Status != http.StatusOK {
		c.tb.Fatalf("clientplay: submit: %d %s", a.Status, a.Body)
	}
	var v struct {
		ID   string `json:"id"`
		Data struct {
			TaskID string `json:"task_id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(a.Body, &v); err != nil || v.ID == "" && v.Data.TaskID == "" {
		c.tb.Fatalf("clientplay: submit: no task id in %s", a.Body)
	}
	if v.ID != "" {
		return v.ID
	}
	return v.Data.TaskID
}

// Poll reads task id and returns its state ("" unless the answer is 200).
func (c *Client) Poll(id, prefer string) (lumamock.TaskState, Answer) {
	c.tb.Helper()
	a := c.Do(http.MethodGet, strings.Replace(lumamock.PathGeneration, "{task_id}", id, 1), "", prefer)
	var v struct {
		State lumamock.TaskState `json:"state"`
		Data  struct {
			TaskStatus lumamock.TaskState `json:"task_status"`
		} `json:"data"`
	}
	if a.Status != http.StatusOK || json.Unmarshal(a.Body, &v) != nil {
		return "", a
	}
	if v.State != "" {
		return v.State, a
	}
	return v.Data.TaskStatus, a
}

// Wait lets d pass on the mock's clock, delivering the callbacks due meanwhile.
func (c *Client) Wait(d time.Duration) { c.srv.Advance(d) }

// Follow polls task id every interval until a poll shows it ended, and returns its end.
func (c *Client) Follow(id string, interval time.Duration) lumamock.TaskState {
	c.tb.Helper()
	for range 1000 {
		state, a := c.Poll(id, "")
		if state.Terminal() {
			return state
		}
		if a.Status != http.StatusOK {
			c.tb.Fatalf("clientplay: poll %s: %d %s", id, a.Status, a.Body)
		}
		c.Wait(interval)
	}
	c.tb.Fatalf("clientplay: task %s never ended", id)
	return ""
}

// EnvelopeOnly plays a client that only ever submits envelope tasks that complete, with a hook that answers
// 200, and follows each by polls once a second until it ends: well-behaved, but exposed to little.
func EnvelopeOnly(tb mocktest.TB, srv *mocktest.Server) {
	tb.Helper()
	c := New(tb, srv)
	hook := mocktest.NewHookReceiver(tb)
	for range 2 {
		id := c.Submit(hook.URL, "")
		if end := c.Follow(id, time.Second); end != lumamock.StateCompleted {
			tb.Fatalf("clientplay: task %s ended %s", id, end)
		}
	}
}

// Everything plays a suite that makes the mock expose its client to every item of the embedded document, as
// politely as it can: it waits for each Retry-After, polls once a second at most, and never submits the same
// request twice. Its hook refuses one callback (to see it retried), which is the one finding it gets.
func Everything(tb mocktest.TB, srv *mocktest.Server) {
	tb.Helper()
	c := New(tb, srv)
	hook := mocktest.NewHookReceiver(tb)
	for _, shape := range []string{"envelope", "luma"} {
		for _, outcome := range []string{"completed", "failed"} {
			id := c.Submit(hook.URL, "schema="+shape+", outcome="+outcome)
			c.Follow(id, time.Second)
		}
	}
	for _, fault := range []string{"duplicate=1", "drop=processing", "reorder=1", "late=2s"} {
		id := c.Submit(hook.URL, fault)
		c.Follow(id, time.Second)
		c.Wait(3 * time.Second) // the late callbacks
	}
	hook.Respond(http.StatusInternalServerError)
	id := c.Submit(hook.URL, "")
	c.Follow(id, time.Second)
	c.Wait(time.Second) // the retry after the refusal
	body := `{"user_prompt":"forced"}`
	get := strings.Replace(lumamock.PathGeneration, "{task_id}", id, 1)
	for _, op := range []struct{ method, path, body string }{{http.MethodPost, lumamock.PathGenerations, body}, {http.MethodGet, get, ""}} {
		for _, code := range []int{400, 401, 404, 406, 413, 415, 429, 500, 503} {
			if op.method == http.MethodPost && code == 404 || op.method == http.MethodGet && (code == 413 || code == 415) {
				continue // not documented there
			}
			a := c.Do(op.method, op.path, op.body, fmt.Sprintf("code=%d", code))
			if a.Status != code {
				tb.Fatalf("clientplay: Prefer: code=%d on %s %s answered %d %s", code, op.method, op.path, a.Status, a.Body)
			}
			c.Wait(max(time.Second, a.RetryAfter))
		}
	}
}

// Impatient plays a client that polls its task every 50 ms and, told to wait by a 429, sends its next request
// 50 ms later anyway.
func Impatient(tb mocktest.TB, srv *mocktest.Server) {
	tb.Helper()
	c := New(tb, srv)
	id := c.Submit("", "")
	for i := 0; ; i++ {
		prefer := ""
		if i == 5 {
			prefer = "code=429" // the provider pushes back
		}
		state, _ := c.Poll(id, prefer)
		if state.Terminal() {
			return
		}
		c.Wait(50 * time.Millisecond)
	}
}

// Patient plays a client that polls its task once a second and, told to wait by a 429, waits what its
// Retry-After says.
func Patient(tb mocktest.TB, srv *mocktest.Server) {
	tb.Helper()
	c := New(tb, srv)
	id := c.Submit("", "")
	for i := 0; ; i++ {
		prefer := ""
		if i == 5 {
			prefer = "code=429"
		}
		state, a := c.Poll(id, prefer)
		if state.Terminal() {
			return
		}
		c.Wait(max(time.Second, a.RetryAfter))
	}
}

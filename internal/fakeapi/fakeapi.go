// Package fakeapi is a small stand-in for the Luma proxy API used to test the contract checker: it answers like
// a correct deployment (either shape) and lets a test bend one answer at a time into drift. It validates
// requests with kin-openapi directly, not with the checker it tests.
package fakeapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/lumamock/lumamock"
)

// Answer is one response (or callback) about to be written; a Drift func may change any part of it.
type Answer struct {
	// Op is "create", "get" or "callback".
	Op          string
	Request     *http.Request
	RequestBody []byte
	Status      int
	Header      http.Header
	// Body is encoded as JSON unless Raw is set.
	Body map[string]any
	Raw  []byte
	// Delay is waited before the answer is written.
	Delay time.Duration
	// Task is the task concerned, if any, and the state it is shown in.
	Task  string
	State lumamock.TaskState
}

// Options configure a Server.
type Options struct {
	// Shape of successes and errors; empty means envelope.
	Shape lumamock.Shape
	// Key is the accepted bearer token; empty accepts any non-empty token.
	Key string
	// States are the states a task shows: the create answer shows States[0], the nth GET States[n] (the last one
	// from then on). Empty means pending, processing, completed.
	States []lumamock.TaskState
	// Callbacks posts the task to notify_hook once per state in CallbackStates, in order.
	Callbacks bool
	// CallbackStates are the states the callbacks report, in order; empty means States. Set apart from States,
	// they let GET and the callbacks tell different stories.
	CallbackStates []lumamock.TaskState
	// AcceptInvalid answers 200 with a new task where a correct API answers 400.
	AcceptInvalid bool
	// Drift bends answers; nil leaves them correct.
	Drift func(*Answer)
}

// Server is the fake API, an http.Handler.
type Server struct {
	opts   Options
	router routers.Router

	mu    sync.Mutex
	tasks map[string]*task
	seq   int
	wg    sync.WaitGroup
}

type task struct {
	id      string
	prompt  string
	created time.Time
	polls   int
}

// New returns a fake API.
func New(opts Options) *Server {
	if opts.Shape == "" {
		opts.Shape = lumamock.ShapeEnvelope
	}
	if len(opts.States) == 0 {
		opts.States = []lumamock.TaskState{lumamock.StatePending, lumamock.StateProcessing, lumamock.StateCompleted}
	}
	if len(opts.CallbackStates) == 0 {
		opts.CallbackStates = opts.States
	}
	doc := *lumamock.MustLoad()
	doc.Servers = nil
	router, err := gorillamux.NewRouter(&doc)
	if err != nil {
		panic(err)
	}
	return &Server{opts: opts, router: router, tasks: map[string]*task{}}
}

// Close waits for callbacks in flight.
func (s *Server) Close() { s.wg.Wait() }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	a := s.answer(r, body)
	a.RequestBody = body
	if s.opts.Drift != nil {
		s.opts.Drift(a)
	}
	if a.Delay > 0 {
		select {
		case <-time.After(a.Delay):
		case <-r.Context().Done():
			return
		}
	}
	for k, vs := range a.Header {
		w.Header()[k] = vs
	}
	raw := a.Raw
	if raw == nil && a.Body != nil {
		raw, _ = json.Marshal(a.Body)
	}
	w.WriteHeader(a.Status)
	w.Write(raw)
}

func (s *Server) answer(r *http.Request, body []byte) *Answer {
	route, params, err := s.router.FindRoute(r)
	if err != nil {
		return s.fail(r, http.StatusNotFound, "no such endpoint")
	}
	auth := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || token == "" || (s.opts.Key != "" && token != s.opts.Key) {
		a := s.fail(r, http.StatusUnauthorized, "unauthorized")
		a.Header.Set("WWW-Authenticate", "Bearer")
		return a
	}
	if accept := r.Header.Get("Accept"); accept != "" && !strings.Contains(accept, "json") && !strings.Contains(accept, "*/*") {
		return s.fail(r, http.StatusNotAcceptable, "accept excludes application/json")
	}
	if route.Operation.OperationID == lumamock.OpGet {
		return s.get(r, params["task_id"])
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return s.fail(r, http.StatusUnsupportedMediaType, "content type must be application/json")
	}
	clone := r.Clone(r.Context())
	clone.Body = io.NopCloser(bytes.NewReader(body))
	err = openapi3filter.ValidateRequest(r.Context(), &openapi3filter.RequestValidationInput{
		Request: clone, PathParams: params, Route: route,
		Options: &openapi3filter.Options{MultiError: true, AuthenticationFunc: func(context.Context, *openapi3filter.AuthenticationInput) error { return nil }},
	})
	if err != nil && !s.opts.AcceptInvalid {
		a := s.fail(r, http.StatusBadRequest, "invalid request")
		var list []any
		for _, v := range lumamock.Violations(err) {
			list = append(list, map[string]any{"in": v.In, "field": v.Field, "rule": v.Rule, "message": v.Message})
		}
		a.Body["errors"] = list
		return a
	}
	var req lumamock.GenerationRequest
	_ = json.Unmarshal(body, &req)
	s.mu.Lock()
	s.seq++
	t := &task{id: fmt.Sprintf("00000000-0000-4000-8000-%012d", s.seq), prompt: req.UserPrompt, created: time.Now().UTC()}
	s.tasks[t.id] = t
	s.mu.Unlock()
	if s.opts.Callbacks && req.NotifyHook != nil {
		s.wg.Add(1)
		go s.callbacks(*req.NotifyHook, t, r)
	}
	return s.ok(r, "create", t, s.opts.States[0])
}

func (s *Server) get(r *http.Request, id string) *Answer {
	s.mu.Lock()
	t := s.tasks[id]
	var state lumamock.TaskState
	if t != nil {
		t.polls++
		state = s.opts.States[min(t.polls, len(s.opts.States)-1)]
	}
	s.mu.Unlock()
	if t == nil {
		return s.fail(r, http.StatusNotFound, "no such task")
	}
	return s.ok(r, "get", t, state)
}

// callbacks posts the task at each state of CallbackStates to hook, in order.
func (s *Server) callbacks(hook string, t *task, r *http.Request) {
	defer s.wg.Done()
	for _, state := range s.opts.CallbackStates {
		a := s.ok(r, "callback", t, state)
		if s.opts.Drift != nil {
			s.opts.Drift(a)
		}
		raw := a.Raw
		if raw == nil {
			raw, _ = json.Marshal(a.Body)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook, bytes.NewReader(raw))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}
		cancel()
	}
}

func (s *Server) ok(r *http.Request, op string, t *task, state lumamock.TaskState) *Answer {
	a := &Answer{Op: op, Request: r, Status: http.StatusOK, Header: jsonHeader(), Task: t.id, State: state}
	var body map[string]any
	if s.opts.Shape == lumamock.ShapeLuma {
		g := lumamock.Generation{ID: t.id, Prompt: t.prompt, State: state, CreatedAt: lumamock.LumaTime{Time: t.created}}
		if state == lumamock.StateCompleted {
			g.Video, g.VideoRaw = video(t.id), video(t.id)
			g.Thumbnail, g.LastFrame = image(t.id), image(t.id)
		}
		if state == lumamock.StateFailed {
			reason := "the upstream failed"
			g.FailureReason = &reason
		}
		body = toMap(g)
	} else {
		d := lumamock.TaskData{TaskID: t.id, TaskStatus: state, CreatedAt: t.created.Unix(), UpdatedAt: t.created.Unix()}
		if state == lumamock.StateCompleted {
			d.Video, d.VideoRaw = video(t.id), video(t.id)
			d.Thumbnail, d.LastFrame = image(t.id), image(t.id)
		}
		if state == lumamock.StateFailed {
			reason := "the upstream failed"
			d.FailureReason = &reason
		}
		body = toMap(lumamock.TaskEnvelope{Code: 200, Message: "success", RequestID: "req-1", Data: d})
	}
	a.Body = body
	return a
}

func (s *Server) fail(r *http.Request, status int, reason string) *Answer {
	a := &Answer{Op: "create", Request: r, Status: status, Header: jsonHeader()}
	if r.Method == http.MethodGet {
		a.Op = "get"
	}
	a.Body = toMap(lumamock.ErrorBody(s.opts.Shape, status, reason, "req-1", nil))
	return a
}

func video(id string) *lumamock.Video {
	return &lumamock.Video{URL: "https://cdn.example.com/" + id + ".mp4", DownloadURL: "https://cdn.example.com/" + id + ".mp4?download=1", Width: 1280, Height: 720}
}

func image(id string) *lumamock.Image {
	return &lumamock.Image{URL: "https://cdn.example.com/" + id + ".jpg", Width: 1280, Height: 720}
}

func jsonHeader() http.Header {
	return http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"req-1"}}
}

func toMap(v any) map[string]any {
	b, _ := json.Marshal(v)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

package adminapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/cassette"
	"github.com/lumamock/lumamock/internal/adminapi"
	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
	"github.com/lumamock/lumamock/proxy"
)

// judge holds every admin answer to admin.yaml with kin-openapi's response validator, which shares nothing with
// the admission judge the servers use: a router of its own over the whole document, and ValidateResponse.
type judge struct {
	t      *testing.T
	router routers.Router
	mu     sync.Mutex
	seen   map[string]map[string]bool // by kind, "METHOD path" answered 2xx
}

// plainText decodes the bodies of the dashboard's files, which kin-openapi does not know, as text.
func plainText(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
	data, err := io.ReadAll(body)
	return string(data), err
}

func newJudge(t *testing.T) *judge {
	for _, ct := range []string{"text/html", "text/javascript", "text/css", "image/svg+xml"} {
		if openapi3filter.RegisteredBodyDecoder(ct) == nil {
			openapi3filter.RegisterBodyDecoder(ct, plainText)
		}
	}
	doc, err := openapi3.NewLoader().LoadFromData(lumamock.AdminDocument)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	doc.Servers = nil
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &judge{t: t, router: router, seen: map[string]map[string]bool{}}
}

// wrap returns h with every answer to an admin path checked against admin.yaml, and counted for kind.
func (j *judge) wrap(kind string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" && !strings.HasPrefix(r.URL.Path, adminapi.Prefix+"/") || r.Method == http.MethodHead {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		j.check(kind, r, rec)
	})
}

func (j *judge) check(kind string, r *http.Request, rec *httptest.ResponseRecorder) {
	if rec.Code == http.StatusMethodNotAllowed || rec.Code == http.StatusMovedPermanently {
		if ct := rec.Header().Get("Content-Type"); rec.Code == http.StatusMethodNotAllowed && ct != "application/json" {
			j.t.Errorf("%s %s: 405 answered as %q", r.Method, r.URL, ct)
		}
		return // no operation to hold it to: the document says so in words
	}
	route, params, err := j.router.FindRoute(r)
	if err != nil {
		if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), `"error"`) {
			j.t.Errorf("%s %s: no operation in admin.yaml, yet answered %d %s", r.Method, r.URL, rec.Code, rec.Body)
		}
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route},
		Status:                 rec.Code,
		Header:                 rec.Header(),
		Body:                   io.NopCloser(bytes.NewReader(rec.Body.Bytes())),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		j.t.Errorf("%s %s (%s): answer %d breaks admin.yaml: %v\nbody: %.600s", r.Method, r.URL, kind, rec.Code, lumamock.Violations(err), rec.Body)
	}
	if !slices.Contains(adminapi.Servers(route.Operation), kind) && rec.Code != http.StatusNotFound {
		j.t.Errorf("%s %s answered %d on a %s server, which admin.yaml says has no %s", r.Method, r.URL, rec.Code, kind, route.Operation.OperationID)
	}
	if rec.Code < 300 {
		j.mu.Lock()
		if j.seen[kind] == nil {
			j.seen[kind] = map[string]bool{}
		}
		j.seen[kind][route.Method+" "+route.Path] = true
		j.mu.Unlock()
	}
}

// covered fails the test unless every operation kind has was answered with a success.
func (j *judge) covered(kind string) {
	ops, err := adminapi.Operations(kind)
	if err != nil {
		j.t.Fatal(err)
	}
	for _, op := range ops {
		if !j.seen[kind][op] {
			j.t.Errorf("%s: %s was never answered with a success in this test", kind, op)
		}
	}
}

// client sends admin requests as a test (or the dashboard) would.
type client struct {
	t    *testing.T
	base string
}

func (c client) do(method, path, body string, header ...string) (int, string) {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer k")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// want sends a request and fails the test unless it is answered status.
func (c client) want(status int, method, path, body string, header ...string) string {
	c.t.Helper()
	got, data := c.do(method, path, body, header...)
	if got != status {
		c.t.Errorf("%s %s: %d %s; want %d", method, path, got, data, status)
	}
	return data
}

// submit creates a task whose callbacks go to hook.
func (c client) submit(hook string, header ...string) string {
	c.t.Helper()
	body := `{"user_prompt":"a fox"`
	if hook != "" {
		body += `,"notify_hook":"` + hook + `"`
	}
	data := c.want(http.StatusOK, http.MethodPost, lumamock.PathGenerations, body+"}", header...)
	for _, key := range []string{`"task_id":"`, `"id":"`} { // envelope, or luma
		if i := strings.Index(data, key); i >= 0 {
			id, _, _ := strings.Cut(data[i+len(key):], `"`)
			return id
		}
	}
	c.t.Fatalf("no task id in %s", data)
	return ""
}

// errorCases are requests every server refuses the same way, judged by admin.yaml.
var errorCases = []struct {
	method, path string
	status       int
}{
	{http.MethodGet, "/__mock/requests?limit=abc", http.StatusBadRequest},
	{http.MethodGet, "/__mock/requests?limit=-1", http.StatusBadRequest},
	{http.MethodGet, "/__mock/callbacks?since=1&before=2", http.StatusBadRequest},
	{http.MethodGet, "/__mock/callbacks?valid=maybe", http.StatusBadRequest},
	{http.MethodGet, "/__mock/nothing", http.StatusNotFound},
	{http.MethodDelete, "/__mock/reset", http.StatusMethodNotAllowed},
}

// TestEveryAdminAnswerHoldsToAdminYAML drives every admin operation of the mock, the proxy and serve --replay,
// with successes and refusals, and holds each answer to admin.yaml with a validator of its own.
func TestEveryAdminAnswerHoldsToAdminYAML(t *testing.T) {
	j := newJudge(t)
	hook := mocktest.NewHookReceiver(t)

	// The mock.
	m, err := mock.New(mock.Options{Clock: mock.NewManualClock(mocktest.Start), Seed: 1, Pending: mock.Immediate, Processing: mock.Immediate})
	if err != nil {
		t.Fatal(err)
	}
	ms := httptest.NewServer(j.wrap(adminapi.Mock, m))
	t.Cleanup(func() { ms.Close(); m.Close() })
	mc := client{t, ms.URL}
	ended := mc.submit(hook.URL)
	open := mc.submit("", "Prefer", "pending=1h")
	mc.want(http.StatusOK, http.MethodPost, lumamock.PathGenerations, `{"user_prompt":"luma"}`, "Prefer", "code=200, schema=luma")
	mc.want(http.StatusBadRequest, http.MethodPost, lumamock.PathGenerations, `{"user_prompt":1}`)
	if err := m.WaitCallbacks(context.Background()); err != nil {
		t.Fatal(err)
	}
	mc.want(http.StatusOK, http.MethodGet, "/healthz", "")
	for _, p := range []string{"/__mock/admin.yaml", "/__mock/admin.json", "/__mock/openapi.yaml", "/__mock/openapi.json",
		"/__mock/requests", "/__mock/requests?valid=false", "/__mock/requests?task_id=" + ended, "/__mock/callbacks",
		"/__mock/callbacks?before=99&limit=1", "/__mock/tasks", "/__mock/tasks?state=pending,completed&limit=2",
		"/__mock/tasks/" + ended, "/__mock/ui", "/__mock/ui/config.json",
		"/__mock/coverage", "/__mock/coverage?ignore=*.fault.*&ignore=poll-too-fast,createGeneration.status.413"} {
		mc.want(http.StatusOK, http.MethodGet, p, "")
	}
	mc.want(http.StatusBadRequest, http.MethodGet, "/__mock/coverage?ignore=createGeneration.status.418", "")
	mc.want(http.StatusNoContent, http.MethodPost, "/__mock/coverage/reset", "")
	mc.want(http.StatusOK, http.MethodPost, "/__mock/tasks/"+open+"/fail", "")
	mc.want(http.StatusConflict, http.MethodPost, "/__mock/tasks/"+open+"/complete", "")
	mc.want(http.StatusConflict, http.MethodPost, "/__mock/tasks/"+ended+"/fail", "")
	mc.want(http.StatusNotFound, http.MethodGet, "/__mock/tasks/nope", "")
	mc.want(http.StatusBadRequest, http.MethodGet, "/__mock/tasks?state=done", "")
	// Sessions: suite-1 through its header, suite-2 through the path prefix and its admin paths.
	mc.want(http.StatusOK, http.MethodPut, "/__mock/sessions/suite-2/settings", `{"pending":"1h","schema":"luma","duplicate":1,"drop":"none","delay":"0s"}`)
	mc.want(http.StatusOK, http.MethodGet, "/__mock/sessions/suite-2/settings", "")
	mc.want(http.StatusOK, http.MethodPut, "/__mock/settings", `{}`)
	mc.want(http.StatusOK, http.MethodGet, "/__mock/settings", "")
	mc.want(http.StatusBadRequest, http.MethodPut, "/__mock/settings", `{"pending":"soon"}`)
	mc.want(http.StatusBadRequest, http.MethodPut, "/__mock/settings", `{"pending":5}`)
	mc.want(http.StatusBadRequest, http.MethodPut, "/__mock/settings", `{"speed":"fast"}`)
	one := mc.submit(hook.URL, "X-Lumamock-Session", "suite-1", "Prefer", "pending=1h")
	two := mc.submit("", "X-Lumamock-Session", "suite-2")
	mc.want(http.StatusOK, http.MethodPost, "/__session/suite-2/luma/generations", `{"user_prompt":"p"}`)
	for _, p := range []string{"/__mock/sessions", "/__mock/sessions/suite-1", "/__mock/sessions/suite-1/tasks",
		"/__mock/sessions/suite-1/tasks?limit=1", "/__mock/sessions/suite-1/tasks/" + one, "/__mock/sessions/suite-1/requests",
		"/__mock/sessions/suite-1/callbacks", "/__mock/tasks/" + one, "/__mock/sessions/suite-1/coverage",
		"/__mock/sessions/suite-1/coverage?ignore=*.fault.*", "/__mock/coverage?ignore=outcome.*"} {
		want := http.StatusOK
		if p == "/__mock/tasks/"+one {
			want = http.StatusNotFound // a task is visible only in its own session
		}
		mc.want(want, http.MethodGet, p, "")
	}
	mc.want(http.StatusOK, http.MethodGet, "/__mock/tasks/"+one, "", "X-Lumamock-Session", "suite-1")
	mc.want(http.StatusBadRequest, http.MethodGet, "/__mock/sessions/suite-1/tasks", "", "X-Lumamock-Session", "suite-2")
	mc.want(http.StatusBadRequest, http.MethodGet, "/__mock/sessions/a%20b/tasks", "")
	mc.want(http.StatusBadRequest, http.MethodGet, "/__mock/tasks", "", "X-Lumamock-Session", "a/b")
	mc.want(http.StatusNotFound, http.MethodGet, "/__mock/sessions/nobody/tasks", "")
	mc.want(http.StatusNotFound, http.MethodGet, "/__mock/sessions/nobody", "")
	mc.want(http.StatusNotFound, http.MethodGet, "/__mock/sessions/nobody/coverage", "")
	mc.want(http.StatusBadRequest, http.MethodGet, "/__mock/sessions/suite-1/coverage?ignore=nothing", "")
	mc.want(http.StatusNoContent, http.MethodPost, "/__mock/sessions/suite-1/coverage/reset", "")
	mc.want(http.StatusNotFound, http.MethodDelete, "/__mock/sessions/nobody", "")
	mc.want(http.StatusOK, http.MethodPost, "/__mock/sessions/suite-1/tasks/"+one+"/complete", "")
	mc.want(http.StatusOK, http.MethodPost, "/__mock/sessions/suite-2/tasks/"+two+"/fail", "")
	mc.want(http.StatusOK, http.MethodPost, "/__mock/sessions/suite-1/clock", `{"advance":"5s"}`)
	mc.want(http.StatusOK, http.MethodPost, "/__mock/sessions/suite-3/clock", `{"freeze":true,"advance":"1m"}`)
	mc.want(http.StatusOK, http.MethodGet, "/__mock/sessions/suite-3/clock", "")
	mc.want(http.StatusOK, http.MethodPost, "/__mock/clock", `{"freeze":false}`)
	mc.want(http.StatusOK, http.MethodGet, "/__mock/clock", "")
	for _, bad := range []string{`{"advance":"-1s"}`, `{"advance":"25h"}`, `{"advance":"soon"}`, `{}`, `{"advance":5}`, `{"rewind":"1s"}`} {
		mc.want(http.StatusBadRequest, http.MethodPost, "/__mock/clock", bad)
	}
	mc.want(http.StatusNoContent, http.MethodPost, "/__mock/sessions/suite-2/reset", "")
	mc.want(http.StatusNoContent, http.MethodDelete, "/__mock/sessions/suite-2", "")
	last := mc.submit("", "Prefer", "pending=1h")
	mc.want(http.StatusOK, http.MethodPost, "/__mock/tasks/"+last+"/complete", "")
	mc.want(http.StatusNoContent, http.MethodPost, "/__mock/reset", "")
	for _, c := range errorCases {
		mc.want(c.status, c.method, c.path, "")
	}
	j.covered(adminapi.Mock)

	// The proxy, relaying callbacks and recording a cassette, in front of a mock.
	up, err := mock.New(mock.Options{Seed: 2, Pending: mock.Immediate, Processing: mock.Immediate})
	if err != nil {
		t.Fatal(err)
	}
	us := httptest.NewServer(up)
	t.Cleanup(func() { us.Close(); up.Close() })
	dir := t.TempDir()
	recorder, err := cassette.NewRecorder(dir)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pURL := "http://" + ln.Addr().String()
	p, err := proxy.New(proxy.Options{Upstream: us.URL, HookRelay: true, HookURL: pURL, Recorder: recorder})
	if err != nil {
		t.Fatal(err)
	}
	ps := &httptest.Server{Listener: ln, Config: &http.Server{Handler: j.wrap(adminapi.Proxy, p)}}
	ps.Start()
	t.Cleanup(ps.Close)
	pc := client{t, pURL}
	before := len(hook.Deliveries())
	pc.submit(hook.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := hook.Wait(ctx, before+2); err != nil { // processing and completed, relayed
		t.Fatal(err)
	}
	for _, p := range []string{"/healthz", "/__mock/admin.yaml", "/__mock/admin.json", "/__mock/requests", "/__mock/requests?valid=true",
		"/__mock/callbacks", "/__mock/callbacks?limit=1", "/__mock/ui", "/__mock/ui/config.json"} {
		pc.want(http.StatusOK, http.MethodGet, p, "")
	}
	pc.want(http.StatusNotFound, http.MethodGet, "/__mock/tasks", "")
	pc.want(http.StatusNotFound, http.MethodGet, "/__mock/coverage", "")
	pc.want(http.StatusNoContent, http.MethodPost, "/__mock/reset", "")
	for _, c := range errorCases {
		pc.want(c.status, c.method, c.path, "")
	}
	j.covered(adminapi.Proxy)

	// serve --replay: the cassette just recorded, in front of a mock.
	fallback, err := mock.New(mock.Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	rp, err := cassette.NewReplayer(dir, fallback)
	if err != nil {
		t.Fatal(err)
	}
	rs := httptest.NewServer(j.wrap(adminapi.Replay, rp))
	t.Cleanup(func() { rs.Close(); rp.Close(); fallback.Close() })
	rc := client{t, rs.URL}
	rc.submit("")
	rc.want(http.StatusOK, http.MethodGet, "/__mock/replay", "")
	rc.want(http.StatusOK, http.MethodGet, "/__mock/replay?before=5&limit=1", "")
	rc.want(http.StatusBadRequest, http.MethodGet, "/__mock/replay?limit=x", "")
	j.covered(adminapi.Replay)
}

// TestABadLimitIsRefusedOneWayEverywhere: the mock, the proxy and serve --replay answer a bad limit with the
// same 400, word for word.
func TestABadLimitIsRefusedOneWayEverywhere(t *testing.T) {
	m, ps, rs := threeAdmins(t)
	var answers []string
	for _, u := range []string{m.URL + "/__mock/requests", ps.URL + "/__mock/requests", m.URL + "/__mock/callbacks", ps.URL + "/__mock/callbacks", rs.URL + "/__mock/replay", rs.URL + "/__mock/requests"} {
		status, body := client{t, ""}.do(http.MethodGet, u+"?limit=ten", "")
		answers = append(answers, fmt.Sprint(status, " ", body))
	}
	for _, a := range answers[1:] {
		if a != answers[0] {
			t.Errorf("answers differ:\n%s", strings.Join(answers, ""))
			break
		}
	}
	if !strings.HasPrefix(answers[0], "400 ") || !strings.Contains(answers[0], "query parameter limit:") || !strings.Contains(answers[0], `"field":"limit"`) {
		t.Errorf("answer %s; want a 400 naming the query parameter limit", answers[0])
	}
}

// TestTwoSessionHeadersAreRefusedEverywhere: the mock, the proxy and serve --replay answer an admin request with
// two X-Lumamock-Session headers naming two sessions with a 400 naming the header, and take two naming one
// session as that session.
func TestTwoSessionHeadersAreRefusedEverywhere(t *testing.T) {
	m, ps, rs := threeAdmins(t)
	send := func(u string, sessions ...string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sessions {
			req.Header.Add(adminapi.HeaderSession, s)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	for _, u := range []string{m.URL + "/__mock/requests", ps.URL + "/__mock/requests", rs.URL + "/__mock/replay", rs.URL + "/__mock/requests"} {
		if status, body := send(u, "a", "b"); status != http.StatusBadRequest || !strings.Contains(body, `"field":"X-Lumamock-Session"`) {
			t.Errorf("GET %s with two session headers: %d %s; want a 400 naming the header", u, status, body)
		}
		if status, body := send(u, "default", "default"); status != http.StatusOK {
			t.Errorf("GET %s with a session header twice: %d %s; want 200", u, status, body)
		}
	}
}

// threeAdmins starts the three servers of the admin API, closed when the test ends: a mock, a proxy (whose
// upstream, on loopback, admin requests never reach) and serve --replay of an empty cassette over the mock.
func threeAdmins(t *testing.T) (m *mocktest.Server, ps, rs *httptest.Server) {
	t.Helper()
	m = mocktest.NewServer(t, mock.Options{})
	p, err := proxy.New(proxy.Options{Upstream: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	ps = httptest.NewServer(p)
	t.Cleanup(ps.Close)
	rp, err := cassette.NewReplayer(t.TempDir(), m.Mock)
	if err != nil {
		t.Fatal(err)
	}
	rs = httptest.NewServer(rp)
	t.Cleanup(func() { rs.Close(); rp.Close() })
	return m, ps, rs
}

package mock_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/internal/requestcases"
	"github.com/lumamock/lumamock/mock"
)

// TestBadRequests sends requests that break the document in every way the issue lists and checks each gets the
// right 4xx, in the error shape, naming the field or header at fault.
func TestBadRequests(t *testing.T) {
	servers := map[lumamock.Shape]*httptest.Server{
		lumamock.ShapeEnvelope: newServer(t, mock.Options{MaxBody: requestcases.MaxBody}),
		lumamock.ShapeLuma:     newServer(t, mock.Options{MaxBody: requestcases.MaxBody, Schema: lumamock.ShapeLuma}),
	}
	type testCase struct {
		name   string
		call   call
		status int
		in     string // violation location, "" when the answer has no errors list
		field  string // the field or header the error must name
	}
	// The document's refusals, shared with the proxy's and the checker's tests, then the mock's own.
	var tests []testCase
	for _, c := range requestcases.Refused() {
		tests = append(tests, testCase{c.Name, call{method: c.Method, path: c.Path, header: c.Header, body: c.Body}, c.Status, c.In, c.Field})
	}
	tests = append(tests, []testCase{
		{"wrong key", call{body: sourceExample, header: map[string]string{"Authorization": "Bearer nope"}}, 401, "header", "Authorization"},
		{"unknown task", call{method: http.MethodGet, path: "/luma/generations/no-such-task"}, 404, "path", "task_id"},
		{"GET Prefer malformed", call{method: http.MethodGet, path: "/luma/generations/no-such-task", header: map[string]string{"Prefer": "code=abc"}}, 400, "header", "Prefer"},
		{"GET Prefer code=400", call{method: http.MethodGet, path: "/luma/generations/no-such-task", header: map[string]string{"Prefer": "code=400"}}, 400, "", "400"},
		{"Prefer code not a number", call{body: sourceExample, header: map[string]string{"Prefer": "code=abc"}}, 400, "header", "Prefer"},
		{"Prefer code undocumented", call{body: sourceExample, header: map[string]string{"Prefer": "code=418"}}, 400, "header", "Prefer"},
		{"Prefer schema unknown", call{body: sourceExample, header: map[string]string{"Prefer": "schema=xml"}}, 400, "header", "Prefer"},
		{"Prefer delay negative", call{body: sourceExample, header: map[string]string{"Prefer": "delay=-1s"}}, 400, "header", "Prefer"},
		{"Prefer delay too long", call{body: sourceExample, header: map[string]string{"Prefer": "delay=2h"}}, 400, "header", "Prefer"},
		{"Prefer unbalanced quote", call{body: sourceExample, header: map[string]string{"Prefer": `schema="luma`}}, 400, "header", "Prefer"},
		{"Prefer outcome unknown", call{body: sourceExample, header: map[string]string{"Prefer": "outcome=exploded"}}, 400, "header", "Prefer"},
	}...)
	for _, tt := range tests {
		for _, shape := range []lumamock.Shape{lumamock.ShapeEnvelope, lumamock.ShapeLuma} {
			t.Run(fmt.Sprintf("%s/%s", tt.name, shape), func(t *testing.T) {
				resp := send(t, servers[shape], tt.call)
				if resp.status != tt.status {
					t.Fatalf("status = %d, want %d\n%s", resp.status, tt.status, resp.body)
				}
				if tt.call.method == http.MethodHead {
					return // no body, by definition
				}
				errBody := checkErrorShape(t, resp, shape)
				if tt.status != 404 && tt.status != 405 {
					validateResponse(t, resp) // 404/405 of unknown paths/methods have no operation to check against
				}
				if tt.in == "" {
					if !strings.Contains(string(resp.body), tt.field) {
						t.Errorf("error does not name %q:\n%s", tt.field, resp.body)
					}
					return
				}
				var fields []string
				for _, v := range errBody.errors {
					if v.In == tt.in {
						fields = append(fields, v.Field)
					}
					if v.Rule == "" || v.Message == "" {
						t.Errorf("violation without rule or message: %+v", v)
					}
				}
				if !slices.Contains(fields, tt.field) {
					t.Errorf("errors name %s fields %q, want %q\n%s", tt.in, fields, tt.field, resp.body)
				}
			})
		}
	}
}

// TestAllViolationsReported proves validation reports every violation at once, not just the first.
func TestAllViolationsReported(t *testing.T) {
	ts := newServer(t, mock.Options{})
	resp := send(t, ts, call{body: `{"user_prompt": "", "loop": "no", "resolution": "8k", "duration": 5, "image_url": "x", "notify_hook": "y"}`})
	if resp.status != 400 {
		t.Fatalf("status = %d, want 400", resp.status)
	}
	got := map[string]string{}
	for _, v := range checkErrorShape(t, resp, lumamock.ShapeEnvelope).errors {
		got[v.Field] = v.Rule
	}
	want := map[string]string{"/user_prompt": "minLength", "/loop": "type", "/resolution": "enum", "/duration": "type", "/image_url": "pattern", "/notify_hook": "pattern"}
	for field, rule := range want {
		if got[field] != rule {
			t.Errorf("violation of %s: rule %q, want %q (all: %v)", field, got[field], rule, got)
		}
	}
}

// TestGoodRequestVariants covers requests the document allows that a strict parser might wrongly refuse.
func TestGoodRequestVariants(t *testing.T) {
	ts := newServer(t, mock.Options{})
	full := `{"user_prompt": "wind", "expand_prompt": true, "loop": false, "image_url": "https://example.com/a.png",
		"image_end_url": "data:image/png;base64,iVBORw0KGgo=", "notify_hook": "http://127.0.0.1:1/hook",
		"resolution": "1080p", "duration": "5s", "model_name": "ray-v1"}`
	tests := []struct {
		name string
		call call
	}{
		{"source example", call{body: sourceExample}},
		{"only user_prompt", call{body: `{"user_prompt": "wind"}`}},
		{"every field", call{body: full}},
		{"no Accept", call{body: sourceExample, header: map[string]string{"Accept": ""}}},
		{"Accept */*", call{body: sourceExample, header: map[string]string{"Accept": "*/*"}}},
		{"Accept application/*", call{body: sourceExample, header: map[string]string{"Accept": "text/html, application/*;q=0.5"}}},
		{"charset utf-8", call{body: sourceExample, header: map[string]string{"Content-Type": "application/json; charset=UTF-8"}}},
		{"lowercase bearer", call{body: sourceExample, header: map[string]string{"Authorization": "bearer " + testKey}}},
		{"unknown preference ignored", call{body: sourceExample, header: map[string]string{"Prefer": "respond-async, wait=10, handling=lenient"}}},
		{"Prefer code=200 answers normally", call{body: sourceExample, header: map[string]string{"Prefer": "code=200"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := send(t, ts, tt.call)
			if resp.status != 200 {
				t.Fatalf("status = %d, want 200\n%s", resp.status, resp.body)
			}
			validateResponse(t, resp)
		})
	}
}

// TestEmptyAPIKeysAcceptAnyToken checks the zero Options accept any non-empty bearer token.
func TestEmptyAPIKeysAcceptAnyToken(t *testing.T) {
	ts := newServer(t, mock.Options{APIKeys: []string{}})
	if resp := send(t, ts, call{body: sourceExample, header: map[string]string{"Authorization": "Bearer anything"}}); resp.status != 200 {
		t.Errorf("any token: status %d, want 200", resp.status)
	}
	if resp := send(t, ts, call{body: sourceExample, header: map[string]string{"Authorization": ""}}); resp.status != 401 {
		t.Errorf("no token: status %d, want 401", resp.status)
	}
}

// errorBody is an error answer decoded from either shape.
type errorBody struct {
	status    int
	reason    string
	requestID string
	errors    []lumamock.Violation
}

// checkErrorShape checks resp is an error in shape, with the request id in body and header, and decodes it.
func checkErrorShape(t *testing.T, resp response, shape lumamock.Shape) errorBody {
	t.Helper()
	if ct := resp.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var got errorBody
	v := decode(t, resp.body)
	switch shape {
	case lumamock.ShapeLuma:
		var e lumamock.LumaError
		strictDecode(t, resp.body, &e)
		got = errorBody{e.Detail.Code, e.Detail.Reason, e.RequestID, e.Errors}
		if _, ok := v["detail"].(map[string]any); !ok {
			t.Errorf("luma error without a detail object: %s", resp.body)
		}
	default:
		var e lumamock.EnvelopeError
		strictDecode(t, resp.body, &e)
		got = errorBody{e.Code, e.Message, e.RequestID, e.Errors}
	}
	if got.status != resp.status {
		t.Errorf("error code %d, HTTP status %d", got.status, resp.status)
	}
	if got.reason == "" {
		t.Error("error without a reason")
	}
	if id := resp.header.Get("X-Request-Id"); id == "" || id != got.requestID {
		t.Errorf("X-Request-Id %q, body request_id %q: want the same, non-empty", id, got.requestID)
	}
	switch resp.status {
	case 401:
		if !strings.HasPrefix(resp.header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("401 without WWW-Authenticate: Bearer (got %q)", resp.header.Get("WWW-Authenticate"))
		}
	case 405:
		if resp.header.Get("Allow") == "" {
			t.Error("405 without Allow")
		}
	case 429, 503:
		if resp.header.Get("Retry-After") == "" {
			t.Errorf("%d without Retry-After", resp.status)
		}
	}
	return got
}

// TestHeadWorksWhereGetDoes: HEAD on the task URL answers what GET does, without a body (RFC 9110 §9.3.2), and
// a path without GET answers HEAD with 405.
func TestHeadWorksWhereGetDoes(t *testing.T) {
	ts := newServer(t, mock.Options{})
	created := send(t, ts, call{body: sourceExample})
	id := taskIDOf(t, created.body)
	get := send(t, ts, call{method: http.MethodGet, path: "/luma/generations/" + id})
	head := send(t, ts, call{method: http.MethodHead, path: "/luma/generations/" + id})
	if head.status != http.StatusOK || len(head.body) != 0 || head.header.Get("Content-Type") != get.header.Get("Content-Type") {
		t.Errorf("HEAD: %d %q %q, want 200, no body and GET's Content-Type %q", head.status, head.body, head.header.Get("Content-Type"), get.header.Get("Content-Type"))
	}
	if missing := send(t, ts, call{method: http.MethodHead, path: "/luma/generations/no-such-task"}); missing.status != http.StatusNotFound {
		t.Errorf("HEAD of an unknown task: %d, want 404", missing.status)
	}
	post := send(t, ts, call{method: http.MethodHead, path: lumamock.PathGenerations})
	if post.status != http.StatusMethodNotAllowed || post.header.Get("Allow") != "POST" {
		t.Errorf("HEAD %s: %d Allow %q, want 405 Allow POST", lumamock.PathGenerations, post.status, post.header.Get("Allow"))
	}
	wrong := send(t, ts, call{method: http.MethodDelete, path: "/luma/generations/" + id})
	if wrong.status != http.StatusMethodNotAllowed || wrong.header.Get("Allow") != "GET, HEAD" {
		t.Errorf("DELETE: %d Allow %q, want 405 Allow GET, HEAD", wrong.status, wrong.header.Get("Allow"))
	}
}

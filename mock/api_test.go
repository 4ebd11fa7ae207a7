package mock_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
)

// TestBadRequests sends requests that break the document in every way the issue lists and checks each gets the
// right 4xx, in the error shape, naming the field or header at fault.
func TestBadRequests(t *testing.T) {
	servers := map[lumamock.Shape]*httptest.Server{
		lumamock.ShapeEnvelope: newServer(t, mock.Options{MaxBody: 64 << 10}),
		lumamock.ShapeLuma:     newServer(t, mock.Options{MaxBody: 64 << 10, Schema: lumamock.ShapeLuma}),
	}
	body := func(extra string) string { return `{"user_prompt": "wind", ` + extra + `}` }
	tests := []struct {
		name   string
		call   call
		status int
		in     string // violation location, "" when the answer has no errors list
		field  string // the field or header the error must name
	}{
		{"user_prompt number", call{body: `{"user_prompt": 42}`}, 400, "body", "/user_prompt"},
		{"user_prompt empty", call{body: `{"user_prompt": ""}`}, 400, "body", "/user_prompt"},
		{"user_prompt missing", call{body: `{"model_name": "ray-v2"}`}, 400, "body", "/user_prompt"},
		{"user_prompt null", call{body: `{"user_prompt": null}`}, 400, "body", "/user_prompt"},
		{"expand_prompt string", call{body: body(`"expand_prompt": "yes"`)}, 400, "body", "/expand_prompt"},
		{"loop number", call{body: body(`"loop": 1`)}, 400, "body", "/loop"},
		{"image_url number", call{body: body(`"image_url": 5`)}, 400, "body", "/image_url"},
		{"image_url ftp", call{body: body(`"image_url": "ftp://example.com/a.png"`)}, 400, "body", "/image_url"},
		{"image_url bare base64", call{body: body(`"image_url": "iVBORw0KGgo="`)}, 400, "body", "/image_url"},
		{"image_end_url bool", call{body: body(`"image_end_url": true`)}, 400, "body", "/image_end_url"},
		{"image_end_url text data URI", call{body: body(`"image_end_url": "data:text/plain;base64,aGk="`)}, 400, "body", "/image_end_url"},
		{"notify_hook array", call{body: body(`"notify_hook": []`)}, 400, "body", "/notify_hook"},
		{"notify_hook not a URL", call{body: body(`"notify_hook": "call me maybe"`)}, 400, "body", "/notify_hook"},
		{"notify_hook file scheme", call{body: body(`"notify_hook": "file:///etc/passwd"`)}, 400, "body", "/notify_hook"},
		{"resolution number", call{body: body(`"resolution": 720`)}, 400, "body", "/resolution"},
		{"resolution unknown", call{body: body(`"resolution": "4k"`)}, 400, "body", "/resolution"},
		{"duration number", call{body: body(`"duration": 5`)}, 400, "body", "/duration"},
		{"duration unknown", call{body: body(`"duration": "10s"`)}, 400, "body", "/duration"},
		{"model_name unknown", call{body: body(`"model_name": "ray-v3"`)}, 400, "body", "/model_name"},
		{"model_name object", call{body: body(`"model_name": {}`)}, 400, "body", "/model_name"},
		{"malformed JSON", call{body: `{"user_prompt": }`}, 400, "body", ""},
		{"truncated JSON", call{body: `{"user_prompt": "wind"`}, 400, "body", ""},
		{"invalid UTF-8", call{body: "{\"user_prompt\": \"wind\xff\"}"}, 400, "body", ""},
		{"gzip Content-Encoding", call{body: sourceExample, header: map[string]string{"Content-Encoding": "gzip"}}, 415, "header", "Content-Encoding"},
		{"trailing garbage", call{body: `{"user_prompt": "wind"} {"user_prompt": "rain"}`}, 400, "body", ""},
		{"JSON array", call{body: `["wind"]`}, 400, "body", ""},
		{"JSON string", call{body: `"wind"`}, 400, "body", ""},
		{"empty body", call{header: map[string]string{"Content-Type": "application/json"}}, 400, "body", ""},
		{"text/plain", call{body: sourceExample, header: map[string]string{"Content-Type": "text/plain"}}, 415, "header", "Content-Type"},
		{"no Content-Type", call{body: sourceExample, header: map[string]string{"Content-Type": ""}}, 415, "header", "Content-Type"},
		{"form Content-Type", call{body: "user_prompt=wind", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 415, "header", "Content-Type"},
		{"latin1 charset", call{body: sourceExample, header: map[string]string{"Content-Type": "application/json; charset=iso-8859-1"}}, 415, "header", "Content-Type"},
		{"garbled Content-Type", call{body: sourceExample, header: map[string]string{"Content-Type": "application/json; ;;="}}, 415, "header", "Content-Type"},
		{"no Authorization", call{body: sourceExample, header: map[string]string{"Authorization": ""}}, 401, "header", "Authorization"},
		{"Basic auth", call{body: sourceExample, header: map[string]string{"Authorization": "Basic dXNlcjpwYXNz"}}, 401, "header", "Authorization"},
		{"Bearer without token", call{body: sourceExample, header: map[string]string{"Authorization": "Bearer"}}, 401, "header", "Authorization"},
		{"garbled Authorization", call{body: sourceExample, header: map[string]string{"Authorization": "Bearer:" + testKey}}, 401, "header", "Authorization"},
		{"wrong key", call{body: sourceExample, header: map[string]string{"Authorization": "Bearer nope"}}, 401, "header", "Authorization"},
		{"Accept html", call{body: sourceExample, header: map[string]string{"Accept": "text/html"}}, 406, "header", "Accept"},
		{"Accept json q=0", call{body: sourceExample, header: map[string]string{"Accept": "application/json;q=0, text/html"}}, 406, "header", "Accept"},
		{"oversized body", call{body: `{"user_prompt": "` + strings.Repeat("a", 70<<10) + `"}`}, 413, "body", ""},
		{"DELETE generations", call{method: http.MethodDelete}, 405, "", lumamock.PathGenerations},
		{"PUT a task", call{method: http.MethodPut, path: "/luma/generations/abc", body: sourceExample}, 405, "", "/luma/generations/abc"},
		{"unknown path", call{method: http.MethodGet, path: "/luma/generation"}, 404, "", "/luma/generation"},
		{"unknown task", call{method: http.MethodGet, path: "/luma/generations/no-such-task"}, 404, "path", "task_id"},
		{"Prefer code not a number", call{body: sourceExample, header: map[string]string{"Prefer": "code=abc"}}, 400, "header", "Prefer"},
		{"Prefer code undocumented", call{body: sourceExample, header: map[string]string{"Prefer": "code=418"}}, 400, "header", "Prefer"},
		{"Prefer schema unknown", call{body: sourceExample, header: map[string]string{"Prefer": "schema=xml"}}, 400, "header", "Prefer"},
		{"Prefer delay negative", call{body: sourceExample, header: map[string]string{"Prefer": "delay=-1s"}}, 400, "header", "Prefer"},
		{"Prefer delay too long", call{body: sourceExample, header: map[string]string{"Prefer": "delay=2h"}}, 400, "header", "Prefer"},
		{"Prefer unbalanced quote", call{body: sourceExample, header: map[string]string{"Prefer": `schema="luma`}}, 400, "header", "Prefer"},
		{"Prefer outcome unknown", call{body: sourceExample, header: map[string]string{"Prefer": "outcome=exploded"}}, 400, "header", "Prefer"},
	}
	for _, tt := range tests {
		for _, shape := range []lumamock.Shape{lumamock.ShapeEnvelope, lumamock.ShapeLuma} {
			t.Run(fmt.Sprintf("%s/%s", tt.name, shape), func(t *testing.T) {
				resp := send(t, servers[shape], tt.call)
				if resp.status != tt.status {
					t.Fatalf("status = %d, want %d\n%s", resp.status, tt.status, resp.body)
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

// Package requestcases is the table of requests the API document refuses, each with the status and the field it
// implies, shared by the tests of everything that judges requests (the mock, the proxy, the checker), so that
// they are held to the same cases.
package requestcases

import (
	"net/http"
	"strings"

	"github.com/lumamock/lumamock"
)

// Key is the API key the cases send; servers under test accept it.
const Key = "test-key-9f2c"

// MaxBody is the body limit the servers under test are given, so that the oversized case stays small.
const MaxBody = 64 << 10

// Example is the source's example request body.
const Example = `{"user_prompt": "一阵风吹过树林,使女人的面纱微微飘动。", "model_name": "ray-v2", "duration": "5s", "resolution": "720p"}`

// Case is one request and what the document implies for it.
type Case struct {
	Name   string
	Method string            // POST when empty
	Path   string            // lumamock.PathGenerations when empty
	Header map[string]string // over the well-behaved defaults (Authorization, Accept, Content-Type); "" deletes
	Body   string
	// Status is the status the document implies; In and Field name the violation the refusal must carry ("" In
	// when the answer has no violations, as for 404 and 405; Field then is text the message must name).
	Status int
	In     string
	Field  string
}

// Request builds c's request against base, with the headers a well-behaved client sends unless c overrides
// them.
func (c Case) Request(base string) (*http.Request, error) {
	method, path := c.Method, c.Path
	if method == "" {
		method = http.MethodPost
	}
	if path == "" {
		path = lumamock.PathGenerations
	}
	var body *strings.Reader
	if c.Body != "" {
		body = strings.NewReader(c.Body)
	}
	var req *http.Request
	var err error
	if body != nil {
		req, err = http.NewRequest(method, base+path, body)
	} else {
		req, err = http.NewRequest(method, base+path, nil)
	}
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+Key)
	req.Header.Set("Accept", "application/json")
	if c.Body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.Header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	return req, nil
}

// Refused lists the requests the document refuses, each for one reason.
func Refused() []Case {
	body := func(extra string) string { return `{"user_prompt": "wind", ` + extra + `}` }
	h := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	return []Case{
		{Name: "user_prompt number", Body: `{"user_prompt": 42}`, Status: 400, In: "body", Field: "/user_prompt"},
		{Name: "user_prompt empty", Body: `{"user_prompt": ""}`, Status: 400, In: "body", Field: "/user_prompt"},
		{Name: "user_prompt missing", Body: `{"model_name": "ray-v2"}`, Status: 400, In: "body", Field: "/user_prompt"},
		{Name: "user_prompt null", Body: `{"user_prompt": null}`, Status: 400, In: "body", Field: "/user_prompt"},
		{Name: "expand_prompt string", Body: body(`"expand_prompt": "yes"`), Status: 400, In: "body", Field: "/expand_prompt"},
		{Name: "loop number", Body: body(`"loop": 1`), Status: 400, In: "body", Field: "/loop"},
		{Name: "image_url number", Body: body(`"image_url": 5`), Status: 400, In: "body", Field: "/image_url"},
		{Name: "image_url ftp", Body: body(`"image_url": "ftp://example.com/a.png"`), Status: 400, In: "body", Field: "/image_url"},
		{Name: "image_url bare base64", Body: body(`"image_url": "iVBORw0KGgo="`), Status: 400, In: "body", Field: "/image_url"},
		{Name: "image_end_url bool", Body: body(`"image_end_url": true`), Status: 400, In: "body", Field: "/image_end_url"},
		{Name: "image_end_url text data URI", Body: body(`"image_end_url": "data:text/plain;base64,aGk="`), Status: 400, In: "body", Field: "/image_end_url"},
		{Name: "notify_hook array", Body: body(`"notify_hook": []`), Status: 400, In: "body", Field: "/notify_hook"},
		{Name: "notify_hook not a URL", Body: body(`"notify_hook": "call me maybe"`), Status: 400, In: "body", Field: "/notify_hook"},
		{Name: "notify_hook file scheme", Body: body(`"notify_hook": "file:///etc/passwd"`), Status: 400, In: "body", Field: "/notify_hook"},
		{Name: "resolution number", Body: body(`"resolution": 720`), Status: 400, In: "body", Field: "/resolution"},
		{Name: "resolution unknown", Body: body(`"resolution": "4k"`), Status: 400, In: "body", Field: "/resolution"},
		{Name: "duration number", Body: body(`"duration": 5`), Status: 400, In: "body", Field: "/duration"},
		{Name: "duration unknown", Body: body(`"duration": "10s"`), Status: 400, In: "body", Field: "/duration"},
		// A property with a default is still not nullable: null is not "absent, take the default".
		{Name: "resolution null", Body: body(`"resolution": null`), Status: 400, In: "body", Field: "/resolution"},
		{Name: "duration null", Body: body(`"duration": null`), Status: 400, In: "body", Field: "/duration"},
		{Name: "model_name null", Body: body(`"model_name": null`), Status: 400, In: "body", Field: "/model_name"},
		{Name: "model_name unknown", Body: body(`"model_name": "ray-v3"`), Status: 400, In: "body", Field: "/model_name"},
		{Name: "model_name object", Body: body(`"model_name": {}`), Status: 400, In: "body", Field: "/model_name"},
		{Name: "malformed JSON", Body: `{"user_prompt": }`, Status: 400, In: "body", Field: ""},
		{Name: "truncated JSON", Body: `{"user_prompt": "wind"`, Status: 400, In: "body", Field: ""},
		{Name: "invalid UTF-8", Body: "{\"user_prompt\": \"wind\xff\"}", Status: 400, In: "body", Field: ""},
		{Name: "gzip Content-Encoding", Body: Example, Header: h("Content-Encoding", "gzip"), Status: 415, In: "header", Field: "Content-Encoding"},
		{Name: "trailing garbage", Body: `{"user_prompt": "wind"} {"user_prompt": "rain"}`, Status: 400, In: "body", Field: ""},
		{Name: "JSON array", Body: `["wind"]`, Status: 400, In: "body", Field: ""},
		{Name: "JSON string", Body: `"wind"`, Status: 400, In: "body", Field: ""},
		{Name: "empty body", Header: h("Content-Type", "application/json"), Status: 400, In: "body", Field: ""},
		{Name: "text/plain", Body: Example, Header: h("Content-Type", "text/plain"), Status: 415, In: "header", Field: "Content-Type"},
		{Name: "no Content-Type", Body: Example, Header: h("Content-Type", ""), Status: 415, In: "header", Field: "Content-Type"},
		{Name: "form Content-Type", Body: "user_prompt=wind", Header: h("Content-Type", "application/x-www-form-urlencoded"), Status: 415, In: "header", Field: "Content-Type"},
		{Name: "latin1 charset", Body: Example, Header: h("Content-Type", "application/json; charset=iso-8859-1"), Status: 415, In: "header", Field: "Content-Type"},
		{Name: "garbled Content-Type", Body: Example, Header: h("Content-Type", "application/json; ;;="), Status: 415, In: "header", Field: "Content-Type"},
		{Name: "no Authorization", Body: Example, Header: h("Authorization", ""), Status: 401, In: "header", Field: "Authorization"},
		{Name: "Basic auth", Body: Example, Header: h("Authorization", "Basic dXNlcjpwYXNz"), Status: 401, In: "header", Field: "Authorization"},
		{Name: "Bearer without token", Body: Example, Header: h("Authorization", "Bearer"), Status: 401, In: "header", Field: "Authorization"},
		{Name: "garbled Authorization", Body: Example, Header: h("Authorization", "Bearer:"+Key), Status: 401, In: "header", Field: "Authorization"},
		{Name: "Accept html", Body: Example, Header: h("Accept", "text/html"), Status: 406, In: "header", Field: "Accept"},
		{Name: "Accept json q=0", Body: Example, Header: h("Accept", "application/json;q=0, text/html"), Status: 406, In: "header", Field: "Accept"},
		{Name: "Accept json q=0 beside */*", Body: Example, Header: h("Accept", "application/json;q=0, */*;q=0.1"), Status: 406, In: "header", Field: "Accept"},
		{Name: "oversized body", Body: `{"user_prompt": "` + strings.Repeat("a", MaxBody+(6<<10)) + `"}`, Status: 413, In: "body", Field: ""},
		{Name: "DELETE generations", Method: http.MethodDelete, Status: 405, Field: lumamock.PathGenerations},
		{Name: "HEAD generations", Method: http.MethodHead, Status: 405, Field: ""},
		{Name: "PUT a task", Method: http.MethodPut, Path: "/luma/generations/abc", Body: Example, Status: 405, Field: "/luma/generations/abc"},
		{Name: "unknown path", Method: http.MethodGet, Path: "/luma/generation", Status: 404, Field: "/luma/generation"},
		{Name: "task id too long", Method: http.MethodGet, Path: "/luma/generations/" + strings.Repeat("x", 129), Status: 400, In: "path", Field: "task_id"},
		{Name: "GET without Authorization", Method: http.MethodGet, Path: "/luma/generations/abc", Header: h("Authorization", ""), Status: 401, In: "header", Field: "Authorization"},
		{Name: "GET Accept html", Method: http.MethodGet, Path: "/luma/generations/abc", Header: h("Accept", "text/html"), Status: 406, In: "header", Field: "Accept"},
	}
}

// Admitted lists requests the document allows, as controls.
func Admitted() []Case {
	return []Case{
		{Name: "source example", Body: Example, Status: 200},
		{Name: "all fields", Body: `{"user_prompt": "wind", "expand_prompt": true, "loop": false, "image_url": "https://example.com/a.png", "resolution": "1080p", "duration": "5s", "model_name": "ray-v2"}`, Status: 200},
		{Name: "charset utf-8", Body: Example, Header: map[string]string{"Content-Type": "application/json; charset=UTF-8"}, Status: 200},
		{Name: "Accept */*", Body: Example, Header: map[string]string{"Accept": "*/*"}, Status: 200},
		{Name: "no Accept", Body: Example, Header: map[string]string{"Accept": ""}, Status: 200},
	}
}

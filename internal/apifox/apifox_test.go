package apifox

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v4"
)

const sourcePage = "testdata/luma-generations.apifox.txt"

func readPage(tb testing.TB) []byte {
	tb.Helper()
	data, err := os.ReadFile(sourcePage)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

func TestParseSourcePage(t *testing.T) {
	p, err := Parse(readPage(t))
	if err != nil {
		t.Fatal(err)
	}
	if p.Title != "提交生成视频任务" || p.Method != "POST" || p.Path != "/luma/generations" {
		t.Errorf("title, method, path = %q %q %q", p.Title, p.Method, p.Path)
	}
	var headers []string
	for _, prm := range p.Params {
		if prm.In != "header" || !prm.Required {
			t.Errorf("param %+v: want a required header", prm)
		}
		headers = append(headers, prm.Name+": "+prm.Sample)
	}
	if diff := cmp.Diff([]string{"Content-Type: application/json", "Accept: application/json", "Authorization: Bearer {{YOUR_API_KEY}}"}, headers); diff != "" {
		t.Errorf("headers (-want +got):\n%s", diff)
	}
	if p.Body == nil || p.Body.MediaType != "application/json" || len(p.Body.Examples) != 1 {
		t.Fatalf("body = %+v", p.Body)
	}
	if got := len(p.Body.Schema["required"].([]any)); got != 9 {
		t.Errorf("body required lists %d fields, want 9", got)
	}
	if len(p.Responses) != 1 || p.Responses[0].Code != 200 || p.Responses[0].MediaType != "application/json" || len(p.Responses[0].Examples) != 1 {
		t.Fatalf("responses = %+v", p.Responses)
	}
	for pointer, want := range map[string]int{
		"/paths/~1luma~1generations/post/parameters/0":                                                 13,
		"/paths/~1luma~1generations/post/requestBody/content/application~1json/schema/properties/loop": 15,
		"/paths/~1luma~1generations/post/responses/200/content/application~1json/schema":               17,
		"/paths/~1luma~1generations/post/responses/200/content/application~1json/example/state":        19,
		"/paths/~1luma~1generations/post":                                                              2,
		"/components/schemas/X":                                                                        0,
	} {
		if got := p.Line(pointer); got != want {
			t.Errorf("Line(%s) = %d, want %d", pointer, got, want)
		}
	}
}

// TestSourcePageIsTheProjectInput: the copy in testdata is the source specification, byte for byte, when the
// source is beside the checkout.
func TestSourcePageIsTheProjectInput(t *testing.T) {
	for _, dir := range []string{"../../../shared/source", "../../../../shared/source", "/work/shared/source"} {
		src, err := os.ReadFile(filepath.Join(dir, "luma-generations.apifox.txt"))
		if err != nil {
			continue
		}
		if string(src) != string(readPage(t)) {
			t.Fatalf("%s differs from the source in %s: copy it again", sourcePage, dir)
		}
		return
	}
	t.Skip("the source specification is not beside this checkout")
}

func TestOpenAPIFragment(t *testing.T) {
	p, err := Parse(readPage(t))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := p.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	op := doc.Paths.Find("/luma/generations").Post
	if op == nil || len(op.Parameters) != 3 {
		t.Fatalf("operation = %+v", op)
	}
	body := op.RequestBody.Value.Content.Get("application/json")
	if body == nil || len(body.Schema.Value.Properties) != 9 || body.Example.(map[string]any)["model_name"] != "ray-v2" {
		t.Fatalf("request body = %+v", body)
	}
	resp := op.Responses.Status(200)
	if resp == nil {
		t.Fatal("no 200")
	}
	mt := resp.Value.Content.Get("application/json")
	if got := mt.Schema.Value.Properties["data"].Value.Required; len(got) != 4 {
		t.Errorf("data.required = %v", got)
	}
	if mt.Example.(map[string]any)["state"] != "pending" {
		t.Errorf("example = %v", mt.Example)
	}
	// The fragment is a document kin-openapi can serialise: it round-trips through YAML.
	out, err := yaml.Marshal(doc)
	if err != nil || !strings.Contains(string(out), "/luma/generations") {
		t.Fatalf("yaml: %v\n%s", err, out)
	}
}

func TestNotAPage(t *testing.T) {
	for name, text := range map[string]string{
		"empty":       "",
		"openapi":     "openapi: 3.0.3\ninfo: {}\n",
		"json":        `{"openapi": "3.0.3"}`,
		"no sections": "title\nPOST /x\nhello\n",
		"no method":   "title\n/x\n参数\n{}\n",
		"binary":      "title\nPOST /x\n参数\n\xff\xfe",
	} {
		if _, err := Parse([]byte(text)); !errors.Is(err, ErrNotAPage) {
			t.Errorf("%s: err = %v, want ErrNotAPage", name, err)
		}
	}
}

func TestMalformedSections(t *testing.T) {
	page := string(readPage(t))
	for name, tc := range map[string]struct{ from, to, want string }{
		"params not JSON": {`"query": []`, `"query": [`, "line 13 (参数, parameters): not JSON"},
		"bad status":      {`"code": 200`, `"code": "abc"`, "(响应, responses)"},
		"model reference": {`"user_prompt": { "description"`, `"user_prompt": { "$ref": "#/definitions/123", "description"`, `Apifox model "#/definitions/123"`},
		"trailing text":   {`"oasExtensions": "" }` + "\n响应", `"oasExtensions": "" } extra` + "\n响应", "more text after the JSON value"},
	} {
		t.Run(name, func(t *testing.T) {
			text := strings.Replace(page, tc.from, tc.to, 1)
			if text == page {
				t.Fatalf("%q is not in the page", tc.from)
			}
			p, err := Parse([]byte(text))
			if err == nil {
				_, err = p.OpenAPI()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// FuzzParse: Parse never panics; what it accepts Recognize accepts, and its fragment, when it builds, has the
// page's one operation.
func FuzzParse(f *testing.F) {
	f.Add(readPage(f))
	f.Add([]byte("t\nGET /a\n参数\n{\"query\":[{\"name\":\"q\"}]}\n响应\n[{\"code\":204}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil {
			return
		}
		if !Recognize(data) {
			t.Fatal("Parse accepted what Recognize refuses")
		}
		doc, err := p.OpenAPI()
		if err != nil {
			return
		}
		item := doc.Paths.Value(p.Path)
		if item == nil || item.GetOperation(p.Method) == nil {
			t.Fatalf("the fragment has no %s %s", p.Method, p.Path)
		}
	})
}

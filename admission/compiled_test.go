package admission

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/lumamock/lumamock"
)

// keywordsSchema uses every keyword compile handles, nested, with the constraints at their edges.
const keywordsSchema = `{
  "type": "object",
  "required": ["name", "kind", "id"],
  "additionalProperties": false,
  "properties": {
    "name": {"type": "string", "minLength": 2, "maxLength": 5, "description": "x"},
    "kind": {"type": "string", "enum": ["a", "b"], "default": "a"},
    "flag": {"type": "boolean", "nullable": true},
    "strict": {"type": "boolean", "enum": [true]},
    "id": {"type": "string", "readOnly": true},
    "secret": {"type": "string", "writeOnly": true},
    "day": {"type": "string", "format": "date"},
    "link": {"type": "string", "format": "uri", "pattern": "^https?://[^\\s]+$"},
    "inner": {
      "type": "object",
      "nullable": true,
      "required": ["n"],
      "properties": {"n": {"type": "string", "pattern": "^[0-9]+$"}}
    },
    "open": {"type": "object"}
  }
}`

func loadSchema(t testing.TB, text string) *openapi3.Schema {
	t.Helper()
	var s openapi3.Schema
	if err := s.UnmarshalJSON([]byte(text)); err != nil {
		t.Fatal(err)
	}
	return &s
}

// kinAdmits is the reference: what validateJSON asked of kin-openapi before compile existed.
func kinAdmits(s *openapi3.Schema, value any) bool {
	return s.VisitJSON(value, openapi3.VisitAsRequest(), openapi3.MultiErrors()) == nil
}

// agreementBodies are bodies for keywordsSchema and the document's GenerationRequest, admitted and refused by
// each keyword.
var agreementBodies = []string{
	`{"name": "ab", "kind": "a"}`,
	`{"name": "abcde", "kind": "b", "flag": null, "strict": true, "day": "2026-12-03", "link": "https://x.test/a"}`,
	`{"name": "a", "kind": "a"}`,
	`{"name": "abcdef", "kind": "a"}`,
	`{"name": "éé", "kind": "a"}`,
	`{"name": "😀😀", "kind": "a"}`,
	`{"name": "😀😀😀", "kind": "a"}`,
	`{"name": "ab", "kind": "c"}`,
	`{"name": "ab", "kind": null}`,
	`{"name": "ab"}`,
	`{"kind": "a"}`,
	`{"name": "ab", "kind": "a", "extra": 1}`,
	`{"name": "ab", "kind": "a", "id": "x"}`,
	`{"name": "ab", "kind": "a", "id": null}`,
	`{"name": "ab", "kind": "a", "secret": "s"}`,
	`{"name": "ab", "kind": "a", "flag": "true"}`,
	`{"name": "ab", "kind": "a", "strict": false}`,
	`{"name": "ab", "kind": "a", "day": "2026-13-40"}`,
	`{"name": "ab", "kind": "a", "day": "tomorrow"}`,
	`{"name": "ab", "kind": "a", "link": "ftp://x"}`,
	`{"name": "ab", "kind": "a", "link": "https://a b"}`,
	`{"name": "ab", "kind": "a", "inner": null}`,
	`{"name": "ab", "kind": "a", "inner": {"n": "12"}}`,
	`{"name": "ab", "kind": "a", "inner": {"n": "1x"}}`,
	`{"name": "ab", "kind": "a", "inner": {}}`,
	`{"name": "ab", "kind": "a", "inner": []}`,
	`{"name": "ab", "kind": "a", "open": {"any": [1, {"x": null}]}}`,
	`{"name": "ab", "kind": "a", "open": null}`,
	`{"name": 12, "kind": "a"}`,
	`[]`, `"text"`, `null`, `true`, `12.5`, `{}`,
	`{"user_prompt": "一阵风吹过树林,使女人的面纱微微飘动。", "model_name": "ray-v2", "duration": "5s", "resolution": "720p"}`,
	`{"user_prompt": "p", "notify_hook": "https://client.test/hook?x=1", "expand_prompt": true, "loop": false}`,
	`{"user_prompt": "p", "image_url": "data:image/png;base64,iVBORw0KGgo=", "image_end_url": "http://x.test/e.png"}`,
	`{"user_prompt": ""}`,
	`{"user_prompt": "p", "notify_hook": "hook"}`,
	`{"user_prompt": "p", "notify_hook": "https://` + strings.Repeat("a", 2040) + `"}`,
	`{"user_prompt": "p", "notify_hook": "https://` + strings.Repeat("a", 2041) + `"}`,
	`{"user_prompt": "p", "resolution": "4k"}`,
	`{"user_prompt": "p", "duration": "10s"}`,
	`{"user_prompt": "p", "model_name": "ray-v3"}`,
	`{"user_prompt": "p", "loop": "yes"}`,
	`{"user_prompt": "p", "image_url": "file:///etc/passwd"}`,
	`{"user_prompt": null}`,
	`{"model_name": "ray-v2"}`,
}

// testSchemas are keywordsSchema and the document's request bodies, as compile sees them.
func testSchemas(t testing.TB) map[string]*openapi3.Schema {
	t.Helper()
	doc, err := lumamock.Load()
	if err != nil {
		t.Fatal(err)
	}
	schemas := map[string]*openapi3.Schema{"keywords": loadSchema(t, keywordsSchema)}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.RequestBody == nil {
				continue
			}
			for mt, media := range op.RequestBody.Value.Content {
				schemas[method+" "+path+" "+mt] = media.Schema.Value
			}
		}
	}
	return schemas
}

// TestCompiledAdmitsOnlyWhatKinAdmits holds compile to its promise on bodies at every keyword's edge: where
// it admits, kin-openapi admits; and it admits the valid ones itself, so the fast path is taken.
func TestCompiledAdmitsOnlyWhatKinAdmits(t *testing.T) {
	for name, s := range testSchemas(t) {
		c := compile(s, make(map[*openapi3.Schema]bool))
		if c == nil {
			t.Fatalf("%s: not compiled; the accept path would walk it with kin-openapi on every request", name)
		}
		admitted := 0
		for _, body := range agreementBodies {
			value, ok := decodeJSON([]byte(body))
			if !ok {
				t.Fatalf("bad test body %s", body)
			}
			got, want := c.admits(value), kinAdmits(s, value)
			if got != want {
				t.Errorf("%s: %s: compiled admits %v, kin-openapi %v", name, body, got, want)
			}
			if got {
				admitted++
			}
		}
		if admitted == 0 {
			t.Errorf("%s: no body admitted: the test proves nothing", name)
		}
	}
}

// TestCompileRefusesWhatItDoesNotKnow: a schema with any keyword compile does not handle is left to
// kin-openapi whole.
func TestCompileRefusesWhatItDoesNotKnow(t *testing.T) {
	for _, s := range []string{
		`{"type": "object", "properties": {"a": {"type": "integer"}}}`,
		`{"type": "object", "properties": {"a": {"type": "string", "oneOf": [{"minLength": 1}]}}}`,
		`{"type": "object", "properties": {"a": {"type": "string", "not": {"enum": ["x"]}}}}`,
		`{"type": "object", "properties": {"a": {"type": "string", "allOf": [{"minLength": 1}]}}}`,
		`{"type": "object", "properties": {"a": {"type": "array", "items": {"type": "string"}}}}`,
		`{"type": "object", "properties": {"a": {"type": "string", "pattern": "^\\u0041$"}}}`,
		`{"type": "object", "properties": {"a": {"enum": ["x"]}}}`,
		`{"type": "object", "properties": {"a": {"type": "string", "enum": ["x", 1]}}}`,
		`{"type": "object", "additionalProperties": {"type": "string"}}`,
		`{"type": "object", "minProperties": 1}`,
		`{"type": "object", "maxProperties": 1}`,
		`{"type": "object", "discriminator": {"propertyName": "a"}}`,
		`{"type": "string", "properties": {"a": {"type": "string"}}}`,
		`{"type": ["string", "null"]}`,
		`{"type": "object", "properties": {"a": {"type": "string", "maxLength": 9223372036854775808}}}`,
		`{"type": "object", "properties": {"a": {"type": "string", "minLength": 18446744073709551615}}}`,
		`{}`,
	} {
		if c := compile(loadSchema(t, s), make(map[*openapi3.Schema]bool)); c != nil {
			t.Errorf("%s compiled; it uses what compile does not handle", s)
		}
	}
	cyclic := loadSchema(t, `{"type": "object", "properties": {}}`)
	cyclic.Properties["self"] = &openapi3.SchemaRef{Value: cyclic}
	if compile(cyclic, make(map[*openapi3.Schema]bool)) != nil {
		t.Error("a cyclic schema compiled")
	}
}

// FuzzCompiledAdmitsOnlyWhatKinAdmits: whatever the body, compile never admits one kin-openapi refuses.
func FuzzCompiledAdmitsOnlyWhatKinAdmits(f *testing.F) {
	for _, body := range agreementBodies {
		f.Add([]byte(body))
	}
	schemas := testSchemas(f)
	compiledOf := make(map[string]*compiled)
	for name, s := range schemas {
		compiledOf[name] = compile(s, make(map[*openapi3.Schema]bool))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		value, ok := decodeJSON(body)
		if !ok {
			return
		}
		for name, s := range schemas {
			if compiledOf[name].admits(value) && !kinAdmits(s, value) {
				t.Fatalf("%s: compiled admits %s, which kin-openapi refuses: %v", name, body, s.VisitJSON(value, openapi3.VisitAsRequest()))
			}
		}
	})
}

// BenchmarkAdmit judges the source example's request, with the compiled schemas and with kin-openapi's walk
// alone, in the same run.
//
//	go test ./admission -run '^$' -bench Admit -benchmem -count 6
func BenchmarkAdmit(b *testing.B) {
	const body = `{"user_prompt": "一阵风吹过树林,使女人的面纱微微飘动。", "model_name": "ray-v2", "duration": "5s", "resolution": "720p"}`
	for _, compiledBodies := range []bool{false, true} {
		b.Run(fmt.Sprintf("compiled=%v", compiledBodies), func(b *testing.B) {
			v, err := New(Options{Keys: []string{"load-test-key"}})
			if err != nil {
				b.Fatal(err)
			}
			if !compiledBodies {
				v.bodies = nil
			}
			req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, lumamock.PathGenerations, nil)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json")
			req.Header.Set("Authorization", "Bearer load-test-key")
			reader := strings.NewReader(body)
			b.ReportAllocs()
			for b.Loop() {
				reader.Reset(body)
				req.Body, req.ContentLength = http.NoBody, int64(len(body))
				req.Body = readCloser{reader}
				if d := v.Admit(req); !d.Admitted() {
					b.Fatal(d.Reason)
				}
			}
		})
	}
}

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }

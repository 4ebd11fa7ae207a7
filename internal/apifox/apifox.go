// Package apifox reads an Apifox page export (the text Apifox copies for one endpoint: a title, the method and
// path, then JSON sections for the parameters, the request body, the responses and their examples) and turns
// it into an OpenAPI fragment that says what the page says and nothing more.
package apifox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
)

// Page is one endpoint as an Apifox page export describes it.
type Page struct {
	// Title is the page's first line (the endpoint's name).
	Title string
	// Method (upper case) and Path of the endpoint.
	Method, Path string
	// Params are the page's enabled parameters, in the order it lists them.
	Params []Param
	// Body is the request body; nil when the page has none.
	Body *Body
	// Responses are the documented responses, each with its examples.
	Responses []Response
	// lines maps a section name (params, body, responses, examples) to its 1-based line in the page.
	lines map[string]int
	// responseIDs are the page's ids of Responses, which examples refer to.
	responseIDs []string
}

// Param is a query, path, header or cookie parameter.
type Param struct {
	In          string // query, path, header or cookie
	Name        string
	Required    bool
	Type        string
	Description string
	Sample      string // the page's sampleValue
}

// Body is the request body: its media type, JSON schema and examples (each a JSON text).
type Body struct {
	MediaType string
	Schema    map[string]any
	Examples  []string
}

// Response is one documented response: its status, media type, JSON schema and examples (JSON texts).
type Response struct {
	Code      int
	Name      string
	MediaType string
	Schema    map[string]any
	Examples  []string
}

// ErrNotAPage is returned by Parse for text that is not an Apifox page export.
var ErrNotAPage = errors.New("not an Apifox page export")

// The section headings of a page export, in the Chinese and English interfaces.
var headings = map[string]string{
	"参数": "params", "请求参数": "params", "Parameters": "params", "Request Parameters": "params",
	"请求体": "body", "Request Body": "body", "Body": "body",
	"响应": "responses", "返回响应": "responses", "Responses": "responses", "Response": "responses",
	"响应示例": "examples", "Response Examples": "examples", "Response Example": "examples",
	"说明": "text", "概览": "text", "Description": "text", "Overview": "text",
}

// requestLine is the page's second line: the method and the path.
var requestLine = regexp.MustCompile(`^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|TRACE) (/\S*)$`)

// Recognize reports whether data looks like an Apifox page export: a title line, a "METHOD /path" line, and at
// least one of its JSON sections. It reads only the lines it needs.
func Recognize(data []byte) bool {
	title, rest, _ := bytes.Cut(bytes.TrimLeft(data, "\ufeff \t\r\n"), []byte("\n"))
	if len(bytes.TrimSpace(title)) == 0 || bytes.HasPrefix(bytes.TrimSpace(title), []byte("{")) {
		return false
	}
	second, rest, _ := bytes.Cut(rest, []byte("\n"))
	if !requestLine.Match(bytes.TrimSpace(second)) {
		return false
	}
	for len(rest) > 0 {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte("\n"))
		if s := headings[strings.TrimSpace(string(line))]; s != "" && s != "text" {
			return true
		}
	}
	return false
}

// Parse reads a page export. It fails with ErrNotAPage (wrapped) on text that is not one, and says which
// section is malformed otherwise.
func Parse(data []byte) (*Page, error) {
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%w: not UTF-8 text", ErrNotAPage)
	}
	if !Recognize(data) {
		return nil, fmt.Errorf("%w: want a title line, a \"METHOD /path\" line and JSON sections (参数, 请求体, 响应)", ErrNotAPage)
	}
	text := strings.ReplaceAll(strings.TrimPrefix(string(data), "\ufeff"), "\r\n", "\n")
	lines := strings.Split(text, "\n")
	p := &Page{lines: map[string]int{}}
	// sections collects each section's text; the first line that is not blank is the title.
	sections := map[string]*strings.Builder{}
	section := ""
	for i, raw := range lines {
		line := strings.TrimSpace(raw)
		switch {
		case line == "":
			continue
		case p.Title == "":
			p.Title = line
			continue
		case p.Method == "":
			m := requestLine.FindStringSubmatch(line)
			p.Method, p.Path = m[1], m[2]
			p.lines["request"] = i + 1
			continue
		}
		if s, ok := headings[line]; ok {
			section = s
			if _, seen := sections[s]; !seen && s != "text" {
				sections[s] = &strings.Builder{}
				p.lines[s] = i + 2 // the section's JSON starts on the next line
			}
			continue
		}
		if b := sections[section]; b != nil && section != "text" {
			b.WriteString(raw)
			b.WriteByte('\n')
		}
	}
	if b := sections["params"]; b != nil {
		if err := p.readParams(b.String()); err != nil {
			return nil, fmt.Errorf("apifox page, line %d (参数, parameters): %w", p.lines["params"], err)
		}
	}
	if b := sections["body"]; b != nil {
		if err := p.readBody(b.String()); err != nil {
			return nil, fmt.Errorf("apifox page, line %d (请求体, request body): %w", p.lines["body"], err)
		}
	}
	if b := sections["responses"]; b != nil {
		if err := p.readResponses(b.String()); err != nil {
			return nil, fmt.Errorf("apifox page, line %d (响应, responses): %w", p.lines["responses"], err)
		}
	}
	if b := sections["examples"]; b != nil {
		if err := p.readExamples(b.String()); err != nil {
			return nil, fmt.Errorf("apifox page, line %d (响应示例, response examples): %w", p.lines["examples"], err)
		}
	}
	return p, nil
}

func decode(text string, v any) error {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if strings.TrimSpace(text[dec.InputOffset():]) != "" {
		return errors.New("not JSON: more text after the JSON value")
	}
	return nil
}

func (p *Page) readParams(text string) error {
	var raw map[string][]struct {
		Name        string `json:"name"`
		Required    bool   `json:"required"`
		Type        string `json:"type"`
		Description string `json:"description"`
		Enable      *bool  `json:"enable"`
		Sample      any    `json:"sampleValue"`
	}
	if err := decode(text, &raw); err != nil {
		return err
	}
	for _, in := range []string{"path", "query", "header", "cookie"} {
		for _, r := range raw[in] {
			if r.Enable != nil && !*r.Enable {
				continue
			}
			if r.Name == "" {
				return fmt.Errorf("a %s parameter has no name", in)
			}
			sample := ""
			if r.Sample != nil {
				sample = fmt.Sprint(r.Sample)
			}
			p.Params = append(p.Params, Param{In: in, Name: r.Name, Required: r.Required || in == "path", Type: r.Type, Description: r.Description, Sample: sample})
		}
	}
	return nil
}

func (p *Page) readBody(text string) error {
	var raw struct {
		Type       string         `json:"type"`
		JSONSchema map[string]any `json:"jsonSchema"`
		Parameters []struct {
			Name        string `json:"name"`
			Required    bool   `json:"required"`
			Type        string `json:"type"`
			Description string `json:"description"`
		} `json:"parameters"`
		Examples []struct {
			Value     string `json:"value"`
			MediaType string `json:"mediaType"`
		} `json:"examples"`
	}
	if err := decode(text, &raw); err != nil {
		return err
	}
	if raw.Type == "" || raw.Type == "none" {
		return nil
	}
	b := &Body{MediaType: mediaType(raw.Type), Schema: raw.JSONSchema}
	if b.Schema == nil && len(raw.Parameters) > 0 {
		// A form body lists its fields as parameters.
		props := map[string]any{}
		var required []any
		for _, f := range raw.Parameters {
			props[f.Name] = map[string]any{"type": orString(f.Type), "description": f.Description}
			if f.Required {
				required = append(required, f.Name)
			}
		}
		b.Schema = map[string]any{"type": "object", "properties": props}
		if len(required) > 0 {
			b.Schema["required"] = required
		}
	}
	for _, e := range raw.Examples {
		if strings.TrimSpace(e.Value) != "" {
			b.Examples = append(b.Examples, e.Value)
		}
	}
	p.Body = b
	return nil
}

func orString(t string) string {
	if t == "" || t == "text" || t == "file" {
		return "string"
	}
	return t
}

// mediaType maps the page's body and response types to media types.
func mediaType(t string) string {
	switch t {
	case "json", "":
		return "application/json"
	case "xml":
		return "application/xml"
	case "raw", "text":
		return "text/plain"
	case "html":
		return "text/html"
	case "form-data":
		return "multipart/form-data"
	case "x-www-form-urlencoded":
		return "application/x-www-form-urlencoded"
	case "binary":
		return "application/octet-stream"
	}
	return t
}

func (p *Page) readResponses(text string) error {
	var raw []struct {
		ID          json.Number    `json:"id"`
		Name        string         `json:"name"`
		Code        json.Number    `json:"code"`
		ContentType string         `json:"contentType"`
		JSONSchema  map[string]any `json:"jsonSchema"`
	}
	if err := decode(text, &raw); err != nil {
		return err
	}
	for _, r := range raw {
		code, err := strconv.Atoi(r.Code.String())
		if err != nil || code < 100 || code > 599 {
			return fmt.Errorf("response %q: %q is not an HTTP status", r.Name, r.Code)
		}
		p.Responses = append(p.Responses, Response{Code: code, Name: r.Name, MediaType: mediaType(r.ContentType), Schema: r.JSONSchema})
		p.responseIDs = append(p.responseIDs, r.ID.String())
	}
	return nil
}

func (p *Page) readExamples(text string) error {
	var raw []struct {
		Name       string      `json:"name"`
		ResponseID json.Number `json:"responseId"`
		Data       string      `json:"data"`
	}
	if err := decode(text, &raw); err != nil {
		return err
	}
	for _, e := range raw {
		i := slices.Index(p.responseIDs, e.ResponseID.String())
		if i < 0 {
			if len(p.Responses) != 1 {
				return fmt.Errorf("example %q names response %s, which the page does not list", e.Name, e.ResponseID)
			}
			i = 0
		}
		if strings.TrimSpace(e.Data) != "" {
			p.Responses[i].Examples = append(p.Responses[i].Examples, e.Data)
		}
	}
	return nil
}

// Line returns the page's line where the element at pointer (a JSON pointer into OpenAPI's fragment) is
// described, or 0 when the page does not say.
func (p *Page) Line(pointer string) int {
	op := "/paths/" + escape(p.Path) + "/" + strings.ToLower(p.Method)
	rest, ok := strings.CutPrefix(pointer, op)
	switch {
	case !ok:
		return 0
	case strings.HasPrefix(rest, "/parameters"):
		return p.lines["params"]
	case strings.HasPrefix(rest, "/requestBody"):
		return p.lines["body"]
	case strings.Contains(rest, "/example"):
		return p.lines["examples"]
	case strings.HasPrefix(rest, "/responses"):
		return p.lines["responses"]
	}
	return p.lines["request"]
}

func escape(token string) string {
	return strings.ReplaceAll(strings.ReplaceAll(token, "~", "~0"), "/", "~1")
}

// OpenAPI returns the page as an OpenAPI 3.0 fragment: one path with one operation, its parameters, request
// body and responses, each schema as the page gives it and each example decoded. A schema that refers to an
// Apifox model ($ref) cannot be read from the page alone and is an error.
func (p *Page) OpenAPI() (*openapi3.T, error) {
	op := openapi3.NewOperation()
	op.Summary = p.Title
	for _, prm := range p.Params {
		param := &openapi3.Parameter{In: prm.In, Name: prm.Name, Required: prm.Required, Description: prm.Description,
			Schema: openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{orString(prm.Type)}})}
		if prm.Sample != "" {
			param.Example = prm.Sample
		}
		op.AddParameter(param)
	}
	if p.Body != nil {
		mt := openapi3.NewMediaType()
		schema, err := toSchema(p.Body.Schema)
		if err != nil {
			return nil, fmt.Errorf("apifox page, request body: %w", err)
		}
		mt.Schema = schema
		if err := addExamples(mt, p.Body.Examples); err != nil {
			return nil, fmt.Errorf("apifox page, request body example: %w", err)
		}
		op.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithContent(openapi3.Content{p.Body.MediaType: mt})}
	}
	op.Responses = openapi3.NewResponses()
	op.Responses.Delete("default")
	for _, r := range p.Responses {
		mt := openapi3.NewMediaType()
		schema, err := toSchema(r.Schema)
		if err != nil {
			return nil, fmt.Errorf("apifox page, response %d: %w", r.Code, err)
		}
		mt.Schema = schema
		if err := addExamples(mt, r.Examples); err != nil {
			return nil, fmt.Errorf("apifox page, response %d example: %w", r.Code, err)
		}
		desc := r.Name
		resp := openapi3.NewResponse().WithDescription(desc).WithContent(openapi3.Content{r.MediaType: mt})
		op.Responses.Set(strconv.Itoa(r.Code), &openapi3.ResponseRef{Value: resp})
	}
	doc := &openapi3.T{
		OpenAPI: "3.0.3",
		Info:    &openapi3.Info{Title: p.Title, Version: "apifox"},
		Paths:   openapi3.NewPaths(),
	}
	item := &openapi3.PathItem{}
	item.SetOperation(p.Method, op)
	doc.Paths.Set(p.Path, item)
	return doc, nil
}

// toSchema converts a page's JSON schema; nil stays nil.
func toSchema(raw map[string]any) (*openapi3.SchemaRef, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	if ref := findRef(raw); ref != "" {
		return nil, fmt.Errorf("the schema refers to the Apifox model %q, which the page does not include", ref)
	}
	data, err := json.Marshal(raw)
	if err != nil {
		return nil, err
	}
	var s openapi3.Schema
	if err := s.UnmarshalJSON(data); err != nil {
		return nil, fmt.Errorf("not a JSON schema: %w", err)
	}
	return openapi3.NewSchemaRef("", &s), nil
}

// findRef returns the first $ref in v (in a stable order), or "".
func findRef(v any) string {
	switch v := v.(type) {
	case map[string]any:
		if ref, ok := v["$ref"].(string); ok {
			return ref
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if ref := findRef(v[k]); ref != "" {
				return ref
			}
		}
	case []any:
		for _, e := range v {
			if ref := findRef(e); ref != "" {
				return ref
			}
		}
	}
	return ""
}

// addExamples decodes each JSON example into mt: the first as example, all of them as examples.
func addExamples(mt *openapi3.MediaType, examples []string) error {
	for i, text := range examples {
		var v any
		if err := decode(text, &v); err != nil {
			return err
		}
		v = plainNumbers(v)
		if i == 0 {
			mt.Example = v
			continue
		}
		if mt.Examples == nil {
			mt.Examples = openapi3.Examples{}
		}
		mt.Examples["example"+strconv.Itoa(i+1)] = &openapi3.ExampleRef{Value: openapi3.NewExample(v)}
	}
	return nil
}

// plainNumbers turns json.Number values into float64, as kin-openapi's validators expect.
func plainNumbers(v any) any {
	switch v := v.(type) {
	case json.Number:
		f, _ := v.Float64()
		return f
	case map[string]any:
		for k, e := range v {
			v[k] = plainNumbers(e)
		}
	case []any:
		for i, e := range v {
			v[i] = plainNumbers(e)
		}
	}
	return v
}

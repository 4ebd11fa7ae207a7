package lumamock

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/lumamock/lumamock/internal/snip"
)

// Where a Violation was found (the Violation schema's "in" enum).
const (
	InBody   = "body"
	InHeader = "header"
	InPath   = "path"
	InQuery  = "query"
)

// Violations flattens an error from openapi3filter.ValidateRequest, ValidateResponse or Schema.VisitJSON into
// one Violation per broken rule, each naming the field (a JSON pointer for body values) and the rule. Errors
// it does not recognise become one Violation with rule "invalid". A nil error gives nil.
func Violations(err error) []Violation {
	if err == nil {
		return nil
	}
	var out []Violation
	collectViolations(err, InBody, &out)
	return out
}

func collectViolations(err error, in string, out *[]Violation) {
	if multi, ok := err.(openapi3.MultiError); ok {
		for _, e := range multi {
			collectViolations(e, in, out)
		}
		return
	}
	var reqErr *openapi3filter.RequestError
	if errors.As(err, &reqErr) {
		if p := reqErr.Parameter; p != nil {
			v := Violation{In: p.In, Field: p.Name, Rule: "invalid", Message: reqErr.Error()}
			var se *openapi3.SchemaError
			if errors.As(reqErr.Err, &se) {
				sv := schemaViolation(p.In, se)
				v.Rule, v.Message = sv.Rule, sv.Message
			} else if errors.Is(reqErr.Err, openapi3filter.ErrInvalidRequired) {
				v.Rule, v.Message = "required", "parameter "+p.Name+" is required"
			}
			*out = append(*out, v)
			return
		}
		if reqErr.Err == nil {
			v := Violation{In: InBody, Field: "", Rule: "invalid", Message: reqErr.Reason}
			if strings.HasPrefix(reqErr.Reason, "header Content-Type") { // the body's media type is not documented
				v = Violation{In: InHeader, Field: "Content-Type", Rule: "media-type", Message: reqErr.Reason}
			}
			*out = append(*out, v)
			return
		}
		if errors.Is(reqErr.Err, openapi3filter.ErrInvalidRequired) {
			*out = append(*out, Violation{In: InBody, Field: "", Rule: "required", Message: "a request body is required"})
			return
		}
		var parseErr *openapi3filter.ParseError
		if errors.As(reqErr.Err, &parseErr) {
			*out = append(*out, Violation{In: InBody, Field: "", Rule: "json", Message: "body is not valid JSON: " + parseErr.Error()})
			return
		}
		collectViolations(reqErr.Err, InBody, out)
		return
	}
	var respErr *openapi3filter.ResponseError
	if errors.As(err, &respErr) {
		if respErr.Err == nil {
			*out = append(*out, Violation{In: InBody, Field: "", Rule: "invalid", Message: respErr.Reason})
			return
		}
		var parseErr *openapi3filter.ParseError
		if errors.As(respErr.Err, &parseErr) {
			*out = append(*out, Violation{In: InBody, Field: "", Rule: "json", Message: "body is not valid JSON: " + parseErr.Error()})
			return
		}
		collectViolations(respErr.Err, in, out)
		return
	}
	var secErr *openapi3filter.SecurityRequirementsError
	if errors.As(err, &secErr) {
		*out = append(*out, Violation{In: InHeader, Field: "Authorization", Rule: "security", Message: securityMessage(secErr)})
		return
	}
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		if inner := allOfViolations(in, se); len(inner) > 0 {
			*out = append(*out, inner...)
			return
		}
		*out = append(*out, schemaViolation(in, se))
		return
	}
	*out = append(*out, Violation{In: in, Field: "", Rule: "invalid", Message: err.Error()})
}

// allOfViolations reports, for a value that broke an allOf, the rules it broke in the schemas the allOf lists
// (kin-openapi says only "doesn't match all schemas"), at the allOf's place; nil for any other error.
func allOfViolations(in string, se *openapi3.SchemaError) []Violation {
	var multi openapi3.MultiError
	if se.SchemaField != "allOf" || se.Origin == nil || !errors.As(se.Origin, &multi) {
		return nil
	}
	var inner []Violation
	for _, e := range multi {
		collectViolations(e, in, &inner)
	}
	// kin-openapi marks the inner errors with the keys above the allOf only when it marks the allOf's own
	// error one key at a time; otherwise their pointers start at the allOf.
	at := JSONPointer(se.JSONPointer()...)
	for i := range inner {
		if f := inner[i].Field; f != at && !strings.HasPrefix(f, at+"/") {
			inner[i].Field = at + f
		}
	}
	return inner
}

func securityMessage(err *openapi3filter.SecurityRequirementsError) string {
	for _, e := range err.Errors {
		if e != nil {
			return e.Error()
		}
	}
	return "authorization failed"
}

// schemaRule names the JSON Schema keyword a SchemaError broke.
func schemaRule(se *openapi3.SchemaError) string {
	if se.SchemaField != "" {
		return se.SchemaField
	}
	return "invalid"
}

// schemaViolation describes a SchemaError. A value of the wrong type is reported as a type error even where
// kin-openapi checked the enum first, and a pattern's x-pattern-message, when the document gives one, replaces
// the regular expression in the message.
func schemaViolation(in string, se *openapi3.SchemaError) Violation {
	v := Violation{In: in, Field: JSONPointer(se.JSONPointer()...), Rule: schemaRule(se), Message: se.Reason}
	if key, ok := unsupportedProperty(se); ok {
		v.Field += JSONPointer(key) // kin-openapi points at the object; the field is the property it refused
	}
	s := se.Schema
	if s == nil {
		return v
	}
	if v.Rule == "enum" && s.Type != nil && len(s.Type.Slice()) == 1 {
		if want := s.Type.Slice()[0]; jsonType(se.Value) != want && !(want == "number" && jsonType(se.Value) == "integer") {
			v.Rule, v.Message = "type", "value must be "+article(want)+" "+want
		}
	}
	if msg, ok := s.Extensions["x-pattern-message"].(string); ok && v.Rule == "pattern" {
		v.Message = msg
	}
	if _, isNumber := se.Value.(json.Number); isNumber && strings.Contains(se.Reason, "cannot convert json.Number") {
		// kin-openapi's words for a number no float64 holds, such as 1e999.
		v.Rule, v.Message = "type", "the number "+snip.Text(fmt.Sprint(se.Value))+" is out of range"
		if t := s.Type; t != nil && len(t.Slice()) == 1 && t.Slice()[0] != "number" && t.Slice()[0] != "integer" {
			v.Message = "value must be " + article(t.Slice()[0]) + " " + t.Slice()[0]
		}
	}
	return v
}

// unsupportedProperty returns the property a SchemaError refuses for additionalProperties: false, which
// kin-openapi names only in its reason (`property "k" is unsupported`, with the key quoted by %q).
func unsupportedProperty(se *openapi3.SchemaError) (string, bool) {
	if se.SchemaField != "properties" {
		return "", false
	}
	quoted, ok := strings.CutPrefix(se.Reason, "property ")
	if !ok {
		return "", false
	}
	if quoted, ok = strings.CutSuffix(quoted, " is unsupported"); !ok {
		return "", false
	}
	key, err := strconv.Unquote(quoted)
	return key, err == nil
}

// jsonType names the JSON type of a decoded value as JSON Schema does.
func jsonType(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case float64:
		if v == float64(int64(v)) {
			return "integer"
		}
		return "number"
	}
	return "number"
}

func article(word string) string {
	if strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

// JSONPointer renders reference tokens (object keys, array indexes) as an RFC 6901 JSON pointer, escaping "~"
// and "/" in each: JSONPointer("data", "a/b") is "/data/a~1b", JSONPointer() is "" (the whole document).
func JSONPointer(tokens ...string) string {
	if len(tokens) == 0 {
		return ""
	}
	var b strings.Builder
	for _, s := range tokens {
		b.WriteByte('/')
		s = strings.ReplaceAll(s, "~", "~0")
		b.WriteString(strings.ReplaceAll(s, "/", "~1"))
	}
	return b.String()
}

// Branch picks the schema that value is judged by in ref: for a oneOf (or else an anyOf), the branch value
// matches, else the one it breaks in the fewest places (the first of those); for any other schema, ref itself.
// It returns that schema and value's violations of it (none when it matches), or nil when ref describes
// nothing. opts are passed to VisitJSON, with MultiErrors. It is the one place a body's branch is chosen: the
// mock's callbacks, the checker and the proxy all judge a body by it.
func Branch(ref *openapi3.SchemaRef, value any, opts ...openapi3.SchemaValidationOption) (*openapi3.SchemaRef, []Violation) {
	candidates := openapi3.SchemaRefs{ref}
	switch {
	case ref == nil || ref.Value == nil:
		return nil, nil
	case len(ref.Value.OneOf) > 0:
		candidates = ref.Value.OneOf
	case len(ref.Value.AnyOf) > 0:
		candidates = ref.Value.AnyOf
	}
	opts = append(slices.Clip(opts), openapi3.MultiErrors())
	var best *openapi3.SchemaRef
	var bestViolations []Violation
	for _, c := range candidates {
		if c == nil || c.Value == nil {
			continue
		}
		vs := Violations(c.Value.VisitJSON(value, opts...))
		if best == nil || len(vs) < len(bestViolations) {
			best, bestViolations = c, vs
		}
		if len(vs) == 0 {
			break
		}
	}
	return best, bestViolations
}

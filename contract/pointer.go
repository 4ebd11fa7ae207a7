package contract

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/lumamock/lumamock/internal/snip"
)

// tokens splits an RFC 6901 pointer into its decoded reference tokens.
func tokens(pointer string) []string {
	if pointer == "" {
		return nil
	}
	parts := strings.Split(strings.TrimPrefix(pointer, "/"), "/")
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(p, "~1", "/"), "~0", "~")
	}
	return parts
}

// valueAt returns the value pointer names in v.
func valueAt(v any, pointer string) (any, bool) {
	for _, t := range tokens(pointer) {
		switch cur := v.(type) {
		case map[string]any:
			next, ok := cur[t]
			if !ok {
				return nil, false
			}
			v = next
		case []any:
			i, err := strconv.Atoi(t)
			if err != nil || i < 0 || i >= len(cur) {
				return nil, false
			}
			v = cur[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// schemaAt returns the schema that describes the value at pointer, following properties, items and the first
// object branch of oneOf/anyOf/allOf; nil when the document does not describe it.
func schemaAt(s *openapi3.Schema, pointer string) *openapi3.Schema {
	for _, t := range tokens(pointer) {
		if s == nil {
			return nil
		}
		s = child(s, t)
	}
	return s
}

func child(s *openapi3.Schema, token string) *openapi3.Schema {
	if p := s.Properties[token]; p != nil {
		return p.Value
	}
	if s.Items != nil && s.Items.Value != nil {
		if _, err := strconv.Atoi(token); err == nil {
			return s.Items.Value
		}
	}
	for _, group := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
		for _, b := range group {
			if b.Value != nil {
				if c := child(b.Value, token); c != nil {
					return c
				}
			}
		}
	}
	return nil
}

// describe renders what a schema expects, in a few words: "string", "integer (nullable)", "one of [a b]".
func describe(s *openapi3.Schema) string {
	if s == nil {
		return "a documented value"
	}
	if len(s.Enum) > 0 {
		vals := make([]string, len(s.Enum))
		for i, e := range s.Enum {
			vals[i] = fmt.Sprint(e)
		}
		return "one of [" + strings.Join(vals, " ") + "]"
	}
	var d string
	switch {
	case s.Type != nil && len(s.Type.Slice()) > 0:
		d = strings.Join(s.Type.Slice(), "|")
	case len(s.OneOf) > 0:
		d = "one of its documented forms"
	default:
		d = "a documented value"
	}
	if s.Format != "" {
		d += " (" + s.Format + ")"
	}
	if s.Nullable {
		d += ", nullable"
	}
	return d
}

// snippet quotes the start of a raw body.
func snippet(body []byte) string {
	if len(body) == 0 {
		return "an empty body"
	}
	return strconv.Quote(snip.Text(string(body)))
}

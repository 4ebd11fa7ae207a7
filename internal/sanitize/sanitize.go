// Package sanitize replaces the volatile values of decoded JSON (ids, times, URLs, secrets) with placeholders, so
// that two documents compare equal exactly when they have the same shape: golden fixtures of the checker, the
// mock's golden answers and cassettes compare through it.
package sanitize

import (
	"regexp"
	"strings"

	"github.com/lumamock/lumamock/internal/redact"
)

// Placeholders that stand for volatile values in fixtures.
const (
	PlaceholderID   = "<id>"
	PlaceholderTime = "<time>"
	PlaceholderURL  = "<url>"
	PlaceholderKey  = redact.Placeholder
)

var (
	uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	timeRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?$`)
	urlRE  = regexp.MustCompile(`^(https?|wss?)://`)
)

// Value returns a copy of a decoded JSON value with volatile values replaced by placeholders: ids (UUIDs and
// members named id or *_id) by <id>, timestamps (RFC 3339 strings and members named *_at) by <time>, URLs by
// <url>, any string holding a secret by [redacted] (redact.Placeholder), and the credentials of URLs inside
// other strings by [redacted] too.
func Value(v any, secrets ...string) any {
	return sanitize("", v, secrets)
}

func sanitize(key string, v any, secrets []string) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, val := range v {
			if k != PlaceholderKey && hasSecret(k, secrets) {
				k = PlaceholderKey
			}
			out[k] = sanitize(k, val, secrets)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, val := range v {
			out[i] = sanitize(key, val, secrets)
		}
		return out
	case string:
		switch {
		case hasSecret(v, secrets):
			return PlaceholderKey
		case v == "" || v == PlaceholderID || v == PlaceholderTime || v == PlaceholderURL || v == PlaceholderKey:
			return v
		case isIDKey(key) || uuidRE.MatchString(v):
			return PlaceholderID
		case strings.HasSuffix(key, "_at") || timeRE.MatchString(v):
			return PlaceholderTime
		case urlRE.MatchString(v):
			return PlaceholderURL
		}
		return redact.Text(v)
	case float64:
		if strings.HasSuffix(key, "_at") {
			return PlaceholderTime
		}
		return v
	}
	return v
}

func hasSecret(s string, secrets []string) bool { return redact.Contains(s, secrets...) }

func isIDKey(key string) bool { return key == "id" || strings.HasSuffix(key, "_id") }

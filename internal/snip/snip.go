// Package snip shortens text for findings and journals, always on a rune boundary.
package snip

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Limit bounds a value quoted in a finding.
const Limit = 120

// Cut returns s cut to at most n bytes, never inside a UTF-8 sequence, and whether anything was cut.
func Cut(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n], true
}

// Text returns s cut to Limit bytes, ending in "…" when cut.
func Text(s string) string {
	if cut, ok := Cut(s, Limit); ok {
		return cut + "…"
	}
	return s
}

// JSON renders v as compact JSON cut by Text; a value that does not encode is printed with fmt.
func JSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return Text(string(b))
}

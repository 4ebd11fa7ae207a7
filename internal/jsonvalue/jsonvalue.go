// Package jsonvalue decodes a request body into the generic value (maps, slices, strings, json.Number, bools,
// nil) that request validation works on, with the result of encoding/json but at a fraction of its cost.
//
// It exists because the mock decodes every request body: under load, json.NewDecoder with UseNumber cost 6.6% of
// the server's CPU and about 20 allocations (1.4 KB) for a 150-byte body, most of it the Decoder's buffer and
// its refills, for a body that is already in memory. Decode parses the common case in one pass over the bytes it
// is given and leaves everything unusual to encoding/json, so the two cannot disagree:
//
//   - the fast path handles objects, arrays, strings (with escapes and surrogate pairs), numbers per RFC 8259
//     (kept as json.Number of their text), true, false and null, nested up to maxDepth, with duplicate keys
//     last-wins;
//   - any syntax error, trailing data, invalid UTF-8 inside a string (encoding/json replaces it with U+FFFD), a
//     lone surrogate escape (likewise) or deeper nesting is decided by encoding/json, which a refused body
//     thus pays for after the fast path.
//
// FuzzDecodeAgreesWithEncodingJSON checks that Decode agrees with encoding/json on every input, and the fast path
// wherever it decides alone. A hand-written fast path stays only if it pays; BenchmarkDecode measured, with
// go test -run '^$' -bench Decode -benchmem -count 6 and benchstat -col /impl (Go 1.26, AMD EPYC, 2 shared cores):
//
//	body               encoding/json                 jsonvalue
//	150-byte prompt    1970 ns  1440 B   20 allocs   670 ns  528 B    14 allocs   (-66% time)
//	1 MiB image_url    5957 µs  5.0 MiB  28 allocs   813 µs  1.0 MiB  11 allocs   (-86% time)
package jsonvalue

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth is the deepest nesting the fast path parses; deeper values (encoding/json allows 10000) go to
// encoding/json.
const maxDepth = 1000

// Decode decodes body as exactly one JSON value surrounded by nothing but JSON whitespace, with numbers as
// json.Number. Its result is always the one encoding/json gives (a json.Decoder with UseNumber decoding into an
// any, then only whitespace after its InputOffset); ok is false for anything encoding/json refuses and for
// trailing data.
func Decode(body []byte) (value any, ok bool) {
	if value, ok = fast(body); ok {
		return value, true
	}
	return reference(body)
}

// fast parses body on the fast path; ok is false if body is anything it leaves to encoding/json.
func fast(body []byte) (value any, ok bool) {
	p := parser{b: body}
	p.space()
	if value, ok = p.value(); !ok {
		return nil, false
	}
	p.space()
	return value, p.i == len(p.b)
}

// reference is the encoding/json decoding that Decode's result must equal.
func reference(body []byte) (value any, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&value); err != nil || len(bytes.TrimLeft(body[dec.InputOffset():], " \t\n\r")) > 0 {
		return nil, false
	}
	return value, true
}

// parser is the fast path's state: the input and the offset of the next byte. Its methods return ok false for
// anything left to encoding/json, which need not be an error.
type parser struct {
	b     []byte
	i     int
	depth int
}

func (p *parser) space() {
	for p.i < len(p.b) && isSpace(p.b[p.i]) {
		p.i++
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// next reports whether the next byte is c, and skips it if so.
func (p *parser) next(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *parser) value() (any, bool) {
	if p.i >= len(p.b) {
		return nil, false
	}
	switch c := p.b[p.i]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		s, ok := p.str()
		return s, ok
	case c == 't':
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return p.number()
	}
	return nil, false
}

func (p *parser) literal(s string) bool {
	if !bytes.HasPrefix(p.b[p.i:], []byte(s)) {
		return false
	}
	p.i += len(s)
	return true
}

// object parses an object; a duplicate key takes the last value, as in encoding/json.
func (p *parser) object() (any, bool) {
	m := make(map[string]any)
	return m, p.list('}', func() bool {
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return false
		}
		key, ok := p.str()
		if p.space(); !ok || !p.next(':') {
			return false
		}
		p.space()
		m[key], ok = p.value()
		return ok
	})
}

// array parses an array; an empty one is an empty slice, not nil, as in encoding/json.
func (p *parser) array() (any, bool) {
	a := []any{}
	ok := p.list(']', func() bool {
		v, ok := p.value()
		a = append(a, v)
		return ok
	})
	return a, ok
}

// list parses the comma-separated items of an object or array, whose opening byte is the next, up to end.
func (p *parser) list(end byte, item func() bool) bool {
	if p.depth++; p.depth > maxDepth {
		return false
	}
	p.i++
	p.space()
	for first := true; !p.next(end); first = false {
		if !first && !p.next(',') {
			return false
		}
		if p.space(); !item() {
			return false
		}
		p.space()
	}
	p.depth--
	return true
}

// str parses a string whose opening quote is the next byte. Invalid UTF-8 is left to encoding/json, which
// replaces it with U+FFFD.
func (p *parser) str() (string, bool) {
	start, escaped, ascii := p.i+1, false, true
	for i := start; i < len(p.b); i++ {
		switch c := p.b[i]; {
		case c == '"':
			s := p.b[start:i]
			p.i = i + 1
			if !ascii && !utf8.Valid(s) { // escapes are ASCII, so this checks every unescaped run
				return "", false
			}
			if escaped {
				return unescape(s)
			}
			return string(s), true
		case c == '\\':
			escaped = true
			i++ // the escaped byte cannot end the string; unescape judges it
		case c < ' ':
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", false
}

// unescape decodes the escapes of s, a string's text between its quotes in which every backslash starts an
// escape (so none is its last byte). A lone surrogate is left to encoding/json, which replaces it with U+FFFD.
func unescape(s []byte) (string, bool) {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i += 2 {
		j := bytes.IndexByte(s[i:], '\\')
		if j < 0 {
			b = append(b, s[i:]...)
			break
		}
		b, i = append(b, s[i:i+j]...), i+j
		if e := s[i+1]; e != 'u' {
			k := strings.IndexByte(`"\/bfnrt`, e)
			if k < 0 {
				return "", false
			}
			b = append(b, "\"\\/\b\f\n\r\t"[k])
			continue
		}
		r := u4(s[i:])
		if r < 0 {
			return "", false
		}
		if utf16.IsSurrogate(r) {
			if r = utf16.DecodeRune(r, u4(s[i+6:])); r == unicode.ReplacementChar {
				return "", false
			}
			i += 6
		}
		b, i = utf8.AppendRune(b, r), i+4
	}
	return string(b), true
}

// u4 returns the value of the \uXXXX escape s starts with, or -1.
func u4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	r, err := strconv.ParseUint(string(s[2:6]), 16, 16)
	if err != nil {
		return -1
	}
	return rune(r)
}

// number parses a number per RFC 8259 §6 and keeps its text.
func (p *parser) number() (any, bool) {
	b, start := p.b, p.i
	i := start
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && isDigit(b[i]):
		i = digits(b, i)
	default:
		return nil, false
	}
	if i < len(b) && b[i] == '.' {
		if i = digits(b, i+1); !isDigit(b[i-1]) { // at least one digit after the point
			return nil, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		if i++; i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i = digits(b, i); !isDigit(b[i-1]) { // at least one digit in the exponent
			return nil, false
		}
	}
	p.i = i
	return json.Number(b[start:i]), true
}

// digits returns the offset of the first byte at or after i that is not a decimal digit.
func digits(b []byte, i int) int {
	for i < len(b) && isDigit(b[i]) {
		i++
	}
	return i
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

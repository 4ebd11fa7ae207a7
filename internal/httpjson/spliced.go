package httpjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"unicode/utf8"
)

// Marker stands, in a Spliced value, where its large string goes.
const Marker = "\x00lumamock:spliced\x00"

// markerJSON is Marker as JSON encodes it.
var markerJSON = []byte(`"\u0000lumamock:spliced\u0000"`)

// Spliced is a JSON value holding one large string (a 20 MiB prompt) that is written from the string itself, a
// piece at a time, rather than encoded whole into a buffer first: an answer holds one piece of it in memory,
// however slowly its client reads, and every answer shares the string. Write and WriteTo write it as Value would
// be written with String in place of Marker, byte for byte (WriteTo as Marshal writes it, Write as Write).
type Spliced struct {
	// Value is the value, with Marker where String goes (once).
	Value any
	// String is the large string.
	String string
	// Len is EncodedLen(String), computed once by whoever keeps String, for the answer's Content-Length.
	Len int
}

// ErrNoMarker is the error of writing a Spliced value without its marker: a programming error.
var ErrNoMarker = errors.New("httpjson: the spliced value holds no marker")

// parts encodes s.Value and returns what comes before and after the marker (the tail with its newline).
func (s Spliced) parts() (head, tail []byte, err error) {
	var buf bytes.Buffer
	if err := Encode(&buf, s.Value); err != nil {
		return nil, nil, err
	}
	b := buf.Bytes()
	i := bytes.Index(b, markerJSON)
	if i < 0 {
		return nil, nil, ErrNoMarker
	}
	return b[:i], b[i+len(markerJSON):], nil
}

// WriteTo writes s's JSON, without a trailing newline, to w.
func (s Spliced) WriteTo(w io.Writer) (int64, error) {
	head, tail, err := s.parts()
	if err != nil {
		return 0, err
	}
	tail = bytes.TrimSuffix(tail, []byte("\n"))
	n, err := w.Write(head)
	total := int64(n)
	if err != nil {
		return total, err
	}
	m, err := WriteString(w, s.String)
	total += m
	if err != nil {
		return total, err
	}
	n, err = w.Write(tail)
	return total + int64(n), err
}

// writeSpliced answers status with s, its Content-Length set from s.Len.
func writeSpliced(w http.ResponseWriter, status int, s Spliced) {
	head, tail, err := s.parts()
	if err != nil {
		head, tail, s.String, s.Len, status = []byte(encodingFailed), nil, "", 0, http.StatusInternalServerError
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(head)+s.Len+len(tail)))
	w.WriteHeader(status)
	if _, err := w.Write(head); err != nil {
		return
	}
	if s.Len > 0 {
		if _, err := WriteString(w, s.String); err != nil {
			return
		}
	}
	_, _ = w.Write(tail)
}

// stringChunk is how much of a string WriteString encodes at a time (a variable for tests).
var stringChunk = 32 << 10

// WriteString writes s to w as a JSON string literal, exactly as Encode would (without HTML escaping), encoding
// it a piece at a time: what it holds is one piece's encoding, whatever the length of s.
func WriteString(w io.Writer, s string) (int64, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	n, err := w.Write([]byte{'"'})
	total := int64(n)
	for err == nil && len(s) > 0 {
		piece := s[:cutAt(s, stringChunk)]
		s = s[len(piece):]
		buf.Reset()
		_ = enc.Encode(piece) // encoding a string cannot fail
		lit := buf.Bytes()
		n, err = w.Write(lit[1 : len(lit)-2]) // without its quotes and newline
		total += int64(n)
	}
	if err != nil {
		return total, err
	}
	n, err = w.Write([]byte{'"'})
	return total + int64(n), err
}

// EncodedLen is the length of s as a JSON string literal written by WriteString, quotes included.
func EncodedLen(s string) int {
	n, _ := WriteString(io.Discard, s)
	return int(n)
}

// cutAt is where to cut s near limit bytes without cutting a character in two, so that each piece encodes as it
// would within the whole string. It cuts after one character at least.
func cutAt(s string, limit int) int {
	if len(s) <= limit {
		return len(s)
	}
	for i := limit; i > 0 && i > limit-utf8.UTFMax; i-- {
		if utf8.RuneStart(s[i]) {
			return i
		}
	}
	if _, n := utf8.DecodeRuneInString(s); n > limit {
		return n // a character longer than the limit goes whole
	}
	return limit // no character starts near the limit: invalid bytes, each encoded on its own
}

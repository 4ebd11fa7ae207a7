// Package httpjson writes JSON answers the way every lumamock server does: without HTML escaping (bodies are read
// by programs), with Content-Type and Content-Length.
package httpjson

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
)

// Encode writes v and a newline to buf without HTML escaping.
func Encode(buf *bytes.Buffer, v any) error {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// Marshal returns v's JSON without HTML escaping and without a trailing newline.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := Encode(&buf, v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// contentTypeJSON is the Content-Type of every answer Write writes, one slice for all: net/http copies a
// header's values when it writes them, and changes none.
var contentTypeJSON = []string{"application/json"}

// smallAnswer is the size below which Write leaves Content-Length to net/http, which sets it itself for an
// answer its handler has written whole before it fills net/http's buffer (2,048 bytes): one header fewer to
// make and copy on every answer. A larger answer gets its Content-Length from Write, so that net/http does not
// send it chunked.
const smallAnswer = 2048

// Appender is a value that writes its own JSON: AppendJSON appends to b exactly what encoding/json (HTML
// characters unescaped) writes of the value, or reports false, appending nothing, for a value it leaves to
// encoding/json. Write uses it for the answers written most, whose encoding by reflection costs more than the
// rest of their writing.
type Appender interface {
	AppendJSON(b []byte) ([]byte, bool)
}

// Write answers status with v as JSON. A value that cannot be encoded, a programming error since every value
// written is one of the document's types, is answered 500 with an envelope-shaped error. A Spliced value is
// written from its string, a piece at a time; an Appender appends itself.
func Write(w http.ResponseWriter, status int, v any) {
	if s, ok := v.(Spliced); ok {
		writeSpliced(w, status, s)
		return
	}
	e := encoders.Get().(*encoder)
	defer e.release()
	buf := &e.buf
	if a, ok := v.(Appender); ok {
		if b, ok := a.AppendJSON(buf.AvailableBuffer()); ok {
			buf.Write(append(b, '\n'))
		}
	}
	if buf.Len() == 0 {
		if err := e.enc.Encode(v); err != nil {
			buf.Reset()
			buf.WriteString(encodingFailed)
			status = http.StatusInternalServerError
		}
	}
	h := w.Header()
	// As h.Set, without canonicalizing the keys again: they are canonical.
	h["Content-Type"] = contentTypeJSON
	if buf.Len() >= smallAnswer {
		h["Content-Length"] = []string{strconv.Itoa(buf.Len())}
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// encoder is a buffer and an encoder writing to it, reused from answer to answer: an answer's buffer, grown
// anew each time, and its encoder were a tenth of what a submission allocated.
type encoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var encoders = sync.Pool{New: func() any {
	e := &encoder{}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	return e
}}

// maxPooled is the largest buffer kept for another answer: larger ones (a long list) are left to the garbage
// collector rather than held.
const maxPooled = 64 << 10

func (e *encoder) release() {
	if e.buf.Cap() > maxPooled {
		return
	}
	e.buf.Reset()
	encoders.Put(e)
}

// encodingFailed is the answer to a value that cannot be encoded.
const encodingFailed = `{"code":500,"message":"encoding the response failed","request_id":""}` + "\n"

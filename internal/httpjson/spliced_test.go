package httpjson

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// FuzzWriteString checks that writing a string a piece at a time gives the bytes Encode gives for the whole
// string, whatever the pieces' size and wherever they fall (in a multi-byte character, next to an invalid byte),
// and that EncodedLen is their length.
func FuzzWriteString(f *testing.F) {
	for _, s := range []string{"", "wind", `"q\uo"`, "é€😀", "\xff\xfe", "a\u2028b\x00\n\t<&>", "€\xe2\x82", strings.Repeat("风", 10)} {
		f.Add(s, 3)
	}
	f.Fuzz(func(t *testing.T, s string, chunk int) {
		if chunk < 1 || chunk > 64 {
			return
		}
		defer func(old int) { stringChunk = old }(stringChunk)
		stringChunk = chunk
		var want bytes.Buffer
		_ = Encode(&want, s)
		var got bytes.Buffer
		n, err := WriteString(&got, s)
		if err != nil || int(n) != got.Len() {
			t.Fatalf("WriteString(%q) = %d, %v; wrote %d bytes", s, n, err, got.Len())
		}
		if w := bytes.TrimSuffix(want.Bytes(), []byte("\n")); !bytes.Equal(got.Bytes(), w) {
			t.Fatalf("WriteString(%q) with pieces of %d = %s, want %s", s, chunk, got.Bytes(), w)
		}
		if l := EncodedLen(s); l != got.Len() {
			t.Fatalf("EncodedLen(%q) = %d, want %d", s, l, got.Len())
		}
	})
}

func TestSpliced(t *testing.T) {
	type rec struct {
		ID     string `json:"id"`
		Prompt string `json:"prompt"`
		N      int    `json:"n"`
	}
	prompt := strings.Repeat("a \"gust\" of wind <&> 风\n", 5000)
	var want bytes.Buffer
	_ = Encode(&want, rec{ID: "t1", Prompt: prompt, N: 3})
	s := Spliced{Value: rec{ID: "t1", Prompt: Marker, N: 3}, String: prompt, Len: EncodedLen(prompt)}

	var got bytes.Buffer
	if _, err := s.WriteTo(&got); err != nil || got.String() != strings.TrimSuffix(want.String(), "\n") {
		t.Errorf("WriteTo: %v; the bytes differ from Encode's (%d and %d bytes)", err, got.Len(), want.Len())
	}
	w := httptest.NewRecorder()
	Write(w, http.StatusOK, s)
	if w.Body.String() != want.String() || w.Header().Get("Content-Length") != strconv.Itoa(want.Len()) {
		t.Errorf("Write: Content-Length %s, %d bytes; want %d bytes, Encode's", w.Header().Get("Content-Length"), w.Body.Len(), want.Len())
	}
	w = httptest.NewRecorder()
	Write(w, http.StatusOK, Spliced{Value: rec{ID: "no marker"}, String: prompt, Len: EncodedLen(prompt)})
	if w.Code != http.StatusInternalServerError || w.Body.String() != encodingFailed {
		t.Errorf("a spliced value without its marker: %d %s, want a 500", w.Code, w.Body)
	}
}

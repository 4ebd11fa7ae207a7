package jsonvalue

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// encodingJSON is the oracle: admission.decodeJSON as it was before this package, kept here verbatim so that the
// tests do not judge Decode by its own fallback.
func encodingJSON(body []byte) (value any, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&value); err != nil {
		return nil, false
	}
	for _, c := range body[dec.InputOffset():] {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return nil, false
		}
	}
	return value, true
}

// prompt is a typical body of a generation request.
const prompt = `{"user_prompt": "一阵风吹过树林,使女人的面纱微微飘动。", "model_name": "ray-v2", "duration": "5s", "resolution": "720p"}`

// seeds are inputs the fast path handles and inputs it leaves to encoding/json, for the table and the fuzz corpus.
var seeds = []string{
	prompt,
	`{"a":{"b":[1,[2,{"c":[]}],{}]},"d":[[],[[]]]}`,
	`"\"\\\/\b\f\n\r\t\u00e9\u4e00\ud83d\ude00"`,
	`"\ud83d"`, `"\ude00"`, `"\ud83d\u0041"`, `"\ud83dx"`, `"\u12"`, `"\x"`, `"\u0000"`, `"\uD83D\uDE00"`,
	`-0`, `1e5`, `1.5E-3`, `01`, `-`, `1.`, `.5`, `1e`, `1e+`, `+1`, `-01`, `0.0e-0`,
	`123456789012345678901234567890`, `-1.7976931348623157e309`,
	`{"a":1,"a":2}`, `{"a":{"x":1},"a":[2]}`,
	`{} x`, `{}{}`, `1 2`, `truex`, `nul`, `[1,]`, `{"a":1,}`, `[,1]`, `{"a" 1}`, `{1:2}`, `[1 2]`,
	" \t\r\n[ 1 , 2 ] \t\r\n", "\f1", "\v1", "\u00a01",
	"\"\xff\"", "\"a\xc3\"", "\"\xed\xa0\x80\"", "{\"\xff\":1}", "\xff", "\"\x01\"", "\"\x7f\"",
	"\ufeff{}", "\"\u2028\"",
	``, ` `, `null`, `true`, `false`, `[null,true,false]`, `"`, `{`, `[`, `{"a"`, `{"a":`,
	strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth),
	strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1),
	strings.Repeat(`{"a":`, 10001) + "1" + strings.Repeat("}", 10001),
}

func TestDecode(t *testing.T) {
	tests := []struct {
		in     string
		want   any
		wantOK bool
		fast   bool // the fast path decides, without encoding/json
	}{
		{prompt, map[string]any{"user_prompt": "一阵风吹过树林,使女人的面纱微微飘动。", "model_name": "ray-v2", "duration": "5s", "resolution": "720p"}, true, true},
		{`{"a":[],"b":{},"c":[[]]}`, map[string]any{"a": []any{}, "b": map[string]any{}, "c": []any{[]any{}}}, true, true},
		{`"\"\\\/\b\f\n\r\t\u00e9\u4e00\ud83d\ude00"`, "\"\\/\b\f\n\r\t\u00e9\u4e00\U0001F600", true, true},
		{`"\u0000"`, "\x00", true, true},
		{`"\ud83d"`, "\ufffd", true, false},             // a lone surrogate becomes U+FFFD
		{`"\ud83d\u0041"`, "\ufffdA", true, false},      // so does a high one followed by a non-surrogate
		{`"\ude00\ud83d"`, "\ufffd\ufffd", true, false}, // and a low one before a high one
		{"\"a\xffb\"", "a\ufffdb", true, false},         // invalid UTF-8 becomes U+FFFD
		{"\"\xed\xa0\x80\"", "\ufffd\ufffd\ufffd", true, false},
		{"{\"\xff\":1}", map[string]any{"\ufffd": json.Number("1")}, true, false},
		{`"\x"`, nil, false, false},
		{`"\u12"`, nil, false, false},
		{"\"\x01\"", nil, false, false},
		{`-0`, json.Number("-0"), true, true},
		{`1e5`, json.Number("1e5"), true, true},
		{`1.5E-3`, json.Number("1.5E-3"), true, true},
		{`0.0e+0`, json.Number("0.0e+0"), true, true},
		{`123456789012345678901234567890`, json.Number("123456789012345678901234567890"), true, true},
		{`1e999`, json.Number("1e999"), true, true},
		{`01`, nil, false, false},
		{`-`, nil, false, false},
		{`1.`, nil, false, false},
		{`.5`, nil, false, false},
		{`1e+`, nil, false, false},
		{`+1`, nil, false, false},
		{`{"a":1,"a":2}`, map[string]any{"a": json.Number("2")}, true, true},
		{`{"a":{"x":1},"a":[2]}`, map[string]any{"a": []any{json.Number("2")}}, true, true},
		{" \t\r\n[ 1 , true ,null, false ] \t\r\n", []any{json.Number("1"), true, nil, false}, true, true},
		{`{} x`, nil, false, false},
		{`{}{}`, nil, false, false},
		{`1 2`, nil, false, false},
		{`truex`, nil, false, false},
		{`[1,]`, nil, false, false},
		{`{"a":1,}`, nil, false, false},
		{`{1:2}`, nil, false, false},
		{"\f1", nil, false, false},
		{"\ufeff{}", nil, false, false},
		{``, nil, false, false},
		{` `, nil, false, false},
		{`null`, nil, true, true},
		{strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth), nested(maxDepth), true, true},
		{strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1), nested(maxDepth + 1), true, false},
		{strings.Repeat("[", 10001) + strings.Repeat("]", 10001), nil, false, false}, // encoding/json's limit
	}
	for _, tt := range tests {
		name := tt.in
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(name, func(t *testing.T) {
			got, ok := Decode([]byte(tt.in))
			if ok != tt.wantOK || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Decode(%q) = %#v, %v; want %#v, %v", tt.in, got, ok, tt.want, tt.wantOK)
			}
			ref, refOK := encodingJSON([]byte(tt.in))
			if refOK != tt.wantOK || !reflect.DeepEqual(ref, tt.want) {
				t.Errorf("encoding/json gives %#v, %v; the table is wrong", ref, refOK)
			}
			if _, fastOK := fast([]byte(tt.in)); fastOK != tt.fast {
				t.Errorf("fast path handles it: %v; want %v", fastOK, tt.fast)
			}
		})
	}
}

// nested returns depth arrays, each the only item of the one around it.
func nested(depth int) any {
	v := []any{}
	for range depth - 1 {
		v = []any{v}
	}
	return v
}

func TestDecodeCopiesTheBody(t *testing.T) {
	body := []byte(`{"k":"v","e":"\n","a":["x"]}`)
	got, ok := Decode(body)
	if !ok {
		t.Fatal("not decoded")
	}
	for i := range body {
		body[i] = ' '
	}
	want := map[string]any{"k": "v", "e": "\n", "a": []any{"x"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after the body changed, the value is %#v; want %#v", got, want)
	}
}

// FuzzDecodeAgreesWithEncodingJSON checks the property the package rests on: Decode's result is encoding/json's,
// and whenever the fast path decides alone it decides as encoding/json does.
func FuzzDecodeAgreesWithEncodingJSON(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		want, wantOK := encodingJSON(body)
		if got, ok := fast(body); ok && (!wantOK || !reflect.DeepEqual(got, want)) {
			t.Fatalf("fast path on %q = %#v; encoding/json gives %#v, %v", body, got, want, wantOK)
		}
		if got, ok := Decode(body); ok != wantOK || !reflect.DeepEqual(got, want) {
			t.Fatalf("Decode(%q) = %#v, %v; encoding/json gives %#v, %v", body, got, ok, want, wantOK)
		}
	})
}

// BenchmarkDecode compares encoding/json (impl=encoding-json) with Decode (impl=jsonvalue) on a typical
// generation request and on a 1 MiB one carrying a base64 image as a data URI; compare with
// benchstat -col /impl.
func BenchmarkDecode(b *testing.B) {
	image := make([]byte, 3<<18) // 768 KiB, 1 MiB in base64
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range image {
		image[i] = byte(rng.Uint32())
	}
	large := `{"user_prompt": "a cat", "model_name": "ray-v2", "image_url": "data:image/png;base64,` +
		base64.StdEncoding.EncodeToString(image) + `"}`
	for _, body := range []struct{ name, body string }{{"prompt", prompt}, {"image-1MiB", large}} {
		for _, impl := range []struct {
			name   string
			decode func([]byte) (any, bool)
		}{{"encoding-json", encodingJSON}, {"jsonvalue", Decode}} {
			b.Run("body="+body.name+"/impl="+impl.name, func(b *testing.B) {
				in := []byte(body.body)
				b.SetBytes(int64(len(in)))
				b.ReportAllocs()
				for b.Loop() {
					if _, ok := impl.decode(in); !ok {
						b.Fatal("not decoded")
					}
				}
			})
		}
	}
}

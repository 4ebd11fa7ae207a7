package docs_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"
)

// ellipsis stands for text an example cannot know: an id, a time.
const ellipsis = "…"

// matchOutput checks a command's output against the output block shown after it, as the package doc says.
func matchOutput(lang, want, got string) error {
	if lang == "json" {
		return matchJSONText(want, got)
	}
	return matchLines(want, got)
}

// matchLines checks that each non-blank line of want matches a line of got, in order.
func matchLines(want, got string) error {
	gotLines := strings.Split(strings.ReplaceAll(got, "\r", ""), "\n")
	at := 0
	for _, w := range strings.Split(want, "\n") {
		w = strings.TrimRight(w, " \t")
		if strings.TrimSpace(w) == "" {
			continue
		}
		found := false
		for ; at < len(gotLines); at++ {
			if glob(w, strings.TrimRight(gotLines[at], " \t")) {
				found, at = true, at+1
				break
			}
		}
		if !found {
			return fmt.Errorf("no line of the output (after the lines matched before) matches %q", w)
		}
	}
	return nil
}

// glob reports whether s matches pattern, where each "…" of pattern matches any text.
func glob(pattern, s string) bool {
	parts := strings.Split(pattern, ellipsis)
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return len(s) >= len(last) && strings.HasSuffix(s, last)
}

// decodeAll reads every JSON value of text.
func decodeAll(text string) ([]any, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var out []any
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
}

func matchJSONText(want, got string) error {
	w, err := decodeAll(want)
	if err != nil {
		return fmt.Errorf("the output block is not JSON (write … inside strings, as \"…\"): %v", err)
	}
	g, err := decodeAll(got)
	if err != nil {
		return fmt.Errorf("the output is not JSON: %v", err)
	}
	if len(w) != len(g) {
		return fmt.Errorf("the output has %d JSON values, the block shows %d", len(g), len(w))
	}
	for i := range w {
		if err := matchJSON(w[i], g[i], ""); err != nil {
			return err
		}
	}
	return nil
}

// unixTime is where a number shown in an example stands for a time, which matches any time.
const unixTime = 1_000_000_000

// matchJSON checks got against want at the JSON pointer path.
func matchJSON(want, got any, path string) error {
	if want == ellipsis {
		return nil
	}
	mismatch := func() error {
		w, _ := json.Marshal(want)
		g, _ := json.Marshal(got)
		return fmt.Errorf("at %q: the output has %s, the block shows %s", "/"+strings.TrimPrefix(path, "/"), cut(g), cut(w))
	}
	switch w := want.(type) {
	case string:
		g, ok := got.(string)
		if !ok || !glob(w, g) {
			return mismatch()
		}
	case json.Number:
		g, ok := got.(json.Number)
		if !ok {
			return mismatch()
		}
		wf, _ := w.Float64()
		gf, _ := g.Float64()
		if wf != gf && (wf < unixTime || gf < unixTime) {
			return mismatch()
		}
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return mismatch()
		}
		_, more := w[ellipsis]
		for _, k := range keys(w) {
			if k == ellipsis {
				continue
			}
			gv, ok := g[k]
			if !ok {
				return fmt.Errorf("at %q: the output has no member %q", path+"/"+k, k)
			}
			if err := matchJSON(w[k], gv, path+"/"+k); err != nil {
				return err
			}
		}
		if !more {
			for _, k := range keys(g) {
				if _, ok := w[k]; !ok {
					return fmt.Errorf("at %q: the output has a member %q the block does not show (add it, or a member \"…\": \"…\")", "/"+strings.TrimPrefix(path, "/"), k)
				}
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok {
			return mismatch()
		}
		more := len(w) > 0 && w[len(w)-1] == ellipsis
		if more {
			w = w[:len(w)-1]
		}
		if len(g) < len(w) || !more && len(g) != len(w) {
			return fmt.Errorf("at %q: the output has %d elements, the block shows %d", "/"+strings.TrimPrefix(path, "/"), len(g), len(w))
		}
		for i := range w {
			if err := matchJSON(w[i], g[i], fmt.Sprintf("%s/%d", path, i)); err != nil {
				return err
			}
		}
	default: // bool, nil
		if want != got {
			return mismatch()
		}
	}
	return nil
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func cut(b []byte) string {
	if len(b) > 200 {
		return string(bytes.ToValidUTF8(b[:200], nil)) + ellipsis
	}
	return string(b)
}

func TestMatchOutput(t *testing.T) {
	tests := []struct {
		name, lang, want, got string
		ok                    bool
	}{
		{"text in order with lines between", "text", "a\n\nc…\n", "a\nb\r\ncat\n", true},
		{"text out of order", "text", "c\na\n", "a\nc\n", false},
		{"text with a missing line", "text", "a\nz\n", "a\nb\n", false},
		{"ellipsis in the middle", "text", "HTTP/1.1 4… Too Many…", "HTTP/1.1 429 Too Many Requests", true},
		{"ellipsis does not match a different end", "text", "x…y", "x-z", false},
		{"json equal", "json", `{"a":1,"b":["x"]}`, `{"b":["x"],"a":1}`, true},
		{"json value differs", "json", `{"a":1}`, `{"a":2}`, false},
		{"json member missing", "json", `{"a":1,"b":2}`, `{"a":1}`, false},
		{"json member not shown", "json", `{"a":1}`, `{"a":1,"b":2}`, false},
		{"json members elided", "json", `{"a":1,"…":"…"}`, `{"a":1,"b":2}`, true},
		{"json any value", "json", `{"a":"…"}`, `{"a":{"deep":[1]}}`, true},
		{"json glob string", "json", `{"id":"task-…"}`, `{"id":"task-42"}`, true},
		{"json glob string differs", "json", `{"id":"task-…"}`, `{"id":"job-42"}`, false},
		{"json unix times", "json", `{"at":1764082800}`, `{"at":1796300000}`, true},
		{"json a status is not a time", "json", `{"code":200}`, `{"code":201}`, false},
		{"json array longer", "json", `[1,"…"]`, `[1,2,3]`, true},
		{"json array length differs", "json", `[1]`, `[1,2]`, false},
		{"json several values", "json", `{"a":1}{"b":2}`, "{\"a\":1}\n{\"b\":2}\n", true},
		{"json not json", "json", `{"a":1}`, `a=1`, false},
		{"json null", "json", `{"a":null}`, `{"a":null}`, true},
		{"json null against a value", "json", `{"a":null}`, `{"a":0}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := matchOutput(tt.lang, tt.want, tt.got)
			if (err == nil) != tt.ok {
				t.Errorf("matchOutput(%q, %q, %q) = %v, want ok %v", tt.lang, tt.want, tt.got, err, tt.ok)
			}
		})
	}
}

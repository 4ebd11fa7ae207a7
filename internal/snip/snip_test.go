package snip

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCut(t *testing.T) {
	tests := []struct {
		in      string
		n       int
		want    string
		wantCut bool
	}{
		{"", 0, "", false},
		{"abc", 3, "abc", false},
		{"abcd", 3, "abc", true},
		{"aé", 2, "a", true},         // é is two bytes: cutting after its first would split it
		{"日本", 4, "日", true},         // 3-byte runes
		{"日本", 2, "", true},          // not even one rune fits
		{"a\xffb", 2, "a\xff", true}, // invalid bytes are not rune starts' continuation: kept as they are
	}
	for _, tt := range tests {
		got, cut := Cut(tt.in, tt.n)
		if got != tt.want || cut != tt.wantCut {
			t.Errorf("Cut(%q, %d) = %q, %v; want %q, %v", tt.in, tt.n, got, cut, tt.want, tt.wantCut)
		}
	}
}

func TestTextAndJSON(t *testing.T) {
	if got := Text("short"); got != "short" {
		t.Errorf("Text(short) = %q", got)
	}
	long := strings.Repeat("é", Limit) // 2*Limit bytes
	got := Text(long)
	if !strings.HasSuffix(got, "…") || len(got) > Limit+len("…") || !utf8.ValidString(got) {
		t.Errorf("Text(long) = %q (%d bytes): want at most %d bytes of valid UTF-8 and a trailing …", got, len(got), Limit)
	}
	if got := JSON(map[string]any{"a": 1}); got != `{"a":1}` {
		t.Errorf("JSON = %q", got)
	}
	if got := JSON(func() {}); got == "" {
		t.Error("JSON of a value that does not encode is empty")
	}
}

func FuzzCut(f *testing.F) {
	f.Add("日本語", 4)
	f.Add("a\xffb", 1)
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n < 0 || n > len(s)+4 {
			return
		}
		got, cut := Cut(s, n)
		if len(got) > n || !strings.HasPrefix(s, got) || cut != (len(s) > n) {
			t.Fatalf("Cut(%q, %d) = %q, %v", s, n, got, cut)
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("Cut(%q, %d) = %q splits a rune", s, n, got)
		}
	})
}

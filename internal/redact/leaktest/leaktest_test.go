package leaktest

import "testing"

func TestFind(t *testing.T) {
	tests := []struct {
		out, secret string
		want        int
	}{
		{`{"a":"Q"}`, "Q", 1},
		{"Bearer Q", "Q", 1},
		{"api_key=Q&x=Q", "Q", 2},
		{"Quality QQ Q_x xQ é Qé éQ Q\u0301", "Q", 0},
		{"k8Secr3tX", "k8Secr3t", 1},
		{"[redacted]", "Q", 0},
		// Punctuation glues nothing, whatever its script.
		{"密钥：Q", "Q", 1},
		{"“Q”", "Q", 1},
		{"key—Q", "Q", 1},
		{"«Q»", "Q", 1},
		// Escaped spellings leak too.
		{`key "q\"uo\\te<&>key99" refused`, EscapingKey, 1},
		{`{"k":"q\"uo\\te\u003c\u0026\u003ekey99"}`, EscapingKey, 1},
		{`<failure message="q&#34;uo\te&lt;&amp;&gt;key99"/>`, EscapingKey, 1},
		{`q&quot;uo\te&lt;&amp;&gt;key99`, EscapingKey, 1},
		{`q&#34;uo\te&lt;&amp;&gt;key99`, EscapingKey, 1},
		{`"q\\\"uo\\\\te<&>key99"`, EscapingKey, 1}, // quoted twice
		{`q"uo[redacted]key99`, EscapingKey, 0},
	}
	for _, tt := range tests {
		if got := Find(tt.out, tt.secret); len(got) != tt.want {
			t.Errorf("Find(%q, %q) = %q, want %d", tt.out, tt.secret, got, tt.want)
		}
	}
}

func TestSpellings(t *testing.T) {
	if got := Spellings("k8Secr3t"); len(got) != 1 {
		t.Errorf("Spellings of a key with nothing to escape = %q, want only itself", got)
	}
	if got := Spellings(EscapingKey); len(got) < 5 {
		t.Errorf("Spellings(%q) = %q, want its escaped forms", EscapingKey, got)
	}
}

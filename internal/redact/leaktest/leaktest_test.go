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
		{"Quality QQ Q_x xQ é", "Q", 0},
		{"k8Secr3tX", "k8Secr3t", 1},
		{"[redacted]", "Q", 0},
	}
	for _, tt := range tests {
		if got := Find(tt.out, tt.secret); len(got) != tt.want {
			t.Errorf("Find(%q, %q) = %q, want %d", tt.out, tt.secret, got, tt.want)
		}
	}
}

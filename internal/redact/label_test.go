package redact_test

import (
	"regexp"
	"testing"

	"github.com/lumamock/lumamock/internal/redact"
)

// TestLabel: a label is stable, distinct for distinct keys, and never shows the key.
func TestLabel(t *testing.T) {
	shape := regexp.MustCompile(`^key_[0-9a-f]{8}$`)
	seen := map[string]string{}
	for _, key := range []string{"", "k", "key", "key_", "load-test-key", "sk-live-0123456789abcdef", "Bearer x", "ünïcode-🔑"} {
		got := redact.Label(key)
		if !shape.MatchString(got) {
			t.Errorf("Label(%q) = %q; want key_ and 8 hex digits", key, got)
		}
		if again := redact.Label(key); again != got {
			t.Errorf("Label(%q) is not stable: %q, then %q", key, got, again)
		}
		if other, dup := seen[got]; dup {
			t.Errorf("Label(%q) = Label(%q) = %q", key, other, got)
		}
		seen[got] = key
		if key != "" && redact.Contains(got, key) {
			t.Errorf("Label(%q) = %q shows the key", key, got)
		}
	}
	// printf %s load-test-key | sha256sum starts with these digits: anyone can check a label against a key they
	// hold.
	if got, want := redact.Label("load-test-key"), "key_3e3a73ab"; got != want {
		t.Errorf("Label(load-test-key) = %s; want %s", got, want)
	}
}

// FuzzLabel: whatever the key, its label has the label's shape and does not show the key.
func FuzzLabel(f *testing.F) {
	for _, s := range []string{"", "a", "key_", "0123456789abcdef"} {
		f.Add(s)
	}
	shape := regexp.MustCompile(`^key_[0-9a-f]{8}$`)
	f.Fuzz(func(t *testing.T, key string) {
		got := redact.Label(key)
		if !shape.MatchString(got) {
			t.Fatalf("Label(%q) = %q", key, got)
		}
		if key != "" && redact.Contains(got, key) {
			t.Fatalf("Label(%q) = %q shows the key", key, got)
		}
	})
}

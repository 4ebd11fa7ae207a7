package mock

import (
	"bytes"
	"testing"
)

// TestCutBeforeKeepsSecretsWhole: a body cut at the journal's limit is never cut inside a secret, since records
// are redacted when read and half a secret would not be recognised.
func TestCutBeforeKeepsSecretsWhole(t *testing.T) {
	body := []byte(`{"user_prompt":"aaaaaaaaaaaaaaaaaaaaaaaaa sk-live-0123456789 bbbbbbbbbbbbbbbbbbbbbbbbbbbb"}`)
	i := bytes.Index(body, []byte("sk-live"))
	for limit := i - 2; limit < i+20; limit++ {
		kept, truncated, _ := cutJSON(body, limit, "sk-live-0123456789")
		if !truncated {
			t.Fatalf("limit %d: not truncated", limit)
		}
		if bytes.Contains(kept, []byte("sk-live")) && !bytes.Contains(kept, []byte("sk-live-0123456789")) {
			t.Errorf("limit %d: part of the secret kept: %s", limit, kept)
		}
	}
}

package redact

import (
	"net/textproto"
	"strings"
	"testing"
)

// isCredentialHeaderByFold is IsCredentialHeader as it was written first: the canonical name looked up, then
// every window of the name compared with every word by strings.EqualFold. FuzzIsCredentialHeader holds the
// faster IsCredentialHeader to it.
func isCredentialHeaderByFold(name string) bool {
	canonical := textproto.CanonicalMIMEHeaderKey(name)
	switch canonical {
	case "Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie":
		return true
	case "X-Lumamock-Session":
		return false
	}
	for _, word := range credentialWords {
		for i := 0; i+len(word) <= len(name); i++ {
			if strings.EqualFold(name[i:i+len(word)], word) {
				return true
			}
		}
	}
	return false
}

func FuzzIsCredentialHeader(f *testing.F) {
	for _, s := range []string{"Authorization", "proxy-AUTHORIZATION", "x-api-key", "X-Lumamock-Session", "x_lumamock-session",
		"X-Lumamock-Session ", "SET-COOKIE", "Content-Type", "authorization ", "ſecret", "to\u212aen", "SECRET",
		strings.Repeat("a", 70) + "Token", "\xff\xfeapikey", "session-id", "Api_Key"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if got, want := IsCredentialHeader(name), isCredentialHeaderByFold(name); got != want {
			t.Errorf("IsCredentialHeader(%q) = %v, compared by folding %v", name, got, want)
		}
	})
}

// TestPlainHeadersCarryNoCredential: the names IsCredentialHeader answers at once are none that the full search
// would find a credential in.
func TestPlainHeadersCarryNoCredential(t *testing.T) {
	for _, name := range plainHeaders {
		if isCredentialHeaderByFold(name) {
			t.Errorf("%s is in plainHeaders but names a credential", name)
		}
	}
}

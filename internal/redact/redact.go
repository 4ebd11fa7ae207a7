// Package redact keeps credentials out of everything lumamock shows or stores: journals, logs and cassettes.
package redact

import (
	"bytes"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
)

// Placeholder replaces a credential's value.
const Placeholder = "[redacted]"

// credentialHeaders are always credentials; others are when their name says so (credentialWords).
var credentialHeaders = map[string]bool{
	"Authorization": true, "Proxy-Authorization": true, "Cookie": true, "Set-Cookie": true,
}

var credentialWords = []string{"api-key", "apikey", "api_key", "token", "secret", "password", "session"}

// IsCredentialHeader reports whether the header name carries a credential: Authorization,
// Proxy-Authorization, Cookie, Set-Cookie, or any name containing api-key, apikey, api_key, token, secret,
// password or session, in any case.
func IsCredentialHeader(name string) bool {
	if credentialHeaders[textproto.CanonicalMIMEHeaderKey(name)] {
		return true
	}
	for _, word := range credentialWords {
		if containsFold(name, word) {
			return true
		}
	}
	return false
}

// Header returns a copy of h with every credential value replaced by Placeholder; Authorization headers keep
// their scheme ("Bearer [redacted]"). Other values are shared with h, so h must not change afterwards (net/http
// does not touch a request's headers once its handler has returned).
func Header(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		if !IsCredentialHeader(k) {
			out[k] = vs
			continue
		}
		red := make([]string, len(vs))
		for i, v := range vs {
			red[i] = Placeholder
			if scheme, _, ok := strings.Cut(v, " "); ok && strings.HasSuffix(textproto.CanonicalMIMEHeaderKey(k), "Authorization") {
				red[i] = scheme + " " + Placeholder
			}
		}
		out[k] = red
	}
	return out
}

// containsFold reports whether s contains the lowercase ASCII word, ignoring case, without allocating.
func containsFold(s, word string) bool {
	for i := 0; i+len(word) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(word)], word) {
			return true
		}
	}
	return false
}

// MinSecretLen is the shortest secret searched for in free text. A shorter one cannot be told from ordinary
// words (an API key "any" would blank every "any" in a report) and is no real secret; it is still kept out of
// everything through the credential headers, which are dropped or masked whole.
const MinSecretLen = 8

// Text replaces every occurrence in s of each secret of at least MinSecretLen bytes with placeholder.
func Text(s, placeholder string, secrets ...string) string {
	for _, secret := range secrets {
		if len(secret) >= MinSecretLen && strings.Contains(s, secret) {
			s = strings.ReplaceAll(s, secret, placeholder)
		}
	}
	return s
}

// Bytes is Text for a body.
func Bytes(b []byte, placeholder string, secrets ...string) []byte {
	for _, secret := range secrets {
		if len(secret) >= MinSecretLen && bytes.Contains(b, []byte(secret)) {
			b = bytes.ReplaceAll(b, []byte(secret), []byte(placeholder))
		}
	}
	return b
}

// Contains reports whether s holds a secret that Text would replace.
func Contains(s string, secrets ...string) bool {
	for _, secret := range secrets {
		if len(secret) >= MinSecretLen && strings.Contains(s, secret) {
			return true
		}
	}
	return false
}

// Query returns a raw URL query with the values of credential-named parameters (as IsCredentialHeader, plus
// "key", "sig" and "signature") replaced by Placeholder and every secret scrubbed (as Text); order is kept.
func Query(raw string, secrets ...string) string {
	if raw == "" {
		return raw
	}
	parts := strings.Split(raw, "&")
	for i, part := range parts {
		name, _, hasValue := strings.Cut(part, "=")
		if unescaped, err := url.QueryUnescape(name); err == nil {
			name = unescaped
		}
		if hasValue && (IsCredentialHeader(name) || queryCredentials[strings.ToLower(name)]) {
			parts[i] = part[:strings.IndexByte(part, '=')+1] + Placeholder
		}
	}
	return Text(strings.Join(parts, "&"), Placeholder, secrets...)
}

var queryCredentials = map[string]bool{"key": true, "sig": true, "signature": true}

// Package redact keeps credentials out of everything lumamock shows or stores: logs, journals, admin answers,
// check reports, fixtures and cassettes. It is the only place that knows what a credential looks like and the
// only placeholder that stands for one.
//
// Two kinds of redaction happen:
//
//   - Structured places are always redacted, whatever the credential's length: credential headers (Header),
//     credential-named query parameters and URL user info (Query, URL), also where such URLs appear inside a
//     body or a message (Body, Text).
//   - Given secrets (the accepted API keys, the bearer token a request carried, credential values found in its
//     headers and query) are scrubbed from free text: a secret of at least MinSecretLen bytes wherever it
//     appears, a shorter one only as a whole token, so that a one-letter key does not blank every word that
//     contains the letter; each also in its escaped spellings (Go and JSON quoting, HTML and XML escapes; see
//     Spellings). In a JSON body secrets are scrubbed from the decoded strings, so the body stays valid JSON.
package redact

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"html"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Placeholder replaces a credential's value, everywhere lumamock redacts one.
const Placeholder = "[redacted]"

// credentialWords make any header name containing them a credential's (IsCredentialHeader); Authorization,
// Proxy-Authorization, Cookie and Set-Cookie are credentials' too.
var credentialWords = []string{"api-key", "apikey", "api_key", "token", "secret", "password", "session"}

// credentialWordBytes is credentialWords as bytes, for IsCredentialHeader.
var credentialWordBytes = func() (out [][]byte) {
	for _, w := range credentialWords {
		out = append(out, []byte(w))
	}
	return out
}()

// sessionHeader, in lower case, is lumamock's own header naming the session a request joins
// (mock.HeaderSession): a name a test chooses, shown in journals and logs, not a credential although its name
// says session.
const sessionHeader = "x-lumamock-session"

// plainHeaders are the names, as net/http canonicalizes them, of headers nearly every request carries and none of
// which is a credential: IsCredentialHeader answers for them at once, rather than lowering the name and
// searching it for each credential word. TestPlainHeadersCarryNoCredential holds them to it.
//
// It pays: of the three headers a load-test request has besides Authorization (Content-Type, Accept,
// Content-Length), each took 21 searches. Under callgrind (BenchmarkServer/mock-envelope, -cpu 1, 6000 minus
// 3000 requests, GOGC=off) a request, client included, took 201,066 instructions before and 195,973 after.
var plainHeaders = [...]string{"Content-Type", "Accept", "Content-Length", "User-Agent", "Accept-Encoding", "Connection", "Prefer", "X-Request-Id"}

// IsCredentialHeader reports whether the header name carries a credential: Authorization,
// Proxy-Authorization, Cookie, Set-Cookie, or any name containing api-key, apikey, api_key, token, secret,
// password or session, in any case; but X-Lumamock-Session, which names a lumamock session.
func IsCredentialHeader(name string) bool {
	for _, plain := range plainHeaders {
		if name == plain {
			return false
		}
	}
	// The name is lowered (ASCII letters only) once and searched for each word: it runs for each header of
	// every request (RequestSecrets), and comparing every position of the name with every word, as
	// containsFold does, took a tenth of the mock's time per request. The words are ASCII, so a window of the
	// name holding a byte outside ASCII never matches one either way, and CanonicalMIMEHeaderKey only changes
	// the case of ASCII letters.
	var buf [64]byte
	lower := lowerASCII(buf[:0], name)
	switch string(lower) {
	case "authorization", "proxy-authorization", "cookie", "set-cookie":
		return true
	case sessionHeader:
		return false
	}
	for _, word := range credentialWordBytes {
		if bytes.Contains(lower, word) {
			return true
		}
	}
	return false
}

// lowerASCII appends s to buf with its ASCII letters in lower case.
func lowerASCII(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf = append(buf, c)
	}
	return buf
}

// paramNames are query parameter names that are credentials although IsCredentialHeader does not say so;
// paramWords are words that make any name containing them one.
var (
	paramNames = map[string]bool{"key": true, "sig": true, "auth": true, "pass": true, "pwd": true}
	paramWords = []string{"signature", "passwd", "credential"}
)

// IsCredentialParam reports whether a query parameter name carries a credential, in any case: a name
// IsCredentialHeader accepts (api_key, access_token, client_secret, password, ...), key, sig, auth, pass, pwd,
// or a name containing signature, passwd or credential (X-Amz-Signature).
func IsCredentialParam(name string) bool {
	if IsCredentialHeader(name) || paramNames[strings.ToLower(name)] {
		return true
	}
	for _, word := range paramWords {
		if containsFold(name, word) {
			return true
		}
	}
	return false
}

// Header returns a copy of h with every credential header's value replaced by Placeholder and every other
// value redacted as Text with secrets. An Authorization header keeps its scheme ("Bearer [redacted]") when
// its first word is an authentication scheme (see IsAuthScheme) and no secret; otherwise, a key sent without
// a scheme, the whole value is replaced. Values left as they are stay shared with h, so h must not change
// afterwards (net/http does not touch a request's headers once its handler has returned).
func Header(h http.Header, secrets ...string) http.Header {
	var buf [8]spelling
	spellings := ordered(buf[:0], secrets)
	out := make(http.Header, len(h))
	for k, vs := range h {
		if !IsCredentialHeader(k) {
			kept := vs
			for i, v := range vs {
				if red := scrub(urlsIn(v), spellings); red != v {
					if &kept[0] == &vs[0] {
						kept = slices.Clone(vs) // the values stay shared with h until one changes
					}
					kept[i] = red
				}
			}
			out[k] = kept
			continue
		}
		red := make([]string, len(vs))
		for i, v := range vs {
			red[i] = Placeholder
			if scheme, _, ok := strings.Cut(strings.TrimSpace(v), " "); ok && IsAuthScheme(scheme) &&
				strings.HasSuffix(textproto.CanonicalMIMEHeaderKey(k), "Authorization") && scrub(scheme, spellings) == scheme {
				red[i] = scheme + " " + Placeholder
			}
		}
		out[k] = red
	}
	return out
}

// authSchemes are the HTTP authentication schemes of the IANA registry, and others in wide use, lowercased.
var authSchemes = map[string]bool{
	"basic": true, "bearer": true, "concealed": true, "digest": true, "dpop": true, "gnap": true, "hoba": true,
	"mutual": true, "negotiate": true, "oauth": true, "privatetoken": true, "scram-sha-1": true,
	"scram-sha-256": true, "vapid": true, "ntlm": true, "token": true, "apikey": true, "api-key": true,
	"aws4-hmac-sha256": true, "hawk": true, "mac": true, "sharedkey": true,
}

// IsAuthScheme reports whether word, in any case, is an HTTP authentication scheme: one of the IANA registry
// (Basic, Bearer, Concealed, Digest, DPoP, GNAP, HOBA, Mutual, Negotiate, OAuth, PrivateToken, SCRAM-SHA-1,
// SCRAM-SHA-256, vapid) or NTLM, Token, ApiKey, Api-Key, AWS4-HMAC-SHA256, Hawk, MAC, SharedKey.
func IsAuthScheme(word string) bool {
	var buf [24]byte
	if len(word) > len(buf) {
		return false
	}
	for i := 0; i < len(word); i++ {
		c := word[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return authSchemes[string(buf[:len(word)])] // the lookup converts without allocating
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

// MinSecretLen is the length from which a secret is scrubbed from free text wherever it appears. A shorter
// secret is scrubbed only as a whole token: where its ends that are letters, digits or '_' do not touch
// another letter, digit, combining mark or '_', of any script. A one-letter key "Q" is thus scrubbed from
// "Bearer Q", "api_key=Q", `"Q"` and "密钥：Q", but not from "Quality" or "éQ". Punctuation and symbols, ASCII
// or not ("：", "“", "—"), glue nothing.
const MinSecretLen = 8

// Text returns s with credentials hidden: in every URL it contains (see URL), and each secret (see
// MinSecretLen), also in its escaped spellings (see Spellings), replaced by Placeholder. Empty secrets are
// ignored.
func Text(s string, secrets ...string) string {
	var buf [8]spelling
	return scrub(urlsIn(s), ordered(buf[:0], secrets))
}

// spelling is one way a secret is written: the secret itself, or one of its escaped forms. whole reports
// whether it is scrubbed only as a whole token, as its secret is (see MinSecretLen).
type spelling struct {
	text  string
	whole bool
}

// scrub replaces each spelling in s with Placeholder.
func scrub(s string, spellings []spelling) string {
	for _, sp := range spellings {
		s = replaceSecret(s, sp)
	}
	return s
}

// Contains reports whether s holds one of secrets where Text would replace it.
func Contains(s string, secrets ...string) bool {
	var buf [8]spelling
	for _, sp := range ordered(buf[:0], secrets) {
		if findSecret(s, sp, 0) >= 0 {
			return true
		}
	}
	return false
}

// ordered appends to out the spellings of the non-empty secrets (each secret, then its escaped forms), longest
// first, so that a secret that is part of a longer one does not leave the rest of the longer one behind.
func ordered(out []spelling, secrets []string) []spelling {
	for _, s := range secrets {
		if s == "" {
			continue
		}
		whole := len(s) < MinSecretLen
		out = appendNew(out, spelling{s, whole})
		if needsEscape(s) {
			for _, e := range escapes(s) {
				if e != "" {
					out = appendNew(out, spelling{e, whole})
				}
			}
		}
	}
	// Longest first, stable: an insertion sort, as a few secrets (one or two per request) are the rule. With the
	// table of escaped bytes (needsEscape), it took BenchmarkText from 1982 to 1443 instructions an op, against
	// slices.SortStableFunc and a switch (callgrind, GODEBUG=asyncpreemptoff=1, 10,000 ops; 1553 before
	// escaped spellings existed).
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && len(out[j].text) > len(out[j-1].text); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func appendNew(out []spelling, sp spelling) []spelling {
	for _, o := range out {
		if o.text == sp.text {
			return out
		}
	}
	return append(out, sp)
}

// Spellings returns secret and the escaped forms of it that Text also scrubs: quoted as Go quotes (%q, also
// ASCII-only, also quoted twice), as JSON strings (with and without HTML escaping), escaped for HTML and XML
// (numeric or named entities), and for a Markdown table ('|' as `\|`); of a secret that is not valid UTF-8,
// only the Go quotes. A secret with nothing to escape has only itself.
func Spellings(secret string) []string {
	out := []string{secret}
	if needsEscape(secret) {
		for _, e := range escapes(secret) {
			if e != "" && !slices.Contains(out, e) {
				out = append(out, e)
			}
		}
	}
	return out
}

// needsEscape reports whether some format escapes a byte of s (see escapes).
func needsEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		if escaped[s[i]] {
			return true
		}
	}
	return false
}

// escaped marks the bytes some format escapes: control characters, DEL, non-ASCII bytes, the double quote,
// the backslash, the apostrophe, and <, >, & and |.
var escaped = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c < 0x20 || c >= 0x7f
	}
	for _, c := range `"\<>&'|` {
		t[c] = true
	}
	return t
}()

// escapes returns the escaped spellings of s (see Spellings), some of which may be s itself, or "" for a
// spelling that is none. Of a secret that is not valid UTF-8 only the Go quotes, which keep every byte, are
// spellings; and none that writes a character as U+FFFD (XML for most control characters, JSON and XML for an
// invalid byte), which would stand for any other such character too.
func escapes(s string) []string {
	unquote := func(q string) string { return q[1 : len(q)-1] }
	goQuoted := unquote(strconv.Quote(s))
	if !utf8.ValidString(s) {
		return []string{goQuoted, unquote(strconv.QuoteToASCII(s)), unquote(strconv.Quote(goQuoted))}
	}
	var xmlText strings.Builder
	_ = xml.EscapeText(&xmlText, []byte(s))
	out := []string{
		goQuoted,
		unquote(strconv.QuoteToASCII(s)),
		unquote(strconv.Quote(goQuoted)),
		unquote(string(jsonString(s, false))),
		unquote(string(jsonString(s, true))),
		html.EscapeString(s),
		xmlText.String(),
		namedEntities.Replace(s),
		strings.ReplaceAll(s, "|", `\|`),
	}
	if !strings.ContainsRune(s, utf8.RuneError) {
		for i, e := range out {
			if strings.ContainsRune(e, utf8.RuneError) {
				out[i] = ""
			}
		}
	}
	return out
}

// namedEntities escapes for HTML and XML with named entities only.
var namedEntities = strings.NewReplacer(`&`, "&amp;", `<`, "&lt;", `>`, "&gt;", `"`, "&quot;", `'`, "&apos;")

// jsonString is s as a JSON string literal, with or without HTML escaping.
func jsonString(s string, escapeHTML bool) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(escapeHTML)
	_ = enc.Encode(s) // encoding a string cannot fail
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// replaceSecret replaces every occurrence of sp in s that findSecret finds.
func replaceSecret(s string, sp spelling) string {
	i := findSecret(s, sp, 0)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for ; i >= 0; i = findSecret(s, sp, last) {
		b.WriteString(s[last:i])
		b.WriteString(Placeholder)
		last = i + len(sp.text)
	}
	b.WriteString(s[last:])
	return b.String()
}

// findSecret returns the index of the first occurrence of sp in s at or after from that Text replaces: any
// occurrence, or only a whole-token one when sp.whole. It returns -1 when there is none.
func findSecret(s string, sp spelling, from int) int {
	for from <= len(s) {
		i := strings.Index(s[from:], sp.text)
		if i < 0 {
			return -1
		}
		i += from
		if !sp.whole || wholeToken(s, i, i+len(sp.text)) {
			return i
		}
		from = i + 1
	}
	return -1
}

// wholeToken reports whether s[i:j] is not glued to a word: it cuts no character in two, and where its first
// (last) character is a word character, the character before (after) it is not.
func wholeToken(s string, i, j int) bool {
	if cutsRune(s, i) || cutsRune(s, j) {
		return false
	}
	if first, _ := utf8.DecodeRuneInString(s[i:j]); isWord(first) {
		if before, n := utf8.DecodeLastRuneInString(s[:i]); n > 0 && isWord(before) {
			return false
		}
	}
	if last, _ := utf8.DecodeLastRuneInString(s[i:j]); isWord(last) {
		if after, n := utf8.DecodeRuneInString(s[j:]); n > 0 && isWord(after) {
			return false
		}
	}
	return true
}

// cutsRune reports whether i falls inside a multi-byte character of s.
func cutsRune(s string, i int) bool {
	for k := i - 1; k >= 0 && k > i-utf8.UTFMax && i < len(s); k-- {
		if utf8.RuneStart(s[k]) {
			_, n := utf8.DecodeRuneInString(s[k:])
			return n > 1 && k+n > i
		}
	}
	return false
}

// isWord reports whether r is part of a word: a letter, digit or combining mark of any script, or '_'. An
// invalid byte (utf8.RuneError) is not.
func isWord(r rune) bool {
	if r < utf8.RuneSelf {
		return r == '_' || ('0' <= r && r <= '9') || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z')
	}
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r))
}

// Query returns a raw URL query (or fragment) with the values of credential-named parameters
// (IsCredentialParam) replaced by Placeholder and every secret scrubbed (see MinSecretLen); everything else,
// order included, is kept byte for byte.
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
		if hasValue && IsCredentialParam(name) {
			parts[i] = part[:strings.IndexByte(part, '=')+1] + Placeholder
		}
	}
	var buf [8]spelling
	return scrub(strings.Join(parts, "&"), ordered(buf[:0], secrets))
}

// QuerySecrets returns the values, unescaped, of the credential-named parameters of a raw URL query, so that
// they can be scrubbed from everything else (a body, a message) as secrets.
func QuerySecrets(raw string) []string {
	var out []string
	for part := range strings.SplitSeq(raw, "&") {
		name, value, ok := strings.Cut(part, "=")
		if !ok || value == "" {
			continue
		}
		if unescaped, err := url.QueryUnescape(name); err == nil {
			name = unescaped
		}
		if !IsCredentialParam(name) {
			continue
		}
		out = append(out, value)
		if unescaped, err := url.QueryUnescape(value); err == nil && unescaped != value {
			out = append(out, unescaped)
		}
	}
	return out
}

// HeaderSecrets returns the credential values of h: each credential header's value and, for a value of more
// than one word ("Bearer sk-..."), what follows the first word, and the first word too when it is no
// authentication scheme (see IsAuthScheme: a key sent without one); so that they can be scrubbed from
// everything else as secrets.
func HeaderSecrets(h http.Header) []string {
	return AppendHeaderSecrets(nil, h)
}

// AppendHeaderSecrets appends HeaderSecrets(h) to out.
func AppendHeaderSecrets(out []string, h http.Header) []string {
	for k, vs := range h {
		if !IsCredentialHeader(k) {
			continue
		}
		for _, v := range vs {
			v = strings.TrimSpace(v)
			if v == "" {
				continue
			}
			out = append(out, v)
			if first, token, ok := strings.Cut(v, " "); ok && strings.TrimSpace(token) != "" {
				out = append(out, strings.TrimSpace(token))
				if !IsAuthScheme(first) {
					out = append(out, first)
				}
			}
		}
	}
	return out
}

// URLSecrets returns the credentials of a URL that URL hides: the password of its user info (or the user
// name when there is no password), and the values of its credential-named query and fragment parameters; so
// that they can be scrubbed from what a receiver of the URL answers.
func URLSecrets(raw string) []string {
	var out []string
	rest := raw
	if i := strings.Index(raw, "://"); i > 0 && isScheme(raw[:i]) {
		rest = raw[i+3:]
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		if at := strings.LastIndexByte(rest[:end], '@'); at >= 0 {
			user, password, hasPassword := strings.Cut(rest[:at], ":")
			if !hasPassword {
				password = user
			}
			if password != "" {
				out = append(out, password)
			}
		}
		rest = rest[end:]
	}
	rest, fragment, _ := strings.Cut(rest, "#")
	_, query, _ := strings.Cut(rest, "?")
	out = append(out, QuerySecrets(query)...)
	return append(out, QuerySecrets(fragment)...)
}

// RequestSecrets returns the credentials r carries: the values HeaderSecrets and QuerySecrets find.
func RequestSecrets(r *http.Request) []string {
	return AppendRequestSecrets(nil, r)
}

// AppendRequestSecrets appends RequestSecrets(r) to out, for a caller that keeps none of them but in a list of
// its own: out can then be a buffer on its stack.
func AppendRequestSecrets(out []string, r *http.Request) []string {
	out = AppendHeaderSecrets(out, r.Header)
	if r.URL != nil && r.URL.RawQuery != "" {
		out = append(out, QuerySecrets(r.URL.RawQuery)...)
	}
	return out
}

// URL returns raw with its credentials hidden: the password of its user info, or the whole user info when it
// has no password (an API key given as user name), its credential-named query parameters and those of a
// fragment that looks like a query ("#access_token=..."). Everything else is kept byte for byte, so the URL
// stays recognisable; raw need not parse. A relative reference ("/path?api_key=...") works too.
func URL(raw string) string {
	var b strings.Builder
	rest := raw
	if i := strings.Index(raw, "://"); i > 0 && isScheme(raw[:i]) {
		b.WriteString(raw[:i+3])
		rest = raw[i+3:]
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		authority := rest[:end]
		if at := strings.LastIndexByte(authority, '@'); at >= 0 {
			if user, _, hasPassword := strings.Cut(authority[:at], ":"); hasPassword {
				b.WriteString(user + ":" + Placeholder)
			} else {
				b.WriteString(Placeholder)
			}
			authority = authority[at:]
		}
		b.WriteString(authority)
		rest = rest[end:]
	}
	fragment, hasFragment := "", false
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest, fragment, hasFragment = rest[:i], rest[i+1:], true
	}
	if path, query, hasQuery := strings.Cut(rest, "?"); hasQuery {
		b.WriteString(path + "?" + Query(query))
	} else {
		b.WriteString(rest)
	}
	if hasFragment {
		if strings.Contains(fragment, "=") {
			fragment = Query(fragment)
		}
		b.WriteString("#" + fragment)
	}
	return b.String()
}

// isScheme reports whether s is a URL scheme: a letter, then letters, digits, '+', '-' or '.'.
func isScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && (('0' <= c && c <= '9') || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return s != ""
}

// urlsIn returns s with every URL in it ("scheme://...", up to a space, a quote, '<', '>', '`' or '\')
// redacted as URL.
func urlsIn(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	var b strings.Builder
	last := 0
	for from := 0; ; {
		i := strings.Index(s[from:], "://")
		if i < 0 {
			break
		}
		i += from
		start := i
		for start > last && isSchemeByte(s[start-1]) {
			start--
		}
		end := i + 3
		for end < len(s) && !endsURL(s[end]) {
			end++
		}
		if start < i && isScheme(s[start:i]) {
			b.WriteString(s[last:start])
			b.WriteString(URL(s[start:end]))
			last = end
		}
		from = max(end, i+3)
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isSchemeByte(c byte) bool {
	return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') || c == '+' || c == '-' || c == '.'
}

// endsURL reports whether c cannot be part of a URL written in text.
func endsURL(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\f', '\v', '"', '\'', '<', '>', '`', '\\':
		return true
	}
	return c < 0x20 || c == 0x7f
}

// Body returns a message body with credentials hidden. A JSON body has each of its strings, member names
// included, redacted as Text (so URLs inside it, such as a notify_hook, lose their credentials, and secrets are
// scrubbed from decoded text, escapes and all); the result is valid JSON, laid out as before. Any other body is
// redacted as Text. b is not changed; when nothing is hidden, Body returns b itself.
func Body(b []byte, secrets ...string) []byte {
	if len(b) == 0 {
		return b
	}
	var buf [8]spelling
	spellings := ordered(buf[:0], secrets)
	if !mayHide(b, spellings) {
		return b
	}
	if !json.Valid(b) {
		s := string(b)
		if red := scrub(urlsIn(s), spellings); red != s {
			return []byte(red)
		}
		return b
	}
	var out []byte
	last := 0
	for i := 0; i < len(b); i++ {
		if b[i] != '"' {
			continue
		}
		j := i + 1
		for b[j] != '"' {
			if b[j] == '\\' {
				j++
			}
			j++
		}
		lit := b[i : j+1]
		if red, changed := redactLiteral(lit, spellings); changed {
			if out == nil {
				out = make([]byte, 0, len(b)+16)
			}
			out = append(out, b[last:i]...)
			out = append(out, red...)
			last = j + 1
		}
		i = j
	}
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}

// mayHide reports whether Body could hide anything in b: it holds a URL, an escape (which could spell a secret
// or a URL) or one of spellings.
func mayHide(b []byte, spellings []spelling) bool {
	if bytes.Contains(b, []byte("://")) || bytes.IndexByte(b, '\\') >= 0 {
		return true
	}
	for _, sp := range spellings {
		if bytes.Contains(b, []byte(sp.text)) {
			return true
		}
	}
	return false
}

// redactLiteral redacts the JSON string literal lit as Text and returns it re-encoded, and whether it changed.
func redactLiteral(lit []byte, spellings []spelling) ([]byte, bool) {
	var s string
	if inner := lit[1 : len(lit)-1]; bytes.IndexByte(inner, '\\') < 0 {
		// Without escapes the literal is its own text (the body is valid JSON), so most literals, which hold
		// neither a URL nor a secret, are passed over without decoding.
		if !mayHide(inner, spellings) {
			return lit, false
		}
		s = string(inner)
	} else if json.Unmarshal(lit, &s) != nil {
		return lit, false
	}
	red := scrub(urlsIn(s), spellings)
	if red == s {
		return lit, false
	}
	return jsonString(red, false), true
}

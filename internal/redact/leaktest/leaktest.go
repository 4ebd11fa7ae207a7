// Package leaktest finds secrets in what lumamock writes, for tests of its redaction. It does not use the
// redact package, so that a test of redact's callers does not take redact's own word for what a leak is.
package leaktest

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"html"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MinLen is the length from which a secret counts as leaked wherever it appears; a shorter one counts only as
// a whole token: not glued to a letter, digit, combining mark or '_' (of any script) on a side where it has one.
// Punctuation and symbols, ASCII or not ("：", "“", "—"), glue nothing.
const MinLen = 8

// notWord matches a character that is not part of a word: anything but a letter, digit or combining mark of
// any script and '_'. An invalid UTF-8 byte is no word either.
const notWord = `[^\p{L}\p{N}\p{M}_]`

// Find returns, for each leaked occurrence of secret in out, the text around it; nil when there is none. A
// secret leaks as it is and in every escaped spelling a report, a log or a journal could give it (see
// Spellings).
func Find(out, secret string) []string {
	if secret == "" {
		return nil
	}
	var found []string
	for _, spelling := range Spellings(secret) {
		var re *regexp.Regexp
		if len(secret) >= MinLen {
			re = regexp.MustCompile(regexp.QuoteMeta(spelling))
		} else {
			re = regexp.MustCompile(`(?:^|` + notWord + `)(` + regexp.QuoteMeta(spelling) + `)(?:` + notWord + `|$)`)
		}
		for _, m := range re.FindAllStringIndex(out, -1) {
			from, to := max(0, m[0]-40), min(len(out), m[1]+40)
			found = append(found, strings.ReplaceAll(out[from:to], "\n", `\n`))
		}
	}
	return found
}

// Spellings returns secret and the escaped forms of it that lumamock's outputs could show: quoted as Go
// quotes (%q, also ASCII-only, also quoted twice), as JSON strings (with and without HTML escaping), escaped
// for HTML and XML, and for a Markdown table (of a secret that is not valid UTF-8, only the Go quotes). Each is listed once; a secret with nothing to escape has only
// itself.
func Spellings(secret string) []string {
	inner := func(quoted string) string { return quoted[1 : len(quoted)-1] }
	jsonInner := func(s string, escapeHTML bool) string {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(escapeHTML)
		_ = enc.Encode(s)
		return inner(strings.TrimSuffix(b.String(), "\n"))
	}
	var xmlText strings.Builder
	_ = xml.EscapeText(&xmlText, []byte(secret))
	spellings := []string{
		inner(strconv.Quote(secret)),
		inner(strconv.QuoteToASCII(secret)),
		inner(strconv.Quote(inner(strconv.Quote(secret)))),
		jsonInner(secret, false),
		jsonInner(secret, true),
		html.EscapeString(secret),
		xmlText.String(),
		entities.Replace(secret),
		strings.ReplaceAll(secret, "|", `\|`),
	}
	if !utf8.ValidString(secret) {
		spellings = spellings[:3] // JSON, HTML and XML write every invalid byte as the same U+FFFD
	}
	out := []string{secret}
	for _, s := range spellings {
		// A spelling that writes a character as U+FFFD (XML for most control characters) stands for any other
		// such character too: it is none.
		if strings.ContainsRune(s, utf8.RuneError) && !strings.ContainsRune(secret, utf8.RuneError) {
			continue
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// entities escapes for HTML and XML with named entities only.
var entities = strings.NewReplacer(`&`, "&amp;", `<`, "&lt;", `>`, "&gt;", `"`, "&quot;", `'`, "&apos;")

// Keys are API keys of the lengths the redaction must handle: 1 (as short as a key gets), 7 (just below
// MinLen), 8 (MinLen) and 64. Their characters are chosen so that none occurs as a whole token in lumamock's
// own words: "Q" is no word, and the others are no words either.
var Keys = map[string]string{
	"len1":  "Q",
	"len7":  "k7Sec9x",
	"len8":  "k8Secr3t",
	"len64": strings.Repeat("k64Secr3", 8),
}

// EscapingKey is an API key with characters that every output format escapes its own way: a quote and a
// backslash (Go, JSON), and '<', '&', '>' (HTML, XML, JSON with HTML escaping). It is valid in a header, but
// not in a URL or as a method, so tests send it where a header or a body can carry it.
const EscapingKey = `q"uo\te<&>key99`

// TB is the part of testing.TB Check needs.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
}

// Check reports to tb every leak of each secret in the output named what.
func Check(tb TB, what, out string, secrets ...string) {
	tb.Helper()
	for _, secret := range secrets {
		for _, ctx := range Find(out, secret) {
			tb.Errorf("%s shows %q: …%s…", what, secret, ctx)
		}
	}
}

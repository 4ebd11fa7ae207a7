// Package leaktest finds secrets in what lumamock writes, for tests of its redaction. It does not use the
// redact package, so that a test of redact's callers does not take redact's own word for what a leak is.
package leaktest

import (
	"regexp"
	"strings"
)

// MinLen is the length from which a secret counts as leaked wherever it appears; a shorter one counts only as
// a whole token: not glued to a letter, digit or '_' (or a non-ASCII byte) on a side where it has one.
const MinLen = 8

// Find returns, for each leaked occurrence of secret in out, the text around it; nil when there is none.
func Find(out, secret string) []string {
	if secret == "" {
		return nil
	}
	var re *regexp.Regexp
	if len(secret) >= MinLen {
		re = regexp.MustCompile(regexp.QuoteMeta(secret))
	} else {
		re = regexp.MustCompile(`(?:^|[^A-Za-z0-9_\x80-\xff])(` + regexp.QuoteMeta(secret) + `)(?:[^A-Za-z0-9_\x80-\xff]|$)`)
	}
	var found []string
	for _, m := range re.FindAllStringIndex(out, -1) {
		from, to := max(0, m[0]-40), min(len(out), m[1]+40)
		found = append(found, strings.ReplaceAll(out[from:to], "\n", `\n`))
	}
	return found
}

// Keys are API keys of the lengths the redaction must handle: 1 (as short as a key gets), 7 (just below
// MinLen), 8 (MinLen) and 64. Their characters are chosen so that none occurs as a whole token in lumamock's
// own words: "Q" is no word, and the others are no words either.
var Keys = map[string]string{
	"len1":  "Q",
	"len7":  "k7Sec9x",
	"len8":  "k8Secr3t",
	"len64": strings.Repeat("k64Secr3", 8),
}

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

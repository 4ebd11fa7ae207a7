package redact

import (
	"crypto/sha256"
	"encoding/hex"
)

// LabelPrefix starts every Label.
const LabelPrefix = "key_"

// Label names a credential without showing it: LabelPrefix and the first 8 hex digits of the SHA-256 of
// secret. The same secret always gets the same label, in every run and on every server, so a report can say
// which client did what; the label cannot be turned back into a key of any strength, and no key can be found
// in its label (it is one word of hex digits after the prefix).
func Label(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return LabelPrefix + hex.EncodeToString(sum[:4])
}

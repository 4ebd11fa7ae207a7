package adminapi

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/lumamock/lumamock"
)

// Naming a session.
const (
	// HeaderSession names the session a request joins or acts on.
	HeaderSession = "X-Lumamock-Session"
	// SessionPrefix, before an API path, names the session of a request sent by an app that can only be given
	// a base URL: POST /__session/NAME/luma/generations.
	SessionPrefix = "/__session/"
	// DefaultSession is the session of the requests that name none.
	DefaultSession = "default"
	// MaxNameLength is the longest session name.
	MaxNameLength = 64
)

// CheckName returns an error saying why name is not a session name: 1 to MaxNameLength characters of A-Z, a-z,
// 0-9, ".", "_" and "-", but not "." nor ".." (which a URL cannot carry as a path segment). admin.yaml's
// SessionName says the same; a test holds them equal.
func CheckName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("a session name is empty; want 1 to %d characters of A-Z, a-z, 0-9, \".\", \"_\" and \"-\"", MaxNameLength)
	case len(name) > MaxNameLength:
		return fmt.Errorf("session name %.20q... is %d bytes long; want at most %d", name, len(name), MaxNameLength)
	case name == "." || name == "..":
		return fmt.Errorf("session name %q is a path segment URLs remove; choose another", name)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !nameByte(c) {
			return fmt.Errorf("session name %q has %q at byte %d; want only A-Z, a-z, 0-9, \".\", \"_\" and \"-\"", name, name[i:i+1], i)
		}
	}
	return nil
}

func nameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
}

// SessionHeader returns the session h's X-Lumamock-Session header names, "" for none. Repeated with one value it
// names that session; repeated with two, it is a 400 naming the header, as a header and a path that disagree.
// The name itself is not checked.
func SessionHeader(h http.Header) (string, error) {
	// HeaderSession is canonical: reading the map directly spares Header.Get's canonicalizing of the name.
	v := h[HeaderSession]
	if len(v) == 0 {
		return "", nil
	}
	for _, other := range v[1:] {
		if other != v[0] {
			return v[0], Invalid(lumamock.InHeader, HeaderSession, "session",
				fmt.Sprintf("is sent twice, naming %q and %q; name one session", v[0], other))
		}
	}
	return v[0], nil
}

// SplitPrefix takes a /__session/NAME prefix off path: the name and the path after it ("/" when nothing
// follows). ok is false when path does not start with SessionPrefix. Give it the path as sent
// (url.URL.EscapedPath), so that an encoded "/" stays in the name, which CheckName then refuses.
func SplitPrefix(path string) (name, rest string, ok bool) {
	after, ok := strings.CutPrefix(path, SessionPrefix)
	if !ok {
		return "", path, false
	}
	name, rest, found := strings.Cut(after, "/")
	if !found {
		return name, "/", true
	}
	return name, "/" + rest, true
}

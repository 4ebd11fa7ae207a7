package mock

import (
	"bufio"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/lumamock/lumamock/internal/adminapi"
)

// FuzzSessionOf reads the session of requests as a server parses them: a request refused is a 400 in the session
// default; one accepted with a /__session/NAME prefix names a valid NAME written as is (no percent-encoding) and
// leaves the path after it, decoded and as sent, to what follows.
func FuzzSessionOf(f *testing.F) {
	for _, s := range []string{"/__session/a/luma/generations", "/__session/q%2Fr/luma/generations", "/__session/qq%2Fluma/generations",
		"/__session/a%41b/x", "/__session/a", "/__session/", "/__session%2Fa/x", "/__session/a/b%2Fc", "/luma/generations"} {
		f.Add(s, "", "")
	}
	f.Add("/luma/generations", "a", "b")
	f.Add("/__session/a/x", "a", "a")
	f.Fuzz(func(t *testing.T, target, h1, h2 string) {
		r, err := http.ReadRequest(bufio.NewReader(strings.NewReader("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n")))
		if err != nil || !strings.HasPrefix(target, "/") {
			return
		}
		for _, h := range []string{h1, h2} {
			if h != "" {
				r.Header.Add(HeaderSession, h)
			}
		}
		path, sent := r.URL.Path, r.URL.EscapedPath()
		name, err := sessionOf(r)
		if err != nil {
			var e *adminapi.Error
			if name != DefaultSession || !errors.As(err, &e) || e.Status != http.StatusBadRequest || len(e.Violations) != 1 {
				t.Fatalf("sessionOf(%q) = %q, %v; want a 400 in the session default", target, name, err)
			}
			return
		}
		if CheckSessionName(name) != nil && name != DefaultSession {
			t.Fatalf("sessionOf(%q) = %q, a bad name", target, name)
		}
		if !strings.HasPrefix(path, SessionPrefix) || !strings.HasPrefix(sent, SessionPrefix) {
			return
		}
		if !strings.HasPrefix(sent, SessionPrefix+name) || r.Header.Get(HeaderSession) != name {
			t.Fatalf("sessionOf(%q) = %q, not the name as sent", target, name)
		}
		rest := strings.TrimPrefix(path, SessionPrefix+name)
		if rest == "" {
			rest = "/"
		}
		if r.URL.Path != rest {
			t.Fatalf("sessionOf(%q) left the path %q, want %q", target, r.URL.Path, rest)
		}
		if back, err := url.PathUnescape(r.URL.EscapedPath()); err != nil || back != rest {
			t.Fatalf("sessionOf(%q) left the path as sent %q (%q), want it to read %q", target, r.URL.EscapedPath(), r.URL.RawPath, rest)
		}
	})
}

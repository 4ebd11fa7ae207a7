package adminapi

import (
	"regexp"
	"strings"
	"testing"
)

// namePattern is the rule CheckName applies, as a regular expression with the length apart.
var namePattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// FuzzCheckName: CheckName accepts exactly the names of 1 to 64 characters of A-Z a-z 0-9 . _ - that are not
// "." nor "..", and a name it accepts is a path segment that SplitPrefix gives back whole.
func FuzzCheckName(f *testing.F) {
	for _, s := range []string{"", "default", "suite-1", ".", "..", "...", "a/b", "é", strings.Repeat("x", 65)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := CheckName(name)
		want := namePattern.MatchString(name) && name != "." && name != ".."
		if (err == nil) != want {
			t.Fatalf("CheckName(%q) = %v, want accepted %v", name, err, want)
		}
		if err != nil {
			if !strings.Contains(err.Error(), "session name") && !strings.Contains(err.Error(), "a session name") {
				t.Fatalf("CheckName(%q): %q does not say it is about the session name", name, err)
			}
			return
		}
		got, rest, ok := SplitPrefix(SessionPrefix + name + "/luma/generations")
		if !ok || got != name || rest != "/luma/generations" {
			t.Fatalf("SplitPrefix of a path naming %q: %q %q %v", name, got, rest, ok)
		}
	})
}

// FuzzSplitPrefix: a path split at a /__session/NAME prefix is the prefix, the name and the rest put back
// together, and the rest is a path.
func FuzzSplitPrefix(f *testing.F) {
	for _, s := range []string{"/__session/a/luma/generations", "/__session/", "/__session/a", "/luma/generations", "/__session//x", "/__sessionx/a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		name, rest, ok := SplitPrefix(path)
		if !ok {
			if strings.HasPrefix(path, SessionPrefix) || rest != path || name != "" {
				t.Fatalf("SplitPrefix(%q) = %q %q false", path, name, rest)
			}
			return
		}
		if !strings.HasPrefix(rest, "/") || strings.Contains(name, "/") {
			t.Fatalf("SplitPrefix(%q) = %q %q", path, name, rest)
		}
		back := SessionPrefix + name + rest
		if !strings.Contains(path[len(SessionPrefix):], "/") { // nothing after the name: the rest is "/"
			back = SessionPrefix + name
			if rest != "/" {
				t.Fatalf("SplitPrefix(%q) = %q %q; want the rest /", path, name, rest)
			}
		}
		if back != path {
			t.Fatalf("SplitPrefix(%q) = %q %q, which make %q", path, name, rest, back)
		}
	})
}

package mock

import (
	"context"
	"errors"
	"net/netip"
	"testing"
)

func TestReceiverIsTheAddressNotTheSpelling(t *testing.T) {
	a := &allowList{lookup: func(_ context.Context, host string) ([]netip.Addr, error) {
		switch host {
		case "localhost":
			return []netip.Addr{netip.MustParseAddr("::1"), netip.MustParseAddr("127.0.0.1")}, nil
		case "v6only.test":
			return []netip.Addr{netip.MustParseAddr("::1")}, nil
		}
		return nil, errors.New("no such host")
	}}
	tests := []struct{ hook, want string }{
		{"http://127.0.0.1:8080/hook", "http://127.0.0.1:8080"},
		{"http://localhost:8080/other", "http://127.0.0.1:8080"},
		{"http://LOCALHOST:8080/", "http://127.0.0.1:8080"},
		{"HTTP://127.0.0.1:8080/", "http://127.0.0.1:8080"},
		{"http://127.0.0.1:08080/hook", "http://127.0.0.1:8080"},
		{"http://[::ffff:127.0.0.1]:8080/hook", "http://127.0.0.1:8080"},
		{"http://[::1]:8080/hook", "http://[::1]:8080"},
		{"http://v6only.test:8080/hook", "http://[::1]:8080"},
		{"http://127.0.0.1/hook", "http://127.0.0.1:80"},
		{"https://127.0.0.1/hook", "https://127.0.0.1:443"},
		{"https://127.0.0.1:80/hook", "https://127.0.0.1:80"},
		{"http://unresolvable.test:9/hook", "http://unresolvable.test:9"},
	}
	for _, tt := range tests {
		h, err := parseHook(tt.hook)
		if err != nil {
			t.Errorf("parseHook(%q): %v", tt.hook, err)
			continue
		}
		if got := a.receiverOf(context.Background(), h); got != tt.want {
			t.Errorf("receiver of %q = %q, want %q", tt.hook, got, tt.want)
		}
	}
}

// TestHookReadingIsOne checks that parseHook and the dialler read a host the same way: every host parseHook
// accepts is dialled by that spelling's canonical form, and every host it refuses the dialler refuses too.
func TestHookReadingIsOne(t *testing.T) {
	for _, host := range []string{"127.0.0.1", "[::1]", "[::ffff:127.0.0.1]", "localhost", "LocalHost", "hooks-2.example.test",
		"127.1", "0x7f.1", "2130706433", "0177.0.0.1", "127.0.0.1.", "localhost.", "0xa9fea9fe", "hooks..test", "hooks.123"} {
		_, perr := parseHook("http://" + host + ":9/x")
		h := host
		if len(h) > 0 && h[0] == '[' {
			h = h[1 : len(h)-1]
		}
		_, _, herr := parseHost(h)
		if (perr == nil) != (herr == nil) {
			t.Errorf("%s: parseHook says %v, parseHost says %v", host, perr, herr)
		}
	}
}

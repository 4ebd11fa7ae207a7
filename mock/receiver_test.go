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
		{"http://LOCALHOST.:8080/", "http://127.0.0.1:8080"},
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
		if got := a.receiverOf(context.Background(), tt.hook); got != tt.want {
			t.Errorf("receiverOf(%q) = %q, want %q", tt.hook, got, tt.want)
		}
	}
}

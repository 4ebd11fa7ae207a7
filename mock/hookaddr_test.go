package mock

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestLooseIPv4(t *testing.T) {
	tests := []struct{ in, want string }{
		{"127.1", "127.0.0.1"},
		{"0x7f.1", "127.0.0.1"},
		{"2130706433", "127.0.0.1"},
		{"0177.0.0.1", "127.0.0.1"},
		{"127.0.0.1.", "127.0.0.1"},
		{"0xa9fea9fe", "169.254.169.254"},
		{"2852039166", "169.254.169.254"},
		{"169.254.43518", "169.254.169.254"},
		{"0x646464c8", "100.100.100.200"},
		{"0x", "0.0.0.0"},
		{"4294967296", ""},
		{"256.1.1.1", ""},
		{"1.2.3.4.5", ""},
		{"08.1.1.1", ""}, // 8 is no octal digit
		{"1.2.65536", ""},
		{"hooks.1", ""},
	}
	for _, tt := range tests {
		got, ok := looseIPv4(tt.in)
		if tt.want == "" {
			if ok {
				t.Errorf("looseIPv4(%q) = %s, want none", tt.in, got)
			}
			continue
		}
		if !ok || got.String() != tt.want {
			t.Errorf("looseIPv4(%q) = %s, %v; want %s", tt.in, got, ok, tt.want)
		}
	}
}

// FuzzParseHost checks parseHost's one reading: a host it accepts is an address netip reads, or a lowercase
// name that no software would read as an address; a dotted quad netip reads is the address the loose reader
// finds; and every refusal is a host violation.
func FuzzParseHost(f *testing.F) {
	for _, seed := range []string{"127.0.0.1", "127.1", "0x7f.1", "localhost", "localhost.", "LocalHost", "::1",
		"fe80::1%eth0", "hooks..test", "hooks.123", "b\u00fccher.example", "0xa9fea9fe", "1e3", "a.0x", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, host string) {
		name, ip, err := parseHost(host)
		if err != nil {
			var he *hookError
			if !errors.As(err, &he) || he.rule != ruleHost {
				t.Fatalf("parseHost(%q): %v is not a host violation", host, err)
			}
			return
		}
		if ip.IsValid() {
			if want, perr := netip.ParseAddr(host); perr != nil || want != ip || name != "" {
				t.Fatalf("parseHost(%q) = %q, %s: not the address netip reads", host, name, ip)
			}
			if ip.Is4() {
				if loose, ok := looseIPv4(host); !ok || loose != ip {
					t.Fatalf("looseIPv4(%q) = %s, %v; netip reads %s", host, loose, ok, ip)
				}
			}
			return
		}
		if name != strings.ToLower(host) || !isHostName(name) || endsInNumber(name) {
			t.Fatalf("parseHost(%q) = %q: not a lowercase host name", host, name)
		}
		if _, ok := looseIPv4(name); ok {
			t.Fatalf("parseHost(%q) = %q, a name other software reads as an address", host, name)
		}
	})
}

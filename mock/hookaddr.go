package mock

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// ruleHost is the rule of a refused notify_hook whose host callbacks cannot be sent to as it is written.
const ruleHost = "host"

// hookAddr is where a notify_hook sends its callbacks, read once, at submit: submit judges this reading, the
// hook's receiver is named after it, and the dialler reads the host it is given with the same parseHost, so no
// hook is accepted that the dialler would read otherwise or not at all.
type hookAddr struct {
	scheme string     // http or https
	host   string     // as the URL writes it (without brackets), for messages
	name   string     // the host name, lowercase; "" when the host is an address
	ip     netip.Addr // the host's address, when it is one
	port   string     // in decimal, 1 to 65535: the URL's, or the scheme's default
}

// parseHook reads hook, or says why callbacks cannot be sent to it: it is not an http(s) URL, its port is not a
// number from 1 to 65535 (rule port), or its host is not one parseHost reads (rule host). A refusal's message
// never repeats the whole URL, which may carry a token. h.host is the host as written, when there is one.
func parseHook(hook string) (h hookAddr, err error) {
	u, err := url.Parse(hook)
	if err != nil {
		if port, ok := rawPort(hook); ok {
			if err := checkPort(port); err != nil {
				return hookAddr{}, err
			}
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return hookAddr{}, fmt.Errorf("is not a URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return hookAddr{}, fmt.Errorf("scheme %q is not http or https", u.Scheme)
	}
	h = hookAddr{scheme: u.Scheme, host: u.Hostname(), port: u.Port()}
	if h.host == "" {
		return h, errors.New("has no host")
	}
	if err := checkPort(h.port); err != nil {
		return h, err
	}
	if h.port == "" {
		h.port = map[string]string{"http": "80", "https": "443"}[h.scheme]
	}
	n, _ := strconv.ParseUint(h.port, 10, 16)
	h.port = strconv.FormatUint(n, 10)
	h.name, h.ip, err = parseHost(h.host)
	return h, err
}

// parseHost reads a URL's host (an IPv6 address without its brackets) as callbacks are sent to it: an IP
// address, an IPv4 one as four decimal numbers (a.b.c.d, no leading zeros), or a host name of ASCII letters,
// digits, '-' and '_' in labels of 1 to 63 characters, without a trailing dot; the name is returned lowercase.
// Anything else is refused (rule host), because software reads it in different ways or cannot read it:
//   - a host that ends in a number but is no such address ("127.1", "0x7f.1", "2130706433", "0177.0.0.1",
//     "127.0.0.1."): the URL standard, browsers and the C resolver read these as IPv4 addresses, Go's dialler as
//     names that no lookup finds; the message says which address other software reads, and what guards it;
//   - a name with a trailing dot ("localhost."): resolvers disagree on it, and it would be a second spelling
//     of the receiver without it;
//   - a name that is not ASCII, which must be written in its IDNA (punycode) form, or not a valid name.
func parseHost(host string) (name string, ip netip.Addr, err error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return "", ip, nil
	}
	fail := func(format string, args ...any) (string, netip.Addr, error) {
		return "", netip.Addr{}, &hookError{rule: ruleHost, err: fmt.Errorf("host %q "+format, append([]any{host}, args...)...)}
	}
	if endsInNumber(host) {
		v4, ok := looseIPv4(host)
		if !ok {
			return fail("ends in a number but is not an IPv4 address; write an address as four decimal numbers from 0 to 255 (a.b.c.d)")
		}
		which := ""
		if why := guardedAddr(v4); why != "" {
			which = ", which is " + why + ","
		}
		return fail("is the IPv4 address %s%s written in a form that software reads in different ways (callbacks would not reach it); write it as %s", v4, which, v4)
	}
	for i := 0; i < len(host); i++ {
		if host[i] >= 0x80 {
			return fail("is not ASCII; write the name in its IDNA form (xn--…)")
		}
	}
	if strings.HasSuffix(host, ".") {
		return fail("ends in a dot; write the name without it (%s)", strings.TrimSuffix(host, "."))
	}
	if !isHostName(host) {
		return fail("is not a valid host name (labels of letters, digits, '-' and '_', of 1 to 63 characters, separated by dots)")
	}
	return strings.ToLower(host), netip.Addr{}, nil
}

// isHostName reports whether s is a host name as the resolver looks names up: labels of 1 to 63 ASCII letters,
// digits, '-' and '_', separated by dots, 253 characters at most.
func isHostName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// endsInNumber reports whether host's last label (a trailing dot aside) is a number, decimal or 0x-hexadecimal:
// the URL standard then reads the whole host as an IPv4 address, never as a name.
func endsInNumber(host string) bool {
	parts := strings.Split(host, ".")
	if len(parts) > 1 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	last := parts[len(parts)-1]
	if last == "" {
		return false
	}
	if strings.Trim(last, "0123456789") == "" {
		return true
	}
	_, ok := ipv4Number(last)
	return ok
}

// looseIPv4 reads host as the URL standard's IPv4 parser (and the C library's inet_aton) does: one to four
// numbers separated by dots (a trailing dot aside), each decimal, octal with a leading 0 or hexadecimal with
// 0x; the last fills the bytes the others leave (127.1 is 127.0.0.1, 2130706433 is 127.0.0.1).
func looseIPv4(host string) (netip.Addr, bool) {
	parts := strings.Split(host, ".")
	if len(parts) > 1 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	var v uint64
	for i, p := range parts {
		n, ok := ipv4Number(p)
		if !ok {
			return netip.Addr{}, false
		}
		if i < len(parts)-1 {
			if n > 255 {
				return netip.Addr{}, false
			}
			v |= n << (8 * (3 - i))
			continue
		}
		if n >= 1<<(8*(5-len(parts))) {
			return netip.Addr{}, false
		}
		v |= n
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}

// ipv4Number reads one part of a loosely written IPv4 address: decimal, octal with a leading 0, or hexadecimal
// with 0x (0x alone is 0), below 2^32.
func ipv4Number(p string) (uint64, bool) {
	base := 10
	switch {
	case len(p) >= 2 && (p[:2] == "0x" || p[:2] == "0X"):
		if p = p[2:]; p == "" {
			return 0, true
		}
		base = 16
	case len(p) >= 2 && p[0] == '0':
		p, base = p[1:], 8
	}
	if p == "" || strings.ContainsAny(p, "+-_") {
		return 0, false
	}
	n, err := strconv.ParseUint(p, base, 32)
	return n, err == nil
}

package mock

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// allowList is Options.CallbackAllow, parsed: host names (exact or "*.suffix") and address blocks. An empty
// list allows everything but the guarded destinations (see guardedAddr and guardedName), which need an entry of
// their own whatever the list holds.
type allowList struct {
	names    []string // lowercased; "*.example.com" matches any subdomain
	prefixes []netip.Prefix
	blocks   bool // some entry is a CIDR block, so host names are resolved and checked when dialled

	// lookup resolves a hook's host name when a callback is dialled; nil means net.DefaultResolver.LookupNetIP
	// for network "ip". Tests set it so that no name is ever really resolved.
	lookup func(ctx context.Context, host string) ([]netip.Addr, error)
}

func parseAllowList(entries []string) (*allowList, error) {
	a := &allowList{}
	for _, e := range entries {
		e = strings.TrimSpace(e)
		switch {
		case e == "":
			return nil, errors.New("mock: empty callback-allow entry")
		case strings.Contains(e, "/"):
			p, err := netip.ParsePrefix(e)
			if err != nil {
				return nil, fmt.Errorf("mock: callback-allow %q is not a CIDR block: %w", e, err)
			}
			a.prefixes = append(a.prefixes, p.Masked())
			a.blocks = true
		default:
			if ip, err := netip.ParseAddr(strings.Trim(e, "[]")); err == nil {
				a.prefixes = append(a.prefixes, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
				continue
			}
			name := canonicalName(e)
			if strings.ContainsAny(name, " :/?#@") || strings.Contains(strings.TrimPrefix(name, "*."), "*") {
				return nil, fmt.Errorf("mock: callback-allow %q is not a host name, IP address or CIDR block", e)
			}
			a.names = append(a.names, name)
		}
	}
	return a, nil
}

// canonicalName is host as names are compared: lowercased, without the trailing dot of a fully qualified name.
func canonicalName(host string) string { return strings.ToLower(strings.TrimSuffix(host, ".")) }

func (a *allowList) empty() bool { return len(a.names) == 0 && len(a.prefixes) == 0 }

// allowsName reports whether an entry names host, exactly or as a subdomain of a "*." entry.
func (a *allowList) allowsName(host string) bool {
	host = canonicalName(host)
	for _, n := range a.names {
		if suffix, ok := strings.CutPrefix(n, "*"); ok {
			if strings.HasSuffix(host, suffix) && len(host) > len(suffix) {
				return true
			}
		} else if host == n {
			return true
		}
	}
	return false
}

// listsName reports whether an entry is host itself: only that lifts the guard on a metadata name, so
// "*.internal" does not open metadata.google.internal.
func (a *allowList) listsName(host string) bool {
	host = canonicalName(host)
	for _, n := range a.names {
		if host == n {
			return true
		}
	}
	return false
}

func (a *allowList) allowsAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range a.prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// resolve returns the addresses host resolves to, with the list's lookup (the system resolver by default).
func (a *allowList) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	lookup := a.lookup
	if lookup == nil {
		lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	ips, err := lookup(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", host, err)
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("resolve %s: no addresses", host)
	}
	return ips, nil
}

// refuseAddr says why a callback may not be dialled at ip, or "" when it may. named reports whether the hook's
// host name is in the list. A listed address or block reaches anything in it; otherwise a guarded address is
// refused, and any other address is reached with no list or a listed name, or refused.
func (a *allowList) refuseAddr(ip netip.Addr, named bool) string {
	if a.allowsAddr(ip) {
		return ""
	}
	if why := guardedAddr(ip); why != "" {
		return fmt.Sprintf("address %s is %s; refused unless --callback-allow lists the address or a block holding it", ip, why)
	}
	if a.empty() || named {
		return ""
	}
	return fmt.Sprintf("address %s is in no --callback-allow block", ip)
}

// Rules of the violation a refused notify_hook is answered with (see hookRule).
const (
	ruleCallbackAllow = "callback-allow" // the destination is not allowed, or the URL is not an http(s) URL
	rulePort          = "port"           // the port is not a number from 1 to 65535
)

// hookError is a refusal of a notify_hook whose rule is not ruleCallbackAllow.
type hookError struct {
	rule string
	err  error
}

func (e *hookError) Error() string { return e.err.Error() }
func (e *hookError) Unwrap() error { return e.err }

// hookRule is the rule of the violation checkHook's err is reported as: rulePort for an impossible port,
// ruleCallbackAllow for anything else.
func hookRule(err error) string {
	var he *hookError
	if errors.As(err, &he) {
		return he.rule
	}
	return ruleCallbackAllow
}

// checkPort says why port (the text after the host's colon; "" for the scheme's default) cannot be dialled, or
// nil. Leading zeros are accepted ("0080" is port 80), as net/url and net/http read them.
func checkPort(port string) error {
	if port == "" {
		return nil
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return &hookError{rule: rulePort, err: fmt.Errorf("port %q is not a number from 1 to 65535", port)}
	}
	return nil
}

// rawPort finds the port in hook's authority, for a hook url.Parse refused: ok reports whether the authority has
// one (text after the host's colon).
func rawPort(hook string) (port string, ok bool) {
	_, rest, found := strings.Cut(hook, "://")
	if !found {
		return "", false
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		rest = rest[i+1:]
	}
	if strings.HasPrefix(rest, "[") {
		i := strings.IndexByte(rest, ']')
		if i < 0 {
			return "", false
		}
		rest = rest[i+1:]
		return strings.CutPrefix(rest, ":")
	}
	if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		return rest[i+1:], true
	}
	return "", false
}

// checkHook reads hook (see parseHook) and says why it may not receive callbacks, or nil; hookRule names the
// rule the refusal breaks. It refuses a URL that is not http(s), an impossible port, a host callbacks would not
// reach as written, a guarded address or metadata name (unless an entry lists it) and, with a list, a
// destination outside it. A host name the list does not name is accepted when the list has CIDR blocks: it is
// resolved, and checked, when a callback is sent. Nothing is resolved here.
func (a *allowList) checkHook(hook string) (hookAddr, error) {
	h, err := parseHook(hook)
	if err != nil {
		// A metadata name is refused as one however it is spelled (METADATA.Google.Internal.).
		if why := guardedName(h.host); why != "" && !a.listsName(h.host) && hookRule(err) == ruleHost {
			return h, fmt.Errorf("host %q is %s; refused unless --callback-allow lists that exact name", h.host, why)
		}
		return h, err
	}
	if h.ip.IsValid() {
		if a.allowsAddr(h.ip) {
			return h, nil
		}
		if why := guardedAddr(h.ip); why != "" {
			return h, fmt.Errorf("address %s is %s; refused unless --callback-allow lists it", h.host, why)
		}
		if a.empty() {
			return h, nil
		}
		return h, fmt.Errorf("address %s is not in --callback-allow", h.host)
	}
	if why := guardedName(h.name); why != "" && !a.listsName(h.name) {
		return h, fmt.Errorf("host %q is %s; refused unless --callback-allow lists that exact name", h.host, why)
	}
	if a.empty() || a.allowsName(h.name) || a.blocks {
		return h, nil
	}
	return h, fmt.Errorf("host %q is not in --callback-allow", h.host)
}

// errDestinationRefused is wrapped by the dialer's error when no address of a hook may be dialled: retrying
// cannot help until --callback-allow changes.
var errDestinationRefused = errors.New("destination refused")

// dialContext dials addr only where the list allows: see dialVia.
func (a *allowList) dialContext(dialer *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return a.dialVia(dialer.DialContext)
}

// dialVia wraps dial so that it is called only at an address the list allows, checked after resolution so DNS
// cannot point an allowed-looking name at a guarded address. A guarded metadata name is refused before it is
// resolved, unless an entry lists it exactly, and so is a host submit would have refused (see parseHost). Each resolved address is checked (see refuseAddr); dial is called
// at the allowed ones, by address, in the resolver's order until one connects. The port must be 1 to 65535.
func (a *allowList) dialVia(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("callback dial %q: %w", addr, err)
		}
		if err := checkPort(port); err != nil {
			return nil, fmt.Errorf("callback to %s refused: %w: %w", host, errDestinationRefused, err)
		}
		n, _ := strconv.ParseUint(port, 10, 16)
		port = strconv.FormatUint(n, 10)
		if why := guardedName(host); why != "" && !a.listsName(host) {
			return nil, fmt.Errorf("callback to %s refused: %w: the name is %s; refused unless --callback-allow lists that exact name", host, errDestinationRefused, why)
		}
		// The host is read as submit read it (parseHost): one that submit refuses is refused here too, before
		// anything is resolved.
		name, ip, err := parseHost(host)
		if err != nil {
			return nil, fmt.Errorf("callback to %s refused: %w: %w", host, errDestinationRefused, err)
		}
		var ips []netip.Addr
		if ip.IsValid() {
			ips = []netip.Addr{ip}
		} else if ips, err = a.resolve(ctx, name); err != nil {
			return nil, fmt.Errorf("callback to %s: %w", host, err)
		}
		named := a.allowsName(name)
		var refusals []string
		var errs []error
		for _, ip := range ips {
			if why := a.refuseAddr(ip, named); why != "" {
				refusals = append(refusals, why)
				continue
			}
			if ip.Is4In6() {
				ip = ip.Unmap()
			}
			if network == "tcp4" && !ip.Is4() || network == "tcp6" && !ip.Is6() {
				continue
			}
			c, err := dial(ctx, network, net.JoinHostPort(ip.String(), port))
			if err == nil {
				return c, nil
			}
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
		}
		if len(errs) > 0 {
			return nil, fmt.Errorf("callback to %s: %w", host, errors.Join(errs...))
		}
		if len(refusals) == 0 {
			return nil, fmt.Errorf("callback to %s: no %s address", host, network)
		}
		return nil, fmt.Errorf("callback to %s refused: %w: %s", host, errDestinationRefused, strings.Join(refusals, "; "))
	}
}

// maxCallbackRedirects bounds the redirects a callback follows, all to the hook's own host.
const maxCallbackRedirects = 3

// newCallbackClient returns the client callbacks are sent with: given (a copy), or one of lumamock's own that
// dials only where allow permits. Either refuses redirects to another host, and those that would change the
// method (301, 302, 303). owned reports the latter.
func newCallbackClient(given *http.Client, allow *allowList, workers int) (c *http.Client, owned bool) {
	if given != nil {
		cp := *given
		c = &cp
	} else {
		dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
		c = &http.Client{Transport: &http.Transport{
			Proxy:               nil, // callbacks go straight to the hook: a proxy would bypass --callback-allow
			DialContext:         allow.dialContext(dialer),
			MaxIdleConns:        max(workers*2, 16),
			MaxIdleConnsPerHost: max(workers, 2),
			IdleConnTimeout:     30 * time.Second,
			TLSHandshakeTimeout: 5 * time.Second,
		}}
		owned = true
	}
	prev := c.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) > maxCallbackRedirects {
			return fmt.Errorf("stopped after %d redirects", maxCallbackRedirects)
		}
		if req.Method != via[0].Method {
			// net/http turns a POST into a bodiless GET on 301, 302 and 303: that is no delivery.
			status := 0
			if req.Response != nil {
				status = req.Response.StatusCode
			}
			return fmt.Errorf("redirect %d refused: it would resend the callback as a %s without its body; callbacks follow 307 and 308 only", status, req.Method)
		}
		if !strings.EqualFold(req.URL.Host, via[0].URL.Host) {
			return fmt.Errorf("redirect to %s://%s refused: callbacks stay on the hook's host %s", req.URL.Scheme, req.URL.Host, via[0].URL.Host)
		}
		if prev != nil {
			return prev(req, via)
		}
		return nil
	}
	c.Timeout = 0 // each attempt has its own deadline
	return c, owned
}

// metadataAddrs are the cloud metadata and platform endpoints outside link-local, each with what answers there.
// Link-local ones (169.254.169.254 for AWS, Azure, Google Cloud, Oracle, OpenStack and others; AWS ECS and EKS at
// 169.254.170.2 and 169.254.170.23) are refused as link-local.
var metadataAddrs = map[netip.Addr]string{
	netip.MustParseAddr("fd00:ec2::254"):   "the AWS EC2 instance metadata service (IPv6)",
	netip.MustParseAddr("fd00:ec2::23"):    "the AWS EKS Pod Identity agent, which hands out credentials (IPv6)",
	netip.MustParseAddr("fd20:ce::254"):    "the Google Cloud metadata server (IPv6)",
	netip.MustParseAddr("100.100.100.200"): "the Alibaba Cloud instance metadata service",
	netip.MustParseAddr("192.0.0.192"):     "the Oracle Cloud (Classic, Cloud at Customer) instance metadata service",
	netip.MustParseAddr("168.63.129.16"):   "Azure's WireServer, the platform endpoint of the VM agent",
}

// metadataNames are the host names of cloud metadata services, canonical (see canonicalName). A name that merely
// resolves to a guarded address is refused when dialled, whatever its name.
var metadataNames = map[string]string{
	"metadata.google.internal": "the Google Cloud metadata server's name",
	"metadata.goog":            "the Google Cloud metadata server's name",
	"metadata":                 "the Google Cloud metadata server's short name (completed by the search domain)",
}

// nat64 is the well-known NAT64 prefix (RFC 6052): 64:ff9b::a.b.c.d reaches IPv4 a.b.c.d through a translator.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// guardedAddr says why callbacks do not go to ip unless --callback-allow lists it, or "" when nothing guards it:
// unspecified (0.0.0.0, ::, which reach this host), link-local (169.254.0.0/16, fe80::/10, and link-local
// multicast; where cloud metadata services answer), a metadata address outside link-local (metadataAddrs), or
// an IPv6 address embedding any of these IPv4 ones (IPv4-mapped, IPv4-compatible, NAT64 64:ff9b::/96).
func guardedAddr(ip netip.Addr) string {
	ip = ip.WithZone("")
	if v4, how := embeddedIPv4(ip); how != "" {
		if why := guardedAddr(v4); why != "" {
			return fmt.Sprintf("%s %s, which is %s", how, v4, why)
		}
		return ""
	}
	switch {
	case ip.IsUnspecified():
		return "unspecified (it reaches this host)"
	case ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast():
		return "link-local (where cloud metadata services answer)"
	}
	return metadataAddrs[ip]
}

// embeddedIPv4 returns the IPv4 address an IPv6 one carries and how, or "" when it carries none. :: and ::1 are
// left to be themselves (unspecified, loopback) rather than IPv4-compatible 0.0.0.0 and 0.0.0.1.
func embeddedIPv4(ip netip.Addr) (netip.Addr, string) {
	if !ip.Is6() {
		return netip.Addr{}, ""
	}
	b := ip.As16()
	v4 := netip.AddrFrom4([4]byte(b[12:]))
	switch {
	case ip.Is4In6():
		return v4, "IPv4-mapped"
	case nat64.Contains(ip):
		return v4, "NAT64 for"
	case [12]byte(b[:12]) == [12]byte{} && ip != netip.IPv6Unspecified() && ip != netip.IPv6Loopback():
		return v4, "IPv4-compatible"
	}
	return netip.Addr{}, ""
}

// guardedName says why callbacks do not go to host, a cloud metadata service's name, unless --callback-allow
// lists that exact name; "" for any other name. Case and a trailing dot do not matter.
func guardedName(host string) string { return metadataNames[canonicalName(host)] }

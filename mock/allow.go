package mock

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// allowList is Options.CallbackAllow, parsed: host names (exact or "*.suffix") and address blocks. An empty
// list allows everything.
type allowList struct {
	names    []string // lowercased; "*.example.com" matches any subdomain
	prefixes []netip.Prefix
	blocks   bool // some entry is a CIDR block, so host names are resolved and checked when dialled
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
			name := strings.ToLower(strings.TrimSuffix(e, "."))
			if strings.ContainsAny(name, " :/?#@") || strings.Contains(strings.TrimPrefix(name, "*."), "*") {
				return nil, fmt.Errorf("mock: callback-allow %q is not a host name, IP address or CIDR block", e)
			}
			a.names = append(a.names, name)
		}
	}
	return a, nil
}

func (a *allowList) empty() bool { return len(a.names) == 0 && len(a.prefixes) == 0 }

func (a *allowList) allowsName(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
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

func (a *allowList) allowsAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range a.prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// checkHook says why hook may not receive callbacks, or nil. A host name the list does not name is accepted
// when the list has CIDR blocks: it is resolved, and checked, when a callback is sent.
func (a *allowList) checkHook(hook string) error {
	u, err := url.Parse(hook)
	if err != nil {
		return fmt.Errorf("is not a URL: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("scheme %q is not http or https", u.Scheme)
	}
	host := u.Hostname()
	if host == "" {
		return errors.New("has no host")
	}
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		switch {
		case a.allowsAddr(ip):
			return nil
		case isLinkLocal(ip):
			return fmt.Errorf("address %s is link-local (where cloud metadata services live); refused unless --callback-allow lists it", host)
		case a.empty():
			return nil
		}
		return fmt.Errorf("address %s is not in --callback-allow", host)
	}
	if a.empty() || a.allowsName(host) {
		return nil
	}
	if a.blocks {
		return nil
	}
	return fmt.Errorf("host %q is not in --callback-allow", host)
}

// dialContext dials addr only where the list allows: with no list or a listed host name, any resolved address
// but a link-local one; anything else at a resolved address inside a listed block (so DNS cannot point an
// allowed-looking name elsewhere). A link-local address is dialled only when a block or address entry lists it.
func (a *allowList) dialContext(dialer *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		named := a.allowsName(host)
		var ips []netip.Addr
		if ip, err := netip.ParseAddr(host); err == nil {
			ips = []netip.Addr{ip}
		} else if ips, err = net.DefaultResolver.LookupNetIP(ctx, "ip", host); err != nil {
			return nil, err
		}
		for _, ip := range ips {
			// A listed name or an empty list reaches any address but a link-local one (cloud metadata), unless
			// a block lists it; otherwise the address must be in a block.
			if a.allowsAddr(ip) || (a.empty() || named) && !isLinkLocal(ip) {
				return dialer.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
			}
		}
		return nil, fmt.Errorf("callback to %s refused: no address of it is allowed (link-local addresses need --callback-allow)", host)
	}
}

// maxCallbackRedirects bounds the redirects a callback follows, all to the hook's own host.
const maxCallbackRedirects = 3

// newCallbackClient returns the client callbacks are sent with: given (a copy), or one of lumamock's own that
// dials only where allow permits. Either refuses redirects to another host. owned reports the latter.
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

// isLinkLocal reports whether ip is link-local (169.254.0.0/16, fe80::/10): where cloud metadata services
// answer, so callbacks never go there unless --callback-allow says so.
func isLinkLocal(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast()
}

package mock

import (
	"context"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// receiverLookupTimeout bounds the name lookup that finds a hook's receiver at submit.
const receiverLookupTimeout = time.Second

// receiverOf names the receiver of hook: its scheme, the address its host resolves to and its port, so that
// every spelling of one address ("localhost", "127.0.0.1", "[::ffff:127.0.0.1]", a port with leading zeros)
// shares one queue and one limit of deliveries in flight. Of the addresses a name resolves to, the first
// IPv4 one is taken, or else the first. A name that does not resolve in time is its own receiver.
func (a *allowList) receiverOf(ctx context.Context, hook string) string {
	u, err := url.Parse(hook)
	if err != nil {
		return hook
	}
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[scheme]
	}
	if n, err := strconv.ParseUint(port, 10, 16); err == nil {
		port = strconv.FormatUint(n, 10)
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if ip, err := netip.ParseAddr(host); err == nil {
		host = ip.Unmap().WithZone("").String()
	} else {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), receiverLookupTimeout)
		defer cancel()
		if ips, err := a.resolve(ctx, host); err == nil && len(ips) > 0 {
			pick := ips[0]
			for _, ip := range ips {
				if ip.Unmap().Is4() {
					pick = ip
					break
				}
			}
			host = pick.Unmap().WithZone("").String()
		}
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

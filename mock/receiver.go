package mock

import (
	"context"
	"net"
	"time"
)

// receiverLookupTimeout bounds the name lookup that finds a hook's receiver at submit.
const receiverLookupTimeout = time.Second

// receiverOf names the receiver of h: its scheme, the address its host resolves to and its port, so that
// every spelling of one address ("localhost", "127.0.0.1", "[::ffff:127.0.0.1]", a port with leading zeros)
// shares one queue and one limit of deliveries in flight. Of the addresses a name resolves to, the first
// IPv4 one is taken, or else the first. A name that does not resolve in time is its own receiver.
func (a *allowList) receiverOf(ctx context.Context, h hookAddr) string {
	host := h.name
	if h.ip.IsValid() {
		host = h.ip.Unmap().WithZone("").String()
	} else {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), receiverLookupTimeout)
		defer cancel()
		if ips, err := a.resolve(ctx, h.name); err == nil && len(ips) > 0 {
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
	return h.scheme + "://" + net.JoinHostPort(host, h.port)
}

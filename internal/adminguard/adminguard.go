// Package adminguard keeps the admin endpoints of lumamock's servers (the mock's and the proxy's /__mock) for
// the people and tests that run them, out of reach of web pages open in the same machine's browser.
//
// Three checks, in this order:
//   - On a connection accepted at a loopback address, the Host header must name a loopback host ("localhost",
//     a name under ".localhost", or a loopback address): a page whose name was rebound to 127.0.0.1 (DNS
//     rebinding) sends its own name, and is refused.
//   - With a Token, every request must carry "Authorization: Bearer <Token>".
//   - A request that changes state (any method but GET, HEAD and OPTIONS) must not come from another origin: an
//     Origin header must name the request's own scheme-less host (the Host header), and a browser's
//     Sec-Fetch-Site header, when present, must say same-origin or none.
//
// Refusals are JSON, {"error": "..."}, as the admin endpoints answer, with 403 (Host, Origin) or 401 (token).
package adminguard

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

// Guard checks requests to admin endpoints. The zero value checks Host and Origin, and asks for no token.
type Guard struct {
	// Token, when set, is the bearer token every admin request must carry.
	Token string
}

// Wrap returns next behind the guard.
func (g Guard) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if status, msg := g.Check(r); status != 0 {
			if status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="lumamock admin"`)
			}
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Content-Type-Options", "nosniff")
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Check returns 0 when r may reach an admin endpoint, else the status to refuse it with and why.
func (g Guard) Check(r *http.Request) (status int, reason string) {
	if local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok && isLoopbackAddr(local) && r.Host != "" && !IsLoopbackHost(r.Host) {
		return http.StatusForbidden, fmt.Sprintf("Host %q is not a loopback name or address: the admin API of a server listening on loopback answers only requests made to loopback (this refuses DNS rebinding)", r.Host)
	}
	if g.Token != "" {
		kind, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(kind, "bearer") || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), []byte(g.Token)) != 1 {
			return http.StatusUnauthorized, "the admin API needs Authorization: Bearer <admin token> (--admin-token)"
		}
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return 0, ""
	}
	if origin := r.Header.Get("Origin"); origin != "" && !sameHost(origin, r.Host) {
		return http.StatusForbidden, fmt.Sprintf("Origin %q is not this server: admin changes are refused from other origins", origin)
	}
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "", "same-origin", "none":
	default:
		return http.StatusForbidden, fmt.Sprintf("Sec-Fetch-Site %q: admin changes are refused from other sites", site)
	}
	return 0, ""
}

// sameHost reports whether origin (scheme://host[:port]) names host (a Host header).
func sameHost(origin, host string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return false // includes "null", sent by sandboxed and file: pages
	}
	return strings.EqualFold(u.Host, host)
}

// IsLoopbackHost reports whether host (a Host header: name or address, with or without a port) names the
// machine itself: "localhost", a name under ".localhost" (RFC 6761), or a loopback address.
func IsLoopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

func isLoopbackAddr(a net.Addr) bool {
	ap, err := netip.ParseAddrPort(a.String())
	return err == nil && ap.Addr().Unmap().IsLoopback()
}

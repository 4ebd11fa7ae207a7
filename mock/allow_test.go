package mock

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
)

func TestGuardedAddr(t *testing.T) {
	tests := []struct {
		addr string
		want string // in the reason; "" for an address nothing guards
	}{
		{"169.254.169.254", "link-local"},
		{"169.254.170.2", "link-local"},
		{"fe80::a9fe:a9fe", "link-local"},
		{"fe80::1%eth0", "link-local"},
		{"224.0.0.251", "link-local"},
		{"ff02::1", "link-local"},
		{"fd00:ec2::254", "AWS EC2 instance metadata"},
		{"fd00:ec2::23", "EKS Pod Identity"},
		{"fd20:ce::254", "Google Cloud metadata server"},
		{"100.100.100.200", "Alibaba Cloud"},
		{"192.0.0.192", "Oracle Cloud"},
		{"168.63.129.16", "WireServer"},
		{"0.0.0.0", "unspecified"},
		{"::", "unspecified"},
		{"::ffff:169.254.169.254", "IPv4-mapped 169.254.169.254, which is link-local"},
		{"::ffff:100.100.100.200", "IPv4-mapped 100.100.100.200, which is the Alibaba"},
		{"::ffff:0.0.0.0", "IPv4-mapped 0.0.0.0, which is unspecified"},
		{"::169.254.169.254", "IPv4-compatible 169.254.169.254, which is link-local"},
		{"64:ff9b::a9fe:a9fe", "NAT64 for 169.254.169.254, which is link-local"},
		{"64:ff9b::100.100.100.200", "NAT64 for 100.100.100.200"},
		{"64:ff9b::c0:0:c0", ""}, // NAT64 embeds 0.192.0.192, not Oracle's address
		{"127.0.0.1", ""},
		{"::1", ""},
		{"::ffff:127.0.0.1", ""},
		{"10.0.0.1", ""},
		{"100.100.100.201", ""},
		{"fd00:ec2::253", ""}, // the VPC resolver, not a metadata service
		{"64:ff9b::192.0.2.1", ""},
		{"2001:db8::1", ""},
	}
	for _, tt := range tests {
		got := guardedAddr(netip.MustParseAddr(tt.addr))
		if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
			t.Errorf("guardedAddr(%s) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}

func TestGuardedName(t *testing.T) {
	for host, guarded := range map[string]bool{
		"metadata.google.internal":   true,
		"METADATA.GOOGLE.INTERNAL.":  true,
		"metadata.goog":              true,
		"Metadata":                   true,
		"metadata.":                  true,
		"a.metadata.google.internal": false,
		"metadata.example.com":       false,
		"google.internal":            false,
		"localhost":                  false,
	} {
		if got := guardedName(host) != ""; got != guarded {
			t.Errorf("guardedName(%q) guarded = %v, want %v", host, got, guarded)
		}
	}
}

func TestRawPort(t *testing.T) {
	tests := []struct {
		hook, port string
		ok         bool
	}{
		{"http://h:abc/x", "abc", true},
		{"http://u:p@h:0/x", "0", true},
		{"http://u:p@h/x", "", false},
		{"http://[::1]:8o/x", "8o", true},
		{"http://[::1]/x", "", false},
		{"http://[::1/x", "", false},
		{"http://h:1?q=a:b", "1", true},
		{"http://h#a:b", "", false},
		{"h:80", "", false},
	}
	for _, tt := range tests {
		if port, ok := rawPort(tt.hook); port != tt.port || ok != tt.ok {
			t.Errorf("rawPort(%q) = %q, %v; want %q, %v", tt.hook, port, ok, tt.port, tt.ok)
		}
	}
}

// stubNet stands for the resolver and the dialer: no name is resolved and nothing is dialled.
type stubNet struct {
	t       *testing.T
	names   map[string][]string // what lookup answers; a name not in it fails the test
	failAt  map[string]bool     // addresses dial fails at
	mu      sync.Mutex
	looked  []string
	dialled []string
}

func (s *stubNet) lookup(_ context.Context, host string) ([]netip.Addr, error) {
	s.mu.Lock()
	s.looked = append(s.looked, host)
	s.mu.Unlock()
	addrs, ok := s.names[host]
	if !ok {
		s.t.Errorf("resolved %q, which the case does not expect to be resolved", host)
		return nil, errors.New("stub: no such host")
	}
	var ips []netip.Addr
	for _, a := range addrs {
		ips = append(ips, netip.MustParseAddr(a))
	}
	return ips, nil
}

func (s *stubNet) dial(_ context.Context, network, addr string) (net.Conn, error) {
	s.mu.Lock()
	s.dialled = append(s.dialled, addr)
	s.mu.Unlock()
	if network != "tcp" {
		s.t.Errorf("dialled network %q", network)
	}
	if s.failAt[addr] {
		return nil, errors.New("stub: connection refused")
	}
	c1, c2 := net.Pipe()
	c2.Close()
	return c1, nil
}

func TestDialRefusesGuardedAddressesAfterResolution(t *testing.T) {
	tests := []struct {
		name    string
		allow   []string
		addr    string              // what the transport asks to dial
		names   map[string][]string // what the stub resolver answers
		failAt  []string            // where the stub dialer fails
		dialled []string            // every address dial is called at, in order
		refused bool                // the error wraps errDestinationRefused
		says    string              // in the error, when there is one
	}{
		// A harmless-looking name resolving to a guarded address is refused without dialling.
		{name: "to AWS IMDS", addr: "hook.test:80", names: map[string][]string{"hook.test": {"169.254.169.254"}}, refused: true, says: "link-local"},
		{name: "to AWS IMDS over IPv6", addr: "hook.test:80", names: map[string][]string{"hook.test": {"fd00:ec2::254"}}, refused: true, says: "AWS EC2 instance metadata"},
		{name: "to Alibaba", addr: "hook.test:80", names: map[string][]string{"hook.test": {"100.100.100.200"}}, refused: true, says: "Alibaba"},
		{name: "to Oracle", addr: "hook.test:80", names: map[string][]string{"hook.test": {"192.0.0.192"}}, refused: true, says: "Oracle"},
		{name: "to 0.0.0.0", addr: "hook.test:80", names: map[string][]string{"hook.test": {"0.0.0.0"}}, refused: true, says: "unspecified"},
		{name: "to ::", addr: "hook.test:80", names: map[string][]string{"hook.test": {"::"}}, refused: true, says: "unspecified"},
		{name: "to IPv4-mapped IMDS", addr: "hook.test:80", names: map[string][]string{"hook.test": {"::ffff:169.254.169.254"}}, refused: true, says: "IPv4-mapped"},
		{name: "to NAT64 IMDS", addr: "hook.test:80", names: map[string][]string{"hook.test": {"64:ff9b::a9fe:a9fe"}}, refused: true, says: "NAT64"},
		{name: "to several guarded", addr: "hook.test:80", names: map[string][]string{"hook.test": {"169.254.169.254", "fd00:ec2::254"}}, refused: true, says: "fd00:ec2::254"},
		// Only the allowed addresses of a name are dialled.
		{name: "to loopback", addr: "hook.test:8080", names: map[string][]string{"hook.test": {"127.0.0.1"}}, dialled: []string{"127.0.0.1:8080"}},
		{name: "to IPv4-mapped loopback", addr: "hook.test:8080", names: map[string][]string{"hook.test": {"::ffff:127.0.0.1"}}, dialled: []string{"127.0.0.1:8080"}},
		{name: "guarded address skipped", addr: "hook.test:8080", names: map[string][]string{"hook.test": {"169.254.169.254", "::1"}}, dialled: []string{"[::1]:8080"}},
		{name: "next address after a failure", addr: "hook.test:8080", names: map[string][]string{"hook.test": {"127.0.0.1", "::1"}}, failAt: []string{"127.0.0.1:8080"}, dialled: []string{"127.0.0.1:8080", "[::1]:8080"}},
		{name: "every address fails", addr: "hook.test:8080", names: map[string][]string{"hook.test": {"127.0.0.1"}}, failAt: []string{"127.0.0.1:8080"}, dialled: []string{"127.0.0.1:8080"}, says: "connection refused"},
		// Literal addresses and metadata names are refused before anything is resolved.
		{name: "literal IMDS", addr: "169.254.169.254:80", refused: true, says: "link-local"},
		{name: "literal Alibaba", addr: "100.100.100.200:80", refused: true, says: "Alibaba"},
		{name: "metadata name", addr: "metadata.google.internal:80", refused: true, says: "Google Cloud metadata server"},
		{name: "metadata name, FQDN", addr: "Metadata.Goog.:80", refused: true, says: "Google Cloud metadata server"},
		{name: "literal loopback", addr: "127.0.0.1:9", dialled: []string{"127.0.0.1:9"}},
		// Hosts submit refuses are refused here too, before anything is resolved: one reading of a host.
		{name: "short numeric form", addr: "127.1:9", refused: true, says: "127.0.0.1"},
		{name: "one decimal number", addr: "2852039166:80", refused: true, says: "169.254.169.254"},
		{name: "hexadecimal", addr: "0xa9fea9fe:80", refused: true, says: "link-local"},
		{name: "address with a trailing dot", addr: "127.0.0.1.:9", refused: true, says: "127.0.0.1"},
		{name: "name with a trailing dot", addr: "localhost.:9", refused: true, says: "ends in a dot"},
		{name: "upper case name", addr: "Hook.Test:80", names: map[string][]string{"hook.test": {"127.0.0.1"}}, dialled: []string{"127.0.0.1:80"}},
		// Ports.
		{name: "port 0", addr: "hook.test:0", refused: true, says: `port "0"`},
		{name: "port 65536", addr: "127.0.0.1:65536", refused: true, says: `port "65536"`},
		{name: "leading zeros", addr: "hook.test:0080", names: map[string][]string{"hook.test": {"127.0.0.1"}}, dialled: []string{"127.0.0.1:80"}},
		// An explicit entry lifts the guard for what it lists, and only that.
		{name: "listed address", allow: []string{"169.254.169.254"}, addr: "hook.test:80", names: map[string][]string{"hook.test": {"169.254.169.254"}}, dialled: []string{"169.254.169.254:80"}},
		{name: "listed block", allow: []string{"100.100.100.0/24"}, addr: "hook.test:80", names: map[string][]string{"hook.test": {"100.100.100.200"}}, dialled: []string{"100.100.100.200:80"}},
		{name: "listed IPv6 address", allow: []string{"fd00:ec2::254"}, addr: "[fd00:ec2::254]:80", dialled: []string{"[fd00:ec2::254]:80"}},
		{name: "listed name and address", allow: []string{"metadata.google.internal", "169.254.169.254"}, addr: "metadata.google.internal:80", names: map[string][]string{"metadata.google.internal": {"169.254.169.254"}}, dialled: []string{"169.254.169.254:80"}},
		{name: "listed name alone", allow: []string{"metadata.google.internal"}, addr: "metadata.google.internal:80", names: map[string][]string{"metadata.google.internal": {"169.254.169.254"}}, refused: true, says: "link-local"},
		{name: "listed name resolving to a guarded address", allow: []string{"*.example.com"}, addr: "a.example.com:80", names: map[string][]string{"a.example.com": {"fd20:ce::254"}}, refused: true, says: "Google Cloud"},
		{name: "listed name resolving elsewhere", allow: []string{"*.example.com"}, addr: "a.example.com:80", names: map[string][]string{"a.example.com": {"10.1.2.3"}}, dialled: []string{"10.1.2.3:80"}},
		{name: "unlisted name into a block", allow: []string{"10.0.0.0/8"}, addr: "hook.test:80", names: map[string][]string{"hook.test": {"10.1.2.3"}}, dialled: []string{"10.1.2.3:80"}},
		{name: "unlisted name out of the blocks", allow: []string{"10.0.0.0/8"}, addr: "hook.test:80", names: map[string][]string{"hook.test": {"127.0.0.1"}}, refused: true, says: "no --callback-allow block"},
		{name: "a block of everything does not open a metadata name", allow: []string{"0.0.0.0/0"}, addr: "metadata.google.internal:80", refused: true, says: "Google Cloud metadata server"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := parseAllowList(tt.allow)
			if err != nil {
				t.Fatal(err)
			}
			stub := &stubNet{t: t, names: tt.names, failAt: map[string]bool{}}
			for _, f := range tt.failAt {
				stub.failAt[f] = true
			}
			a.lookup = stub.lookup
			c, err := a.dialVia(stub.dial)(context.Background(), "tcp", tt.addr)
			if c != nil {
				c.Close()
			}
			if strings.Join(stub.dialled, " ") != strings.Join(tt.dialled, " ") {
				t.Errorf("dialled %q, want %q", stub.dialled, tt.dialled)
			}
			if got := errors.Is(err, errDestinationRefused); got != tt.refused {
				t.Errorf("refused = %v, want %v: %v", got, tt.refused, err)
			}
			switch {
			case tt.says == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tt.says != "" && (err == nil || !strings.Contains(err.Error(), tt.says)):
				t.Errorf("error %v, want one saying %q", err, tt.says)
			}
		})
	}
}

// TestCallbackClientDialsThroughTheGuard sends requests with the client callbacks use, its resolver stubbed: a
// name resolving to loopback reaches a local receiver; one resolving to the metadata address fails, refused,
// without a connection.
func TestCallbackClientDialsThroughTheGuard(t *testing.T) {
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer recv.Close()
	_, port, err := net.SplitHostPort(recv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	a, err := parseAllowList(nil)
	if err != nil {
		t.Fatal(err)
	}
	stub := &stubNet{t: t, names: map[string][]string{
		"hook.test": {"127.0.0.1"},
		"evil.test": {"169.254.169.254"},
	}}
	a.lookup = stub.lookup
	c, owned := newCallbackClient(nil, a, 1)
	tr, ok := c.Transport.(*http.Transport)
	if !owned || !ok || tr.DialContext == nil {
		t.Fatalf("client owned %v, transport %T", owned, c.Transport)
	}
	defer c.CloseIdleConnections()
	// The guard is what is tested, so it is not what keeps this test on loopback: the dialer it wraps refuses
	// anything else itself.
	var d net.Dialer
	tr.DialContext = a.dialVia(func(ctx context.Context, network, addr string) (net.Conn, error) {
		if ap, err := netip.ParseAddrPort(addr); err != nil || !ap.Addr().IsLoopback() {
			t.Errorf("dialled %s", addr)
			return nil, errors.New("test: only loopback is dialled")
		}
		return d.DialContext(ctx, network, addr)
	})

	resp, err := c.Get("http://hook.test:" + port + "/cb")
	if err != nil {
		t.Fatalf("hook.test: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "ok" {
		t.Errorf("hook.test answered %q", body)
	}

	resp, err = c.Get("http://evil.test:" + port + "/cb")
	if err == nil {
		resp.Body.Close()
		t.Fatal("evil.test: no error")
	}
	if !errors.Is(err, errDestinationRefused) || !strings.Contains(err.Error(), "link-local") {
		t.Errorf("evil.test: %v, want a refusal of a link-local address", err)
	}
}

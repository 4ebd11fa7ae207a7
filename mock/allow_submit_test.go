package mock_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

// TestGuardedHooksAreRefusedAtSubmit submits hooks at guarded destinations and impossible ports through the API.
// Nothing is resolved or dialled: guarded destinations are IP literals or metadata names, refused by their text,
// the names of accepted hooks meet a stub resolver, every task stays pending for an hour so no callback falls
// due, and a dial off this machine would fail the test.
func TestGuardedHooksAreRefusedAtSubmit(t *testing.T) {
	tests := []struct {
		name  string
		allow []string
		hook  string
		want  int    // status
		rule  string // of the /notify_hook violation, when want is 400
		says  string // in its message, when want is 400
	}{
		// Metadata addresses outside link-local.
		{name: "AWS IMDS over IPv6", hook: "http://[fd00:ec2::254]/latest/meta-data/", want: 400, rule: "callback-allow", says: "AWS EC2 instance metadata"},
		{name: "AWS EKS Pod Identity over IPv6", hook: "http://[fd00:ec2::23]/v1/credentials", want: 400, rule: "callback-allow", says: "EKS Pod Identity"},
		{name: "Google Cloud over IPv6", hook: "http://[fd20:ce::254]/computeMetadata/v1/", want: 400, rule: "callback-allow", says: "Google Cloud metadata"},
		{name: "Alibaba Cloud", hook: "http://100.100.100.200/latest/meta-data/", want: 400, rule: "callback-allow", says: "Alibaba Cloud"},
		{name: "Oracle Cloud Classic", hook: "http://192.0.0.192/latest/", want: 400, rule: "callback-allow", says: "Oracle Cloud"},
		{name: "Azure WireServer", hook: "http://168.63.129.16/machine?comp=goalstate", want: 400, rule: "callback-allow", says: "WireServer"},
		// Unspecified addresses reach this host.
		{name: "0.0.0.0", hook: "http://0.0.0.0:9/x", want: 400, rule: "callback-allow", says: "unspecified"},
		{name: "::", hook: "http://[::]:9/x", want: 400, rule: "callback-allow", says: "unspecified"},
		{name: "IPv4-mapped 0.0.0.0", hook: "http://[::ffff:0.0.0.0]:9/x", want: 400, rule: "callback-allow", says: "unspecified"},
		// IPv6 forms of guarded IPv4 addresses.
		{name: "IPv4-mapped link-local", hook: "http://[::ffff:169.254.169.254]/x", want: 400, rule: "callback-allow", says: "link-local"},
		{name: "IPv4-mapped Alibaba", hook: "http://[::ffff:100.100.100.200]/x", want: 400, rule: "callback-allow", says: "Alibaba"},
		{name: "IPv4-compatible link-local", hook: "http://[::169.254.169.254]/x", want: 400, rule: "callback-allow", says: "link-local"},
		{name: "NAT64 link-local", hook: "http://[64:ff9b::a9fe:a9fe]/x", want: 400, rule: "callback-allow", says: "NAT64"},
		{name: "NAT64 Alibaba", hook: "http://[64:ff9b::100.100.100.200]/x", want: 400, rule: "callback-allow", says: "Alibaba"},
		{name: "link-local with a zone", hook: "http://[fe80::1%25eth0]/x", want: 400, rule: "callback-allow", says: "link-local"},
		// Metadata names, whatever they resolve to; none is resolved here.
		{name: "metadata.google.internal", hook: "http://metadata.google.internal/computeMetadata/v1/", want: 400, rule: "callback-allow", says: "Google Cloud metadata server"},
		{name: "upper case with a trailing dot", hook: "http://METADATA.Google.Internal./x", want: 400, rule: "callback-allow", says: "Google Cloud metadata server"},
		{name: "metadata.goog", hook: "http://metadata.goog/x", want: 400, rule: "callback-allow", says: "Google Cloud metadata server"},
		{name: "bare metadata", hook: "http://metadata/computeMetadata/v1/", want: 400, rule: "callback-allow", says: "short name"},
		{name: "a listed block does not open a name", allow: []string{"0.0.0.0/0"}, hook: "http://metadata.google.internal/x", want: 400, rule: "callback-allow", says: "exact name"},
		{name: "a wildcard does not open a name", allow: []string{"*.internal"}, hook: "http://metadata.google.internal/x", want: 400, rule: "callback-allow", says: "exact name"},
		// An explicit entry lifts the guard.
		{name: "listed address", allow: []string{"fd00:ec2::254"}, hook: "http://[fd00:ec2::254]/x", want: 200},
		{name: "listed block", allow: []string{"100.100.100.0/24"}, hook: "http://100.100.100.200/x", want: 200},
		{name: "listed IPv4 opens its mapped form", allow: []string{"169.254.169.254"}, hook: "http://[::ffff:169.254.169.254]/x", want: 200},
		{name: "listed unspecified", allow: []string{"0.0.0.0"}, hook: "http://0.0.0.0:9/x", want: 200},
		{name: "listed name", allow: []string{"metadata.google.internal"}, hook: "http://metadata.google.internal/x", want: 200},
		{name: "listed name, other spelling", allow: []string{"Metadata.Google.Internal."}, hook: "http://Metadata.Google.Internal/x", want: 200},
		// Nothing else is refused by default.
		{name: "loopback", hook: "http://127.0.0.1:9/x", want: 200},
		{name: "IPv6 loopback", hook: "http://[::1]:9/x", want: 200},
		{name: "private address", hook: "http://10.1.2.3:9/x", want: 200},
		{name: "unique local IPv6 near AWS's", hook: "http://[fd00:ec2::1]:9/x", want: 200},
		{name: "NAT64 of a public address", hook: "http://[64:ff9b::192.0.2.1]:9/x", want: 200},
		{name: "a name containing metadata", hook: "http://metadata.example.com/x", want: 200},
		// Ports.
		{name: "port 0", hook: "http://127.0.0.1:0/x", want: 400, rule: "port", says: `port "0" is not a number from 1 to 65535`},
		{name: "port 65536", hook: "http://127.0.0.1:65536/x", want: 400, rule: "port", says: `port "65536"`},
		{name: "port 99999", hook: "https://hooks.example.com:99999/x", want: 400, rule: "port", says: `port "99999"`},
		{name: "huge port", hook: "http://[::1]:99999999999999999999/x", want: 400, rule: "port", says: "not a number from 1 to 65535"},
		{name: "port not a number", hook: "http://127.0.0.1:abc/x", want: 400, rule: "port", says: `port "abc"`},
		{name: "port not a number, IPv6", hook: "http://[::1]:8o/x", want: 400, rule: "port", says: `port "8o"`},
		{name: "port with userinfo", hook: "http://u:p@127.0.0.1:0/x", want: 400, rule: "port", says: `port "0"`},
		{name: "port 1", hook: "http://127.0.0.1:1/x", want: 200},
		{name: "port 65535", hook: "http://127.0.0.1:65535/x", want: 200},
		{name: "leading zeros", hook: "http://127.0.0.1:0080/x", want: 200},
		{name: "empty port is the default", hook: "http://127.0.0.1:/x", want: 200},
		{name: "port checked before the list", allow: []string{"127.0.0.1"}, hook: "http://127.0.0.1:0/x", want: 400, rule: "port", says: `port "0"`},
		// Hosts the dialler would not read as submit does: one reading, so what cannot be delivered is refused.
		{name: "short numeric form", hook: "http://127.1:9/x", want: 400, rule: "host", says: "127.0.0.1"},
		{name: "hexadecimal part", hook: "http://0x7f.1:9/x", want: 400, rule: "host", says: "127.0.0.1"},
		{name: "one decimal number", hook: "http://2130706433:9/x", want: 400, rule: "host", says: "127.0.0.1"},
		{name: "octal part", hook: "http://0177.0.0.1:9/x", want: 400, rule: "host", says: "127.0.0.1"},
		{name: "leading zero", hook: "http://127.0.0.01:9/x", want: 400, rule: "host", says: "127.0.0.1"},
		{name: "address with a trailing dot", hook: "http://127.0.0.1.:9/x", want: 400, rule: "host", says: "127.0.0.1"},
		{name: "name with a trailing dot", hook: "http://localhost.:9/x", want: 400, rule: "host", says: "ends in a dot"},
		{name: "listed name with a trailing dot", allow: []string{"hooks.example.com"}, hook: "http://hooks.example.com./x", want: 400, rule: "host", says: "ends in a dot"},
		{name: "IMDS in hexadecimal", hook: "http://0xa9fea9fe/x", want: 400, rule: "host", says: "169.254.169.254, which is link-local"},
		{name: "IMDS as one number", hook: "http://2852039166/x", want: 400, rule: "host", says: "169.254.169.254, which is link-local"},
		{name: "IMDS in three parts", hook: "http://169.254.43518/x", want: 400, rule: "host", says: "169.254.169.254, which is link-local"},
		{name: "Alibaba in hexadecimal", hook: "http://0x646464c8/x", want: 400, rule: "host", says: "100.100.100.200, which is the Alibaba"},
		{name: "IMDS listed, spelled in hexadecimal", allow: []string{"169.254.169.254"}, hook: "http://0xa9fea9fe/x", want: 400, rule: "host", says: "169.254.169.254"},
		{name: "too large a number", hook: "http://4294967296/x", want: 400, rule: "host", says: "not an IPv4 address"},
		{name: "a name ending in a number", hook: "http://hooks.123/x", want: 400, rule: "host", says: "not an IPv4 address"},
		{name: "empty label", hook: "http://hooks..example/x", want: 400, rule: "host", says: "not a valid host name"},
		{name: "label too long", hook: "http://" + strings.Repeat("a", 64) + ".example/x", want: 400, rule: "host", says: "not a valid host name"},
		{name: "not ASCII", hook: "http://b\u00fccher.example/x", want: 400, rule: "host", says: "xn--"},
		{name: "a name is resolved when sent", hook: "http://localhost:9/x", want: 200},
		{name: "a name with digits", hook: "http://hooks-2.example1.test:9/x", want: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := mocktest.NewServer(t, offline(t, mock.Options{CallbackAllow: tt.allow}))
			status, body := submit(t, srv, map[string]any{"user_prompt": "p", "notify_hook": tt.hook}, "pending=1h")
			if status != tt.want {
				t.Fatalf("status %d, want %d: %v", status, tt.want, body)
			}
			if tt.want != 400 {
				return
			}
			errs, _ := body["errors"].([]any)
			for _, v := range errs {
				v, _ := v.(map[string]any)
				msg, _ := v["message"].(string)
				if v["field"] == "/notify_hook" && v["rule"] == tt.rule && strings.Contains(msg, tt.says) {
					if tt.rule == "callback-allow" && !strings.Contains(msg, "--callback-allow") {
						t.Errorf("message %q does not say how to allow the destination", msg)
					}
					return
				}
			}
			t.Errorf("no %s violation of /notify_hook saying %q in %v", tt.rule, tt.says, body)
		})
	}
}

// TestRefusedHookMessageDoesNotRepeatTheURL checks that a hook url.Parse refuses is not echoed whole: its query
// (its path or query) may carry a secret the redaction of credential-named fields does not see.
func TestRefusedHookMessageDoesNotRepeatTheURL(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{})
	status, body := submit(t, srv, map[string]any{"user_prompt": "p", "notify_hook": "http://h%zz/hooks/s3cr3t-hook-token"}, "pending=1h")
	if status != 400 {
		t.Fatalf("status %d, want 400: %v", status, body)
	}
	if s := fmt.Sprint(body); strings.Contains(s, "s3cr3t-hook-token") {
		t.Errorf("answer repeats the hook's token: %s", s)
	}
}

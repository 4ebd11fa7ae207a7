package redact

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestHeader(t *testing.T) {
	in := http.Header{
		"Authorization":       {"Bearer sk-123"},
		"Proxy-Authorization": {"Basic dXNlcjpw"},
		"Cookie":              {"a=b"},
		"X-Api-Key":           {"sk-123"},
		"X-Auth-Token":        {"t"},
		"X-Webhook-Secret":    {"s"},
		"Content-Type":        {"application/json"},
		"Prefer":              {"code=429", "schema=luma"},
	}
	want := http.Header{
		"Authorization":       {"Bearer [redacted]"},
		"Proxy-Authorization": {"Basic [redacted]"},
		"Cookie":              {"[redacted]"},
		"X-Api-Key":           {"[redacted]"},
		"X-Auth-Token":        {"[redacted]"},
		"X-Webhook-Secret":    {"[redacted]"},
		"Content-Type":        {"application/json"},
		"Prefer":              {"code=429", "schema=luma"},
	}
	if diff := cmp.Diff(want, Header(in)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if in.Get("Authorization") != "Bearer sk-123" {
		t.Error("Header changed its input")
	}
}

func TestIsCredentialHeader(t *testing.T) {
	for name, want := range map[string]bool{
		"authorization": true, "SET-COOKIE": true, "x-api_key": true, "X-Session-Id": true, "X-Password": true,
		"Content-Type": false, "Accept": false, "X-Request-Id": false, "Prefer": false,
	} {
		if got := IsCredentialHeader(name); got != want {
			t.Errorf("IsCredentialHeader(%q) = %v, want %v", name, got, want)
		}
	}
}

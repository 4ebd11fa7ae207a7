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

func TestText(t *testing.T) {
	const key = "sk-live-0123456789"
	tests := []struct {
		in, want string
		secrets  []string
	}{
		{"Bearer sk-live-0123456789", "Bearer <k>", []string{key}},
		{`{"a":"sk-live-0123456789","b":"sk-live-0123456789x"}`, `{"a":"<k>","b":"<k>x"}`, []string{key}},
		{"or any key is accepted", "or any key is accepted", []string{"any"}}, // too short to be told from a word
		{"expected: missing-user_prompt", "expected: missing-user_prompt", []string{"e", ""}},
		{"two sk-live-0123456789 and pass-word-42", "two <k> and <k>", []string{key, "pass-word-42"}},
	}
	for _, tt := range tests {
		if got := Text(tt.in, "<k>", tt.secrets...); got != tt.want {
			t.Errorf("Text(%q, %q) = %q, want %q", tt.in, tt.secrets, got, tt.want)
		}
		if got := string(Bytes([]byte(tt.in), "<k>", tt.secrets...)); got != tt.want {
			t.Errorf("Bytes(%q, %q) = %q, want %q", tt.in, tt.secrets, got, tt.want)
		}
		if got, want := Contains(tt.in, tt.secrets...), tt.in != tt.want; got != want {
			t.Errorf("Contains(%q, %q) = %v, want %v", tt.in, tt.secrets, got, want)
		}
	}
}

func TestQuery(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"a=1&b=2", "a=1&b=2"},
		{"api_key=sk-1&token=t&x=1&key=k&Signature=s", "api_key=[redacted]&token=[redacted]&x=1&key=[redacted]&Signature=[redacted]"},
		{"note=sk-live-0123456789", "note=[redacted]"}, // a known secret anywhere
		{"flag&access_token=abc", "flag&access_token=[redacted]"},
	}
	for _, tt := range tests {
		if got := Query(tt.in, "sk-live-0123456789"); got != tt.want {
			t.Errorf("Query(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

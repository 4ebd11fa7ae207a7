package redact

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lumamock/lumamock/internal/redact/leaktest"
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
		"Prefer":              {"code=429", "schema=luma", "note=K7short"},
		"Referer":             {"https://app.example/cb?token=tt&page=2"},
	}
	want := http.Header{
		"Authorization":       {"Bearer [redacted]"},
		"Proxy-Authorization": {"Basic [redacted]"},
		"Cookie":              {"[redacted]"},
		"X-Api-Key":           {"[redacted]"},
		"X-Auth-Token":        {"[redacted]"},
		"X-Webhook-Secret":    {"[redacted]"},
		"Content-Type":        {"application/json"},
		"Prefer":              {"code=429", "schema=luma", "note=[redacted]"},
		"Referer":             {"https://app.example/cb?token=[redacted]&page=2"},
	}
	if diff := cmp.Diff(want, Header(in, "K7short")); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// A scheme is kept only when it is one: a key given as the first word of Authorization is not.
	for _, tt := range []struct {
		value, want string
		secrets     []string
	}{
		{"sk-live-CONFIGKEY-123 x", "[redacted]", []string{"sk-live-CONFIGKEY-123"}},
		{"Q x", "[redacted]", []string{"Q"}},
		{"sk-live-unknown-to-us x", "[redacted]", nil},
		{"bearer x", "bearer [redacted]", nil},
		{"Digest username=\"u\", response=\"r\"", "Digest [redacted]", nil},
		{"AWS4-HMAC-SHA256 Credential=a/b, Signature=s", "AWS4-HMAC-SHA256 [redacted]", nil},
		{"Bearer", "[redacted]", nil},
	} {
		got := Header(http.Header{"Authorization": {tt.value}}, tt.secrets...).Get("Authorization")
		if got != tt.want {
			t.Errorf("Header(Authorization: %s) = %q, want %q", tt.value, got, tt.want)
		}
	}
	if in.Get("Authorization") != "Bearer sk-123" || in.Values("Prefer")[2] != "note=K7short" {
		t.Error("Header changed its input")
	}
}

func TestIsCredentialHeader(t *testing.T) {
	for name, want := range map[string]bool{
		"authorization": true, "SET-COOKIE": true, "x-api_key": true, "X-Session-Id": true, "X-Password": true,
		"Content-Type": false, "Accept": false, "X-Request-Id": false, "Prefer": false,
		"X-Lumamock-Session": false, "x-lumamock-session": false, "X-Lumamock-Session-Token": true,
	} {
		if got := IsCredentialHeader(name); got != want {
			t.Errorf("IsCredentialHeader(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestIsCredentialParam(t *testing.T) {
	for name, want := range map[string]bool{
		"api_key": true, "API_KEY": true, "apiKey": true, "key": true, "Key": true, "token": true, "access_token": true,
		"Refresh_Token": true, "secret": true, "client_secret": true, "signature": true, "X-Amz-Signature": true,
		"sig": true, "SIG": true, "password": true, "passwd": true, "pwd": true, "pass": true, "auth": true,
		"X-Amz-Credential": true, "session": true,
		"page": false, "limit": false, "keep": false, "monkey": false, "author": false, "code": false, "id": false,
	} {
		if got := IsCredentialParam(name); got != want {
			t.Errorf("IsCredentialParam(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestText(t *testing.T) {
	const key = "sk-live-0123456789"
	tests := []struct {
		in, want string
		secrets  []string
	}{
		{"Bearer sk-live-0123456789", "Bearer [redacted]", []string{key}},
		{`{"a":"sk-live-0123456789","b":"sk-live-0123456789x"}`, `{"a":"[redacted]","b":"[redacted]x"}`, []string{key}},
		{"two sk-live-0123456789 and pass-word-42", "two [redacted] and [redacted]", []string{key, "pass-word-42"}},
		// Short secrets: whole tokens only.
		{"or any key is accepted", "or any key is accepted", []string{"key1"}},
		{"key any is accepted: any", "key [redacted] is accepted: [redacted]", []string{"any"}},
		{"expected: missing-user_prompt", "expected: missing-user_prompt", []string{"e", "user", ""}},
		{`Bearer Q, "Q", api_key=Q&x=1, Quality, QQ, Q_1, é Q`, `Bearer [redacted], "[redacted]", api_key=[redacted]&x=1, Quality, QQ, Q_1, é [redacted]`, []string{"Q"}},
		{"key k7-Abcd was refused (k7-Abcd9)", "key [redacted] was refused (k7-Abcd9)", []string{"k7-Abcd"}},
		{"Qé", "Qé", []string{"Q"}},                             // glued to a letter
		{"éQ 1Q Q\u0301 Q٣", "éQ 1Q Q\u0301 Q٣", []string{"Q"}}, // to a letter, a digit or a combining mark of any script
		// Punctuation and symbols glue nothing, whatever their script.
		{"密钥：k3y", "密钥：[redacted]", []string{"k3y"}},
		{"“k3y”", "“[redacted]”", []string{"k3y"}},
		{"key—k3y", "key—[redacted]", []string{"k3y"}},
		{"«k3y» ¡k3y! k3y€", "«[redacted]» ¡[redacted]! [redacted]€", []string{"k3y"}},
		{"\xffk3y\xfe", "\xff[redacted]\xfe", []string{"k3y"}}, // an invalid byte is no letter
		{"\ufffd", "\ufffd", []string{"\xef"}},                 // a part of a character is no whole token
		{"-x-", "[redacted]x[redacted]", []string{"-"}},        // nothing word-like to be glued to
		// Longest first: a secret inside a longer one does not leave the rest behind.
		{"sk-live-0123456789", "[redacted]", []string{"sk-live-", key}},
		// URLs in text lose their credentials whatever the secrets.
		{`Post "http://u:pw@127.0.0.1:9/cb?token=tt&a=1": refused`, `Post "http://u:[redacted]@127.0.0.1:9/cb?token=[redacted]&a=1": refused`, nil},
		{"see https://h/x?sig=1 and HTTPS://h/y#access_token=zz", "see https://h/x?sig=[redacted] and HTTPS://h/y#access_token=[redacted]", nil},
		{"no url: a://", "no url: a://", nil},
		{"", "", []string{"Q"}},
		// Escaped spellings of a secret: quoted in Go (%q) and JSON, escaped for HTML and XML.
		{`key "q\"uo\\te<&>key99" refused`, `key "[redacted]" refused`, []string{leaktest.EscapingKey}},
		{`key q\"uo\\te\u003c\u0026\u003ekey99`, `key [redacted]`, []string{leaktest.EscapingKey}},
		{`"q\\\"uo\\\\te<&>key99"`, `"[redacted]"`, []string{leaktest.EscapingKey}},
		{`q&#34;uo\te&lt;&amp;&gt;key99 q&quot;uo\te&lt;&amp;&gt;key99`, `[redacted] [redacted]`, []string{leaktest.EscapingKey}},
		{`a\"b`, `[redacted]`, []string{`a"b`}},
		{`xa\"b`, `xa\"b`, []string{`a"b`}}, // a short secret's escaped spelling is still a whole token only
	}
	for _, tt := range tests {
		if got := Text(tt.in, tt.secrets...); got != tt.want {
			t.Errorf("Text(%q, %q) = %q, want %q", tt.in, tt.secrets, got, tt.want)
		}
		if got, want := Contains(tt.in, tt.secrets...), Text(tt.in, tt.secrets...) != urlsIn(tt.in); got != want {
			t.Errorf("Contains(%q, %q) = %v, want %v", tt.in, tt.secrets, got, want)
		}
	}
}

func TestURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://hooks.example/luma?token=abc", "https://hooks.example/luma?token=[redacted]"},
		{"https://hooks.example/luma?Token=abc&x=1&API_KEY=k&sig=s", "https://hooks.example/luma?Token=[redacted]&x=1&API_KEY=[redacted]&sig=[redacted]"},
		{"http://user:pw@127.0.0.1:8080/cb", "http://user:[redacted]@127.0.0.1:8080/cb"},
		{"http://sk-live-key@api.example/", "http://[redacted]@api.example/"},
		{"http://:pw@h", "http://:[redacted]@h"},
		{"http://u:p@ss@h/p?q=1", "http://u:[redacted]@h/p?q=1"},
		{"https://h/cb#access_token=t&state=s", "https://h/cb#access_token=[redacted]&state=s"},
		{"https://h/cb#section", "https://h/cb#section"},
		{"https://h/cb#x?token=t", "https://h/cb#x?token=[redacted]"},
		{"/luma/generations?api_key=k&token=t", "/luma/generations?api_key=[redacted]&token=[redacted]"},
		{"https://h/%zz?password=p", "https://h/%zz?password=[redacted]"}, // need not parse
		{"https://h/p%20q?a=1&b", "https://h/p%20q?a=1&b"},                // untouched byte for byte
		{"https://h", "https://h"},
		{"", ""},
		{"not a url", "not a url"},
	}
	for _, tt := range tests {
		got := URL(tt.in)
		if got != tt.want {
			t.Errorf("URL(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if again := URL(got); again != got {
			t.Errorf("URL(URL(%q)) = %q, want it unchanged", tt.in, again)
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
		{"api%5Fkey=abc&PASSWORD=p&secret=", "api%5Fkey=[redacted]&PASSWORD=[redacted]&secret=[redacted]"},
	}
	for _, tt := range tests {
		if got := Query(tt.in, "sk-live-0123456789"); got != tt.want {
			t.Errorf("Query(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSecrets(t *testing.T) {
	r, err := http.NewRequest(http.MethodGet, "http://127.0.0.1/x?api_key=a%2Bb&page=2&token=Q", nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Authorization", "Bearer k7")
	r.Header.Set("X-Note", "n")
	got := RequestSecrets(r)
	want := []string{"Bearer k7", "k7", "a%2Bb", "a+b", "Q"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("RequestSecrets (-want +got):\n%s", diff)
	}
	// A first word that is no scheme is a secret too: a key sent without one.
	got = HeaderSecrets(http.Header{"Authorization": {"sk-live-K x"}})
	want = []string{"sk-live-K x", "x", "sk-live-K"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("HeaderSecrets (-want +got):\n%s", diff)
	}
}

func TestURLSecrets(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"http://u:pw@127.0.0.1:9/cb?token=tt&x=1#sig=s", []string{"pw", "tt", "s"}},
		{"https://sk-key@h/", []string{"sk-key"}},
		{"https://h/cb?a=1", nil},
		{"/cb?api_key=k", []string{"k"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, URLSecrets(tt.in)); diff != "" {
			t.Errorf("URLSecrets(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestBody(t *testing.T) {
	tests := []struct {
		name, in, want string
		secrets        []string
	}{
		{"hook token and password", `{"user_prompt":"wind","notify_hook":"http://u:pw@127.0.0.1:9/cb?token=tt&x=1"}`,
			`{"user_prompt":"wind","notify_hook":"http://u:[redacted]@127.0.0.1:9/cb?token=[redacted]&x=1"}`, nil},
		{"layout kept", "{\n  \"a\": \"Q\",\n  \"b\": [1, \"Q x\", true]\n}", "{\n  \"a\": \"[redacted]\",\n  \"b\": [1, \"[redacted] x\", true]\n}", []string{"Q"}},
		{"escaped secret", `{"a":"\u0051","b":"x\nQ"}`, `{"a":"[redacted]","b":"x\n[redacted]"}`, []string{"Q"}},
		{"escape letters are no tokens", `{"a":"line\nnext\tn"}`, `{"a":"line\nnext\t[redacted]"}`, []string{"n"}},
		{"member names", `{"Q":1,"sk-live-0123456789":2}`, `{"[redacted]":1,"[redacted]":2}`, []string{"Q", "sk-live-0123456789"}},
		{"escaped url", `{"h":"https:\/\/h\/cb?token=tt"}`, `{"h":"https://h/cb?token=[redacted]"}`, nil},
		{"nothing to hide", `{"a":"b"}`, `{"a":"b"}`, []string{"Q"}},
		{"not JSON", `user_prompt=Q&notify_hook=https://h/?token=tt`, `user_prompt=[redacted]&notify_hook=https://h/?token=[redacted]`, []string{"Q"}},
		{"not JSON, long secret", `{"a": sk-live-0123456789`, `{"a": [redacted]`, []string{"sk-live-0123456789"}},
	}
	for _, tt := range tests {
		got := string(Body([]byte(tt.in), tt.secrets...))
		if got != tt.want {
			t.Errorf("%s: Body(%s) = %s, want %s", tt.name, tt.in, got, tt.want)
		}
		if json.Valid([]byte(tt.in)) && !json.Valid([]byte(got)) {
			t.Errorf("%s: Body(%s) = %s is not JSON", tt.name, tt.in, got)
		}
	}
}

// FuzzBody checks that redacting valid JSON gives valid JSON in which no string holds the secret where Text
// would hide it, and no URL keeps a credential-named parameter's value.
func FuzzBody(f *testing.F) {
	for _, seed := range []struct{ body, secret string }{
		{`{"a":"Q","notify_hook":"https://h/?token=tt"}`, "Q"},
		{`["x\nn","n",{"n":"\u006e"}]`, "n"},
		{`{"k":"sk-live-0123456789 and more"}`, "sk-live-0123456789"},
		{`"\"Q\""`, `"Q"`},
		{`[1,2.5e3,null,true,"http://u:p@h/"]`, "p"},
	} {
		f.Add(seed.body, seed.secret)
	}
	f.Fuzz(func(t *testing.T, body, secret string) {
		if !json.Valid([]byte(body)) || secret == "" || Contains(Placeholder, secret) {
			return // a secret the placeholder itself holds is found again in every placeholder
		}
		out := Body([]byte(body), secret)
		if !json.Valid(out) {
			t.Fatalf("Body(%s, %q) = %s: not JSON", body, secret, out)
		}
		for _, s := range jsonStrings(t, out) {
			if Contains(s, secret) {
				t.Fatalf("Body(%s, %q) = %s: %q still holds the secret", body, secret, out, s)
			}
			if isURL := strings.HasPrefix(s, "https://") && !strings.ContainsFunc(s, func(r rune) bool { return r < 0x80 && endsURL(byte(r)) }); isURL &&
				(strings.Contains(s, "?token=tt") || strings.Contains(s, "&token=tt")) {
				t.Fatalf("Body(%s, %q) = %s: %q keeps a token", body, secret, out, s)
			}
		}
	})
}

// jsonStrings returns every string of a JSON document, member names included.
func jsonStrings(t *testing.T, data []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for k, e := range v {
				out = append(out, k)
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

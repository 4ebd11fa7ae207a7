package proxy

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lumamock/lumamock"
)

// rawCall sends head and body as they are on a new loopback connection to the server at base and reads the
// answer, within 10 s.
func rawCall(t *testing.T, base, head, body string) (*http.Response, []byte) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, head+"\r\n"+body); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, data
}

// TestUnreadableRequestBodyIs400 sends chunked bodies that break HTTP's chunk framing, raw over TCP: the proxy
// cannot read them, so it forwards nothing and answers 400 naming the chunk problem, in both modes, as the mock
// does; the upstream is not to blame (no 502).
func TestUnreadableRequestBodyIs400(t *testing.T) {
	chunked := func(method, path string) string {
		return method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + testKey +
			"\r\nAccept: application/json\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n"
	}
	big := strings.Repeat("x", 2<<10)
	tests := []struct {
		name       string
		strict     bool
		head, body string
		wantStatus int
		wantReason string
		partly     bool // the body's start was streamed to the upstream before the bad chunk
	}{
		{"bad chunk size", false, chunked("POST", "/luma/generations"), "ZZ\r\n{}\r\n0\r\n\r\n", 400, "invalid byte in chunk length", false},
		{"strict: bad chunk size", true, chunked("POST", "/luma/generations"), "ZZ\r\n{}\r\n0\r\n\r\n", 400, "invalid byte in chunk length", false},
		{"bad chunk size on GET", false, chunked("GET", "/luma/generations/"+taskID), "ZZ\r\n{}\r\n0\r\n\r\n", 400, "invalid byte in chunk length", false},
		{"strict: bad chunk size on GET", true, chunked("GET", "/luma/generations/"+taskID), "ZZ\r\n{}\r\n0\r\n\r\n", 400, "invalid byte in chunk length", false},
		{"strict: unknown path beats the body, as in the mock", true, chunked("POST", "/luma/nothing"), "ZZ\r\n{}\r\n0\r\n\r\n", 404, "no operation", false},
		{"bad chunk after the first KiB", false, chunked("POST", "/luma/generations"), "800\r\n" + big + "\r\nZZ\r\n{}\r\n0\r\n\r\n", 400, "invalid byte in chunk length", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t, answer(200, envelope("pending")))
			p, px := startProxy(t, up, Options{Strict: tt.strict, MaxBody: 1 << 10})
			resp, body := rawCall(t, px.URL, tt.head, tt.body)
			var e lumamock.EnvelopeError
			if err := json.Unmarshal(body, &e); err != nil || resp.StatusCode != tt.wantStatus || e.Code != tt.wantStatus ||
				!strings.Contains(e.Message, tt.wantReason) {
				t.Errorf("answer %d %s, want %d with a JSON error naming %q (%v)", resp.StatusCode, body, tt.wantStatus, tt.wantReason, err)
			}
			if strings.Contains(e.Message, "required") || strings.HasPrefix(e.Message, "upstream ") {
				t.Errorf("the message blames the wrong thing: %q", e.Message)
			}
			if n := len(up.requests()); n != 0 && !tt.partly {
				t.Errorf("the upstream got %d requests, want none", n)
			}
			ex := waitJournal(t, p, 1)[0]
			if ex.Outcome != OutcomeRejected || ex.Status != tt.wantStatus {
				t.Errorf("journal: outcome %q, status %d; want %q, %d", ex.Outcome, ex.Status, OutcomeRejected, tt.wantStatus)
			}
			for _, f := range ex.Findings {
				if strings.Contains(f.Message, "required") {
					t.Errorf("journal finding blames a missing body: %+v", f.Finding)
				}
			}
			assertNoKey(t, "the error body", body)
		})
	}
}

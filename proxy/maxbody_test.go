package proxy

import (
	"net/http"
	"strings"
	"testing"
)

// TestStrictMaxBodySaysWhatHappened holds a strict proxy with a 1 KiB MaxBody to what it says: a request body
// over the limit is refused with 413 and not forwarded, and says so; an answer over the limit, which breaks
// nothing the document says, is passed on whole and unchecked (not blocked with a 502), and says so.
func TestStrictMaxBodySaysWhatHappened(t *testing.T) {
	pad := strings.Repeat("p", 1200)
	bigAnswer := `{"code":200,"message":"` + pad + `","request_id":"3f2b8c1e-5a47-4d0e-9c61-2b7e8f0a1d22","data":{"task_id":"` + taskID +
		`","task_status":"pending","created_at":1734874720,"updated_at":1734874725}}`
	bigRequest := `{"user_prompt":"` + strings.Repeat("y", 2<<10) + `"}`
	brotli := func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "br")
		_, _ = w.Write([]byte("\x0b\x02\x80{}\x03"))
	}
	tests := []struct {
		name         string
		strict       bool
		method, path string
		body         string
		reply        func(http.ResponseWriter, *http.Request, []byte)
		wantStatus   int
		wantUpstream int
		wantOutcome  string
		wantSay      string // in the error body, or in the X-Lumamock-Violations header
		mustNotSay   string
	}{
		{"strict: large request refused", true, "POST", "/luma/generations", bigRequest, answer(200, envelope("pending")),
			413, 0, OutcomeRejected, "not forwarded", "forwarded unchecked"},
		{"strict: large valid answer passed on unchecked", true, "GET", "/luma/generations/" + taskID, "", answer(200, bigAnswer),
			200, 1, OutcomeForwarded, "streamed unchecked", "does not allow"},
		{"strict: unreadable encoding passed on unchecked", true, "GET", "/luma/generations/" + taskID, "", brotli,
			200, 1, OutcomeForwarded, "passed on unchecked", "does not allow"},
		{"large request forwarded unchecked", false, "POST", "/luma/generations", bigRequest, answer(200, envelope("pending")),
			200, 1, OutcomeForwarded, "forwarded unchecked", "not forwarded"},
		{"large answer streamed unchecked", false, "GET", "/luma/generations/" + taskID, "", answer(200, bigAnswer),
			200, 1, OutcomeForwarded, "streamed unchecked", "does not allow"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t, tt.reply)
			p, px := startProxy(t, up, Options{Strict: tt.strict, MaxBody: 1 << 10})
			resp, body := call(t, px.URL, tt.method, tt.path, tt.body, nil)
			said := string(body) + resp.Header.Get(HeaderViolations)
			if resp.StatusCode != tt.wantStatus || !strings.Contains(said, tt.wantSay) || strings.Contains(said, tt.mustNotSay) {
				t.Errorf("answer %d, want %d saying %q and not %q:\n%s\n%s: %s", resp.StatusCode, tt.wantStatus, tt.wantSay, tt.mustNotSay,
					body, HeaderViolations, resp.Header.Get(HeaderViolations))
			}
			if tt.wantStatus == 200 && tt.reply != nil && tt.method == "GET" && resp.Header.Get("Content-Encoding") == "" && string(body) != bigAnswer {
				t.Errorf("the answer was not passed on whole: %d bytes, want %d", len(body), len(bigAnswer))
			}
			if n := len(up.requests()); n != tt.wantUpstream {
				t.Errorf("upstream got %d requests, want %d", n, tt.wantUpstream)
			}
			ex := waitJournal(t, p, 1)[0]
			if ex.Outcome != tt.wantOutcome {
				t.Errorf("journal outcome %q, want %q", ex.Outcome, tt.wantOutcome)
			}
			for _, f := range ex.Findings {
				if strings.Contains(f.Message, tt.mustNotSay) {
					t.Errorf("journal finding says %q: %s", tt.mustNotSay, f.Message)
				}
			}
		})
	}
}

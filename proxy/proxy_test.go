package proxy

import (
	"bytes"
	"encoding/json"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lumamock/lumamock"
)

func TestPassThroughIsFaithful(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("X-Request-Id", "3f2b8c1e-5a47-4d0e-9c61-2b7e8f0a1d22")
		h.Add("X-Upstream", "one")
		h.Add("X-Upstream", "two")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, envelope("pending"))
	})
	_, px := startProxy(t, up, Options{})
	resp, body := call(t, px.URL, "POST", "/luma/generations?trace=1&b=2", validBody, map[string]string{
		"X-Client": "c1", "User-Agent": "my-app/1.0", "X-Forwarded-For": "10.0.0.9",
	})

	if diff := cmp.Diff(envelope("pending"), string(body)); diff != "" {
		t.Errorf("body changed in transit (-want +got):\n%s", diff)
	}
	wantHeader := map[string][]string{"X-Request-Id": {"3f2b8c1e-5a47-4d0e-9c61-2b7e8f0a1d22"}, "X-Upstream": {"one", "two"}, "Content-Type": {"application/json"}}
	for k, want := range wantHeader {
		if diff := cmp.Diff(want, resp.Header.Values(k)); diff != "" {
			t.Errorf("response header %s (-want +got):\n%s", k, diff)
		}
	}
	if v := resp.Header.Get(HeaderViolations); v != "" {
		t.Errorf("a valid exchange got %s: %s", HeaderViolations, v)
	}
	got := up.requests()
	if len(got) != 1 {
		t.Fatalf("upstream got %d requests, want 1", len(got))
	}
	want := seen{Method: "POST", Path: "/luma/generations", Query: "trace=1&b=2", Body: validBody}
	if diff := cmp.Diff(want, got[0], cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "Header" }, cmp.Ignore())); diff != "" {
		t.Errorf("forwarded request (-want +got):\n%s", diff)
	}
	for k, v := range map[string]string{"Authorization": "Bearer " + testKey, "X-Client": "c1", "User-Agent": "my-app/1.0",
		"Accept": "application/json", "Content-Type": "application/json", "X-Forwarded-For": "10.0.0.9"} {
		if g := got[0].Header.Get(k); g != v {
			t.Errorf("forwarded header %s = %q, want %q", k, g, v)
		}
	}
}

func TestStreamsBodiesLargerThanTheLimitUnchecked(t *testing.T) {
	big := `{"code":200,"message":"` + strings.Repeat("x", 64<<10) + `"}`
	up := newUpstream(t, answer(200, big))
	_, px := startProxy(t, up, Options{MaxBody: 1 << 10})
	resp, body := call(t, px.URL, "GET", "/luma/generations/"+taskID, "", nil)
	if len(body) != len(big) || string(body) != big {
		t.Fatalf("streamed body: %d bytes, want %d identical bytes", len(body), len(big))
	}
	want := []brief{{DirResponse, string(KindUnchecked), ""}}
	if diff := cmp.Diff(want, headerFindings(t, resp.Header)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	// A request body over the limit is streamed to the upstream intact.
	prompt := strings.Repeat("y", 4<<10)
	resp, _ = call(t, px.URL, "POST", "/luma/generations", `{"user_prompt":"`+prompt+`"}`, nil)
	if got := up.requests(); len(got) != 2 || got[1].Body != `{"user_prompt":"`+prompt+`"}` {
		t.Fatalf("large request body was not forwarded intact")
	}
	if diff := cmp.Diff([]brief{{DirRequest, string(KindUnchecked), ""}, {DirResponse, string(KindUnchecked), ""}}, headerFindings(t, resp.Header)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

func TestReportsEachViolationKind(t *testing.T) {
	tests := []struct {
		name           string
		method, path   string
		body           string
		header         map[string]string
		status         int
		contentType    string
		reply          string
		want           []brief
		wantClientSees int
	}{
		{name: "valid exchange", method: "POST", path: "/luma/generations", body: validBody, status: 200, reply: envelope("pending")},
		{name: "request enum", method: "POST", path: "/luma/generations", body: `{"user_prompt":"x","resolution":"4k"}`, status: 200, reply: envelope("pending"),
			want: []brief{{DirRequest, "invalid-request", "/resolution"}}},
		{name: "request missing field and wrong type", method: "POST", path: "/luma/generations", body: `{"loop":"yes"}`, status: 200, reply: envelope("pending"),
			want: []brief{{DirRequest, "invalid-request", "/loop"}, {DirRequest, "invalid-request", "/user_prompt"}}},
		{name: "request without credentials", method: "GET", path: "/luma/generations/" + taskID, header: map[string]string{"Authorization": ""}, status: 200, reply: envelope("pending"),
			want: []brief{{DirRequest, "invalid-request", ""}}},
		{name: "request content type", method: "POST", path: "/luma/generations", body: validBody, header: map[string]string{"Content-Type": "text/plain"}, status: 200, reply: envelope("pending"),
			want: []brief{{DirRequest, "invalid-request", ""}}},
		{name: "request accept", method: "GET", path: "/luma/generations/" + taskID, header: map[string]string{"Accept": "text/html"}, status: 200, reply: envelope("pending"),
			want: []brief{{DirRequest, "invalid-request", ""}}},
		{name: "unknown operation", method: "DELETE", path: "/luma/generations/" + taskID, status: 204,
			want: []brief{{DirRequest, string(KindUnknownOperation), ""}}},
		{name: "response missing required", method: "GET", path: "/luma/generations/" + taskID, status: 200,
			reply: `{"code":200,"message":"ok","request_id":"r","data":{"task_status":"pending","created_at":1,"updated_at":1}}`,
			want:  []brief{{DirResponse, "missing-required", "/data/task_id"}}},
		{name: "response type changed", method: "GET", path: "/luma/generations/" + taskID, status: 200,
			reply: `{"code":200,"message":"ok","request_id":"r","data":{"task_id":"t","task_status":"pending","created_at":"yesterday","updated_at":1}}`,
			want:  []brief{{DirResponse, "type-changed", "/data/created_at"}}},
		{name: "response undocumented field", method: "GET", path: "/luma/generations/" + taskID, status: 200,
			reply: `{"code":200,"message":"ok","request_id":"r","data":{"task_id":"t","task_status":"pending","created_at":1,"updated_at":1,"cost":3}}`,
			want:  []brief{{DirResponse, "undocumented-field", "/data/cost"}}},
		{name: "response new enum value", method: "GET", path: "/luma/generations/" + taskID, status: 200,
			reply: `{"code":200,"message":"ok","request_id":"r","data":{"task_id":"t","task_status":"queued","created_at":1,"updated_at":1}}`,
			want:  []brief{{DirResponse, "new-enum-value", "/data/task_status"}}},
		{name: "response undocumented status", method: "GET", path: "/luma/generations/" + taskID, status: 418, reply: `{}`,
			want: []brief{{DirResponse, "undocumented-status", ""}}},
		{name: "response server error undocumented", method: "GET", path: "/luma/generations/" + taskID, status: 502, reply: `{}`,
			want: []brief{{DirResponse, "server-error", ""}}},
		{name: "response error shape", method: "GET", path: "/luma/generations/" + taskID, status: 404, reply: `{"error":"gone"}`,
			want: []brief{{DirResponse, "error-shape-changed", ""}, {DirResponse, "missing-required", "/detail"}, {DirResponse, "undocumented-field", "/error"}}},
		{name: "response not json", method: "GET", path: "/luma/generations/" + taskID, status: 200, reply: `<html>`,
			want: []brief{{DirResponse, "not-json", ""}}},
		{name: "response content type", method: "GET", path: "/luma/generations/" + taskID, status: 200, contentType: "text/plain", reply: envelope("pending"),
			want: []brief{{DirResponse, "content-type", ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
				ct := tt.contentType
				if ct == "" {
					ct = "application/json"
				}
				w.Header().Set("Content-Type", ct)
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.reply)
			})
			p, px := startProxy(t, up, Options{})
			resp, body := call(t, px.URL, tt.method, tt.path, tt.body, tt.header)
			if resp.StatusCode != tt.status || string(body) != tt.reply {
				t.Errorf("client got %d %q, want the upstream's %d %q", resp.StatusCode, body, tt.status, tt.reply)
			}
			if diff := cmp.Diff(tt.want, headerFindings(t, resp.Header)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", HeaderViolations, diff)
			}
			journal := waitJournal(t, p, 1)
			if diff := cmp.Diff(tt.want, briefs(journal[0].Findings)); diff != "" {
				t.Errorf("journal findings (-want +got):\n%s", diff)
			}
			if journal[0].Valid != (len(tt.want) == 0) || journal[0].Outcome != OutcomeForwarded || journal[0].Status != tt.status {
				t.Errorf("journal entry: valid %v outcome %q status %d", journal[0].Valid, journal[0].Outcome, journal[0].Status)
			}
		})
	}
}

func TestJournalOverHTTPRedactsTheKey(t *testing.T) {
	up := newUpstream(t, answer(200, `{"code":200,"message":"ok","request_id":"r","data":{"task_id":"t","task_status":"pending","created_at":1,"updated_at":1,"echo":"`+testKey+`"}}`))
	var logs bytes.Buffer
	var mu sync.Mutex
	_, px := startProxy(t, up, Options{Logger: slog.New(slog.NewJSONHandler(lockedWriter{&mu, &logs}, nil))})
	resp, _ := call(t, px.URL, "POST", "/luma/generations", `{"user_prompt":"`+testKey+`","resolution":"4k"}`, map[string]string{"X-Api-Key": testKey})
	assertNoKey(t, HeaderViolations, []byte(resp.Header.Get(HeaderViolations)))
	_, journal := call(t, px.URL, "GET", "/__mock/requests", "", nil)
	var entries []Exchange
	if err := json.Unmarshal(journal, &entries); err != nil || len(entries) != 2 {
		// the second entry is not there yet: GET /__mock/requests is answered before it is journaled
		if err != nil || len(entries) != 1 {
			t.Fatalf("journal: %v, %d entries\n%s", err, len(entries), journal)
		}
	}
	if len(entries[0].Findings) == 0 {
		t.Errorf("journal entry has no findings: %s", journal)
	}
	if got := entries[0].Header.Get("Authorization"); got != "Bearer [redacted]" {
		t.Errorf("journaled Authorization = %q", got)
	}
	assertNoKey(t, "the journal", journal)
	mu.Lock()
	assertNoKey(t, "the log", logs.Bytes())
	mu.Unlock()
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestViolationsHeaderIsBounded(t *testing.T) {
	var fs []Finding
	for i := range 200 {
		fs = append(fs, newFinding(DirResponse, "undocumented-field", "additive", "/data/field"+strings.Repeat("x", i%7), "", "", "field is not in the document 一"))
	}
	h := violationsHeader(fs, nil)
	if len(h) > MaxViolationsHeader {
		t.Fatalf("header is %d bytes, limit %d", len(h), MaxViolationsHeader)
	}
	var vs []Violation
	if err := json.Unmarshal([]byte(h), &vs); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	last := vs[len(vs)-1]
	if last.Kind != KindTruncated || !strings.Contains(last.Message, "200 findings in all") {
		t.Errorf("last element = %+v, want the truncation count", last)
	}
	for _, c := range h {
		if c >= 0x80 || c < 0x20 {
			t.Fatalf("header has a non-ASCII or control character %q", c)
		}
	}
	if vs[0].Message != "field is not in the document 一" {
		t.Errorf("message did not survive the ASCII escaping: %q", vs[0].Message)
	}
}

func TestStrictMode(t *testing.T) {
	tests := []struct {
		name         string
		method, path string
		body         string
		header       map[string]string
		reply        string
		wantStatus   int
		wantUpstream int
		wantOutcome  string
	}{
		{"valid passes", "POST", "/luma/generations", validBody, nil, envelope("pending"), 200, 1, OutcomeForwarded},
		{"body violation is 400", "POST", "/luma/generations", `{"user_prompt":""}`, nil, "", 400, 0, OutcomeRejected},
		{"missing key is 401", "POST", "/luma/generations", validBody, map[string]string{"Authorization": ""}, "", 401, 0, OutcomeRejected},
		{"accept is 406", "POST", "/luma/generations", validBody, map[string]string{"Accept": "text/html"}, "", 406, 0, OutcomeRejected},
		{"content type is 415", "POST", "/luma/generations", validBody, map[string]string{"Content-Type": "text/plain"}, "", 415, 0, OutcomeRejected},
		{"unknown path is 404", "GET", "/luma/nothing", "", nil, "", 404, 0, OutcomeRejected},
		{"wrong method is 405", "PUT", "/luma/generations", validBody, nil, "", 405, 0, OutcomeRejected},
		{"415 beats 401 and 400", "POST", "/luma/generations", `{}`, map[string]string{"Content-Type": "text/plain", "Authorization": ""}, "", 415, 0, OutcomeRejected},
		{"response violation is 502", "GET", "/luma/generations/" + taskID, "", nil, `{"code":200}`, 502, 1, OutcomeBlocked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t, answer(200, tt.reply))
			p, px := startProxy(t, up, Options{Strict: true})
			resp, body := call(t, px.URL, tt.method, tt.path, tt.body, tt.header)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, body)
			}
			if n := len(up.requests()); n != tt.wantUpstream {
				t.Errorf("upstream got %d requests, want %d", n, tt.wantUpstream)
			}
			if got := waitJournal(t, p, 1)[0].Outcome; got != tt.wantOutcome {
				t.Errorf("journal outcome %q, want %q", got, tt.wantOutcome)
			}
			if tt.wantStatus == 200 {
				return
			}
			var e lumamock.EnvelopeError
			// 404 and 405 name no field, as the mock's do: the message names the route and method.
			routeMiss := tt.wantStatus == http.StatusNotFound || tt.wantStatus == http.StatusMethodNotAllowed
			if err := json.Unmarshal(body, &e); err != nil || e.Code != tt.wantStatus || e.RequestID == "" || (len(e.Errors) == 0) != routeMiss || !strings.Contains(e.Message, "strict") {
				t.Errorf("error body %s is not an EnvelopeError naming the violations (%v)", body, err)
			}
			if tt.wantStatus == http.StatusMethodNotAllowed && resp.Header.Get("Allow") != "POST" {
				t.Errorf("405 with Allow %q, want POST", resp.Header.Get("Allow"))
			}
			if resp.Header.Get("X-Request-Id") != e.RequestID || resp.Header.Get(HeaderViolations) == "" {
				t.Errorf("headers: X-Request-Id %q, %s %q", resp.Header.Get("X-Request-Id"), HeaderViolations, resp.Header.Get(HeaderViolations))
			}
			assertNoKey(t, "the error body", body)
		})
	}
}

func TestStrictErrorsInLumaShape(t *testing.T) {
	up := newUpstream(t, answer(200, envelope("pending")))
	_, px := startProxy(t, up, Options{Strict: true, Schema: lumamock.ShapeLuma})
	resp, body := call(t, px.URL, "POST", "/luma/generations", `{"user_prompt":"x","duration":"9s"}`, nil)
	var e lumamock.LumaError
	if err := json.Unmarshal(body, &e); err != nil || resp.StatusCode != 400 || e.Detail.Code != 400 {
		t.Fatalf("%d %s: want a LumaError 400 (%v)", resp.StatusCode, body, err)
	}
	want := []lumamock.Violation{{In: "body", Field: "/duration", Rule: "enum", Message: e.Errors[0].Message}}
	if diff := cmp.Diff(want, e.Errors); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

func TestUpstreamFailures(t *testing.T) {
	refused := func(t *testing.T) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		return "http://" + addr
	}
	slow := func(t *testing.T) string {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		t.Cleanup(func() { close(release); srv.Close() })
		return srv.URL
	}
	reset := func(t *testing.T) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				if tc, ok := conn.(*net.TCPConn); ok {
					_ = tc.SetLinger(0) // close with RST
				}
				conn.Close()
			}
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	cutBody := func(t *testing.T) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "1000")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(200)
			_, _ = io.WriteString(w, `{"code":`)
			http.NewResponseController(w).Flush()
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	untrusted := func(t *testing.T) string {
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
		srv.Config.ErrorLog = log.New(io.Discard, "", 0)
		srv.StartTLS()
		t.Cleanup(srv.Close)
		return srv.URL
	}
	tests := []struct {
		name       string
		upstream   func(*testing.T) string
		wantStatus int
		wantCause  string
	}{
		{"connection refused", refused, 502, "connection refused"},
		{"timeout", slow, 504, "timed out"},
		{"connection reset", reset, 502, "connection reset or closed"},
		{"body cut short", cutBody, 502, "response body"},
		{"untrusted certificate", untrusted, 502, "TLS certificate rejected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			timeout := 5 * time.Second // room for a TLS handshake on a loaded machine
			if tt.wantStatus == http.StatusGatewayTimeout {
				timeout = 300 * time.Millisecond
			}
			p, err := New(Options{Upstream: tt.upstream(t), Timeout: timeout})
			if err != nil {
				t.Fatal(err)
			}
			px := serve(t, p)
			start := time.Now()
			resp, body := call(t, px.URL, "GET", "/luma/generations/"+taskID, "", nil)
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("took %s: the proxy must not hang", took)
			}
			var e lumamock.EnvelopeError
			if err := json.Unmarshal(body, &e); err != nil || resp.StatusCode != tt.wantStatus || e.Code != tt.wantStatus {
				t.Fatalf("%d %s, want %d in the error shape (%v)", resp.StatusCode, body, tt.wantStatus, err)
			}
			if !strings.Contains(e.Message, tt.wantCause) || e.RequestID == "" || resp.Header.Get("X-Request-Id") != e.RequestID {
				t.Errorf("message %q does not name %q, or request id missing", e.Message, tt.wantCause)
			}
			j := waitJournal(t, p, 1)
			if len(j) != 1 || j[0].Outcome != OutcomeFailed || !strings.Contains(j[0].Error, tt.wantCause) || j[0].Source != "proxy" {
				t.Errorf("journal: %+v", j)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	status, cause := classify(&net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "api.invalid", IsNotFound: true}}, time.Second)
	if status != 502 || !strings.Contains(cause, "DNS lookup failed") {
		t.Errorf("DNS: %d %q", status, cause)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, opts := range []Options{
		{},
		{Upstream: "ftp://x"},
		{Upstream: "http://x", Schema: "xml"},
		{Upstream: "http://x", HookRelay: true},
		{Upstream: "http://x", HookRelay: true, HookURL: "not a url"},
	} {
		if _, err := New(opts); err == nil {
			t.Errorf("New(%+v) succeeded", opts)
		}
	}
}

// TestNewRejectsHookURLWithoutRelay: a HookURL does nothing without HookRelay, so New refuses it, naming both,
// rather than quietly ignoring it (lumamock proxy --hook-url without --hook-relay).
func TestNewRejectsHookURLWithoutRelay(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		wantErr bool
	}{
		{"hook URL alone", Options{Upstream: "http://127.0.0.1:1", HookURL: "http://127.0.0.1:8080"}, true},
		{"hook URL with relay", Options{Upstream: "http://127.0.0.1:1", HookRelay: true, HookURL: "http://127.0.0.1:8080"}, false},
		{"neither", Options{Upstream: "http://127.0.0.1:1"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts)
			if (err != nil) != tt.wantErr {
				t.Fatalf("New: %v, want an error: %v", err, tt.wantErr)
			}
			if err != nil && (!strings.Contains(err.Error(), "HookURL") || !strings.Contains(err.Error(), "HookRelay")) {
				t.Errorf("the error does not name HookURL and HookRelay: %v", err)
			}
		})
	}
}

package connfault

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

const body = `{"code":200,"message":"success","request_id":"r","data":{"task_id":"t","task_status":"pending"}}`

// faultServer serves every request with fault f applied to a JSON answer of body.
func faultServer(t *testing.T, in *Injector, f Fault) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"r"}}
		if err := in.Apply(w, f, Answer{Status: http.StatusOK, Header: h, Body: []byte(body)}); err != nil {
			t.Errorf("Apply(%s): %v", f, err)
		}
	}))
	t.Cleanup(func() { ts.Close(); in.Close() })
	return ts
}

// fetch sends a GET to url with a fresh connection (no retry on a reused one can hide the fault) and returns
// the error of the request, or else of reading its body.
func fetch(ctx context.Context, url string) (status int, read []byte, err error) {
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	read, err = io.ReadAll(resp.Body)
	return resp.StatusCode, read, err
}

// TestFaultsAsGoSeesThem: each fault, observed by Go's net/http client, is the error the docs' table names.
func TestFaultsAsGoSeesThem(t *testing.T) {
	tests := []struct {
		fault      Fault
		wantStatus int // 0: no answer at all
		wantRead   string
		check      func(error) bool
		want       string
	}{
		{Reset, 0, "", func(err error) bool { return errors.Is(err, syscall.ECONNRESET) }, "connection reset by peer"},
		{Empty, 0, "", func(err error) bool { return errors.Is(err, io.EOF) }, "EOF"},
		{Truncated, 200, body[:len(body)/2], func(err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) }, "unexpected EOF"},
		{MalformedChunk, 200, body[:len(body)/2], func(err error) bool {
			return err != nil && strings.Contains(err.Error(), "invalid byte in chunk length")
		},
			"invalid byte in chunk length"},
		{Garbage, 0, "", func(err error) bool { return err != nil && strings.Contains(err.Error(), "malformed HTTP response") }, "malformed HTTP response"},
	}
	for _, tt := range tests {
		t.Run(string(tt.fault), func(t *testing.T) {
			ts := faultServer(t, New(Options{Seed: 1}), tt.fault)
			if tt.fault == Garbage { // whatever the bytes drawn, the same error
				for range 200 {
					if _, _, err := fetch(context.Background(), ts.URL); !tt.check(err) {
						t.Fatalf("error %v, want %s", err, tt.want)
					}
				}
			}
			status, read, err := fetch(context.Background(), ts.URL)
			t.Logf("Go sees: status %d, read %d bytes, error %v", status, len(read), err)
			if !tt.check(err) {
				t.Errorf("error %v, want %s", err, tt.want)
			}
			if status != tt.wantStatus || string(read) != tt.wantRead {
				t.Errorf("status %d, read %q; want %d, %q", status, read, tt.wantStatus, tt.wantRead)
			}
		})
	}
}

// waitFor waits, at most 10 s, until cond holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s after 10s", what)
		}
		runtime.Gosched()
		time.Sleep(5 * time.Millisecond)
	}
}

// TestStallUntilTheClientGivesUp: the status line and headers arrive, then nothing; the client's own deadline
// ends the wait, and the server lets the connection go soon after.
func TestStallUntilTheClientGivesUp(t *testing.T) {
	in := New(Options{StallLimit: time.Hour})
	ts := faultServer(t, in, Stall)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	status, read, err := fetch(ctx, ts.URL)
	t.Logf("Go sees: status %d, read %d bytes, error %v", status, len(read), err)
	if status != http.StatusOK || len(read) != 0 || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("status %d, read %q, error %v; want 200, nothing, a deadline exceeded", status, read, err)
	}
	waitFor(t, "the server to let the hung-up connection go", func() bool { return in.Stalled() == 0 })
}

// TestStallEndsAtTheLimit: a client that never gives up sees the connection closed at the server's limit, in
// the middle of the body (unexpected EOF), and the server holds nothing afterwards.
func TestStallEndsAtTheLimit(t *testing.T) {
	in := New(Options{StallLimit: 50 * time.Millisecond})
	ts := faultServer(t, in, Stall)
	start := time.Now()
	status, read, err := fetch(context.Background(), ts.URL)
	if status != http.StatusOK || len(read) != 0 || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("status %d, read %q, error %v; want 200, nothing, unexpected EOF", status, read, err)
	}
	if took := time.Since(start); took < 50*time.Millisecond {
		t.Errorf("the stall ended after %s, before its limit", took)
	}
	waitFor(t, "no stalled connection", func() bool { return in.Stalled() == 0 })
}

// TestStallsAreBounded: past MaxStalled the oldest stalled connection is closed, and a stall holds no
// goroutine: the handler's has returned, and one closer serves them all.
func TestStallsAreBounded(t *testing.T) {
	in := New(Options{StallLimit: time.Hour, MaxStalled: 20})
	ts := faultServer(t, in, Stall)
	before := runtime.NumGoroutine()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	ended := make(chan error, 30)
	for range 30 {
		resp, err := client.Get(ts.URL)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			_, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			ended <- err
		}()
	}
	// Each client connection has its transport's two goroutines and a reader here; the server keeps none per
	// stall.
	if extra := runtime.NumGoroutine() - before; extra > 3*30+5 {
		t.Errorf("%d more goroutines for 30 stalls, want at most the clients' 90 and a closer", extra)
	}
	// Ten were closed past the bound: their bodies end at once; twenty stay stalled.
	for range 10 {
		if err := <-ended; !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("a stall past the bound ended with %v, want unexpected EOF", err)
		}
	}
	if got := in.Stalled(); got != 20 {
		t.Errorf("%d connections stalled, want the bound, 20", got)
	}
	select {
	case err := <-ended:
		t.Errorf("an eleventh stall ended (%v) before Close", err)
	default:
	}
	in.Close()
	for range 20 {
		if err := <-ended; !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("a stall ended at Close with %v, want unexpected EOF", err)
		}
	}
	if got := in.Stalled(); got != 0 {
		t.Errorf("%d connections stalled after Close", got)
	}
}

// TestApplyNeedsHijack: a writer that cannot be hijacked is refused, and nothing is written.
func TestApplyNeedsHijack(t *testing.T) {
	rec := httptest.NewRecorder()
	err := New(Options{}).Apply(rec, Reset, Answer{Status: 200})
	if !errors.Is(err, ErrNotHijackable) {
		t.Errorf("err %v, want ErrNotHijackable", err)
	}
	if rec.Body.Len() != 0 || rec.Code != 200 || rec.Flushed {
		t.Errorf("something was written: %d %q", rec.Code, rec.Body)
	}
}

func TestParse(t *testing.T) {
	for _, f := range All {
		if got, ok := Parse(string(f)); !ok || got != f {
			t.Errorf("Parse(%q) = %q, %v", f, got, ok)
		}
	}
	for _, name := range []string{"", "RESET", "503", "stall ", "none"} {
		if _, ok := Parse(name); ok {
			t.Errorf("Parse(%q) accepted", name)
		}
	}
}

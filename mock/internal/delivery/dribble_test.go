package delivery

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestAnswerCutShortIsNoDelivery has receivers answer 200 and then not finish their answer: one dribbles its
// body past the attempt's timeout, one hangs up in the middle of it. Neither is journaled as a clean delivery:
// each attempt fails with the status received, what was read of the answer, and why it was cut.
func TestAnswerCutShortIsNoDelivery(t *testing.T) {
	tests := []struct {
		name    string
		handler func(w http.ResponseWriter, r *http.Request, done <-chan struct{})
		says    string
	}{
		{"dribbles past the timeout", func(w http.ResponseWriter, r *http.Request, done <-chan struct{}) {
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte("partial"))
			w.(http.Flusher).Flush()
			select {
			case <-done:
			case <-r.Context().Done():
			}
		}, "not finished its answer within 200ms"},
		{"hangs up mid-answer", func(w http.ResponseWriter, r *http.Request, done <-chan struct{}) {
			w.Header().Set("Content-Length", "100")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte("partial"))
			w.(http.Flusher).Flush()
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.(*net.TCPConn).SetLinger(0)
				conn.Close()
			}
		}, "cut"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { tt.handler(w, r, done) }))
			t.Cleanup(func() { close(done); srv.Close() })
			rep := &reports{}
			e := newEngine(t, &http.Transport{}, Config{Timeout: 200 * time.Millisecond, Stall: time.Hour}, rep)
			e.Submit(jobTo("t1", 1, srv.URL, "r1"))
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := e.WaitIdle(ctx); err != nil {
				t.Fatal(err)
			}
			rep.mu.Lock()
			defer rep.mu.Unlock()
			if len(rep.got) != 1 {
				t.Fatalf("%d attempts reported, want 1: %+v", len(rep.got), rep.got)
			}
			a := rep.got[0]
			if a.Outcome != Failed || a.Status != http.StatusOK || a.Response != "partial" {
				t.Errorf("attempt: outcome %q, status %d, response %q; want failed, 200, \"partial\"", a.Outcome, a.Status, a.Response)
			}
			if !strings.Contains(a.Error, "200") || !strings.Contains(a.Error, tt.says) {
				t.Errorf("error %q: want the status and %q", a.Error, tt.says)
			}
		})
	}
}

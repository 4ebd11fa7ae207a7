package adminpage

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/lumamock/lumamock/internal/pipenet"
)

// TestStreamArrayIsTheArray: the streamed answer is the JSON of the whole array, without a Content-Length.
func TestStreamArrayIsTheArray(t *testing.T) {
	items := []string{"a<b", "c", ""}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		StreamArray(w, append([]string(nil), items...), func(s *string) any { return map[string]string{"v": *s} }, ReadStall, ReadLimit)
	}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if want := `[{"v":"a<b"},{"v":"c"},{"v":""}]` + "\n"; string(got) != want || resp.ContentLength != -1 {
		t.Errorf("answer %q (Content-Length %d), want %q streamed", got, resp.ContentLength, want)
	}
	empty := httptest.NewRecorder()
	StreamArray(empty, []int(nil), func(v *int) any { return *v }, ReadStall, ReadLimit)
	if empty.Body.String() != "[]\n" {
		t.Errorf("no items: %q", empty.Body.String())
	}
}

// TestStreamArrayCutsASlowReaderAtTheLimit: a client that keeps reading, but too slowly to take the answer
// within the limit, never trips the stall; the limit cuts its answer short, so it cannot hold a turn for hours.
// It runs in a synctest bubble over pipenet, whose connections buffer nothing: the reader sets the pace.
func TestStreamArrayCutsASlowReaderAtTheLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		record := strings.Repeat("x", 1000)
		items := make([]string, 20000) // 20 MB: 5 s for the whole answer at the reader's pace
		for i := range items {
			items[i] = record
		}
		const limit = 300 * time.Millisecond
		var took time.Duration
		srv := pipenet.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			StreamArray(w, items, func(s *string) any { return *s }, 10*time.Second, limit)
			took = time.Since(start)
		}))
		defer srv.Close()
		resp, err := srv.Client.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var got bytes.Buffer
		buf := make([]byte, 4<<10)
		pace := time.NewTicker(time.Millisecond) // about 4 MB/s, on the bubble's clock
		defer pace.Stop()
		for {
			n, err := resp.Body.Read(buf)
			got.Write(buf[:n])
			if err != nil {
				break
			}
			<-pace.C
		}
		synctest.Wait() // the handler has returned
		if took < limit || took > limit+time.Duration(streamChunk/len(buf))*time.Millisecond {
			t.Errorf("the read held its writer for %s, want %s and the last chunk's write", took, limit)
		}
		if json.Valid(got.Bytes()) {
			t.Errorf("the slow reader got the whole answer (%d bytes): want it cut short", got.Len())
		}
	})
}

// TestGateTurnsAndBusy: ReadSlots reads have a turn at once; the next waits at most its wait, then is told the
// server is busy (503, Retry-After) rather than kept behind slow readers; a turn given back is taken at once.
func TestGateTurnsAndBusy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := NewGate()
		ctx := context.Background()
		for i := range ReadSlots {
			if !g.Enter(ctx, time.Millisecond) {
				t.Fatalf("read %d had no turn", i+1)
			}
		}
		start := time.Now()
		if g.Enter(ctx, 50*time.Millisecond) {
			t.Fatal("a read had a turn past ReadSlots")
		}
		if waited := time.Since(start); waited != 50*time.Millisecond {
			t.Errorf("waited %s for a turn, want 50ms", waited)
		}
		start = time.Now()
		time.AfterFunc(20*time.Millisecond, g.Leave)
		if !g.Enter(ctx, 5*time.Second) {
			t.Error("a turn given back was not taken")
		}
		if waited := time.Since(start); waited != 20*time.Millisecond {
			t.Errorf("a turn given back after 20ms was taken after %s", waited)
		}
	})
	rec := httptest.NewRecorder()
	Busy(rec)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || !json.Valid(rec.Body.Bytes()) {
		t.Errorf("Busy: %d %v %s", rec.Code, rec.Header(), rec.Body.String())
	}
}

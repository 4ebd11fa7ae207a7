package proxy

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

// manyWaysBroken is a 200 answer to GET /luma/generations/{id} of about 277 KB with n undocumented members in
// data: n findings.
func manyWaysBroken(n int) string {
	var b strings.Builder
	b.WriteString(`{"code":200,"message":"success","request_id":"3f2b8c1e-5a47-4d0e-9c61-2b7e8f0a1d22","data":{"task_id":"` + taskID +
		`","task_status":"pending","created_at":1734874720,"updated_at":1734874725`)
	for i := range n {
		fmt.Fprintf(&b, `,"undocumented_%05d":0`, i)
	}
	b.WriteString("}}")
	return b.String()
}

// heapInUse is the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestJournalIsBoundedInBytes sends exchanges whose answers break the document 20,000 ways each through the
// proxy: the journal keeps at most MaxJournalFindings findings per exchange (and counts the rest), stays
// within JournalMaxBytes by its own accounting and on the heap, and a full page read stays small.
func TestJournalIsBoundedInBytes(t *testing.T) {
	const (
		ways     = 20000
		sends    = 12
		maxBytes = 256 << 10
	)
	reply := manyWaysBroken(ways)
	if len(reply) < 270<<10 {
		t.Fatalf("the answer is %d bytes, want about 277 KB", len(reply))
	}
	up := newUpstream(t, answer(200, reply))
	before := heapInUse()
	p, px := startProxy(t, up, Options{JournalMaxBytes: maxBytes})
	client := &http.Client{Timeout: 20 * time.Second}
	var violations string
	for i := range sends {
		req, _ := http.NewRequest(http.MethodGet, px.URL+"/luma/generations/"+taskID+"?"+strings.Repeat("q", 8<<10), nil)
		req.Header.Set("Authorization", "Bearer "+testKey)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("X-Big", strings.Repeat("h", 32<<10))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("exchange %d: %v", i, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		violations = resp.Header.Get(HeaderViolations)
	}
	if len(violations) > MaxViolationsHeader || !strings.Contains(violations, fmt.Sprintf("%d findings in all", ways)) ||
		!strings.Contains(violations, fmt.Sprintf("the journal keeps the first %d", MaxJournalFindings)) {
		t.Errorf("%s (%d bytes) does not say how many findings there were and where to read them: …%s",
			HeaderViolations, len(violations), violations[max(0, len(violations)-200):])
	}
	waitFor(t, p, "every exchange journaled", func() bool { _, last := p.exchanges.Bounds(); return last == sends })
	kept := p.Requests()
	if len(kept) == 0 {
		t.Fatal("the journal kept nothing")
	}
	for _, e := range kept {
		if len(e.Findings) > MaxJournalFindings || e.FindingsTotal != ways || !e.FindingsTruncated {
			t.Fatalf("exchange %d keeps %d findings (total %d, truncated %v), want %d of %d, truncated",
				e.Seq, len(e.Findings), e.FindingsTotal, e.FindingsTruncated, MaxJournalFindings, ways)
		}
		for _, f := range e.Findings {
			if n := len(f.Message) + len(f.Expected) + len(f.Actual); n > 3*maxFindingText {
				t.Fatalf("a kept finding holds %d bytes of text", n)
			}
		}
		if len(e.Query) > maxJournalText+64 {
			t.Errorf("the journal keeps %d bytes of query", len(e.Query))
		}
		for k, vs := range e.Header {
			for _, v := range vs {
				if len(v) > maxJournalText+64 {
					t.Errorf("the journal keeps %d bytes of header %s", len(v), k)
				}
			}
		}
	}
	if b := p.exchanges.Bytes(); b > maxBytes || b == 0 {
		t.Errorf("the journal accounts %d bytes, want 1..%d", b, maxBytes)
	}
	grown := int64(heapInUse()) - int64(before)
	t.Logf("%d exchanges: %d kept, %d bytes by the ring's accounting, heap grew %d bytes", sends, len(kept), p.exchanges.Bytes(), grown)
	// The heap is a loose check (the race detector and the HTTP machinery keep their own): before the journal
	// was bounded, these exchanges grew it by about 80 MB.
	if grown > 20<<20 {
		t.Errorf("the heap grew %d bytes over %d exchanges, want at most 20 MiB", grown, sends)
	}
	resp, err := client.Get(px.URL + AdminPrefix + "/requests?limit=1000")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	t.Logf("GET /__mock/requests?limit=1000: %d bytes", len(page))
	if len(page) > 2*maxBytes {
		t.Errorf("a page read answered %d bytes, want at most %d", len(page), 2*maxBytes)
	}
	var got []map[string]any
	if err := json.Unmarshal(page, &got); err != nil || len(got) == 0 {
		t.Fatalf("page: %v", err)
	}
	if got[0]["findings_total"] != float64(ways) || got[0]["findings_truncated"] != true {
		t.Errorf("the page does not say how many findings there were: total %v, truncated %v", got[0]["findings_total"], got[0]["findings_truncated"])
	}
}

package mock_test

import (
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
)

// heapInUse is the heap in use once the garbage collector has run.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// totalAlloc is the bytes allocated so far by the process.
func totalAlloc() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.TotalAlloc
}

// TestJournalMemoryStaysSmallWithLargeCallbackBodies journals many callbacks whose bodies carry a 256 KiB prompt
// (the luma shape repeats the prompt), reads the callback journal and resets: neither keeping nor reading the
// journal may cost memory in proportion to the bodies.
func TestJournalMemoryStaysSmallWithLargeCallbackBodies(t *testing.T) {
	const (
		tasks      = 60
		promptSize = 256 << 10
		// What the journals may keep, or one read may allocate, with bodies cut at the default 16 KiB: the
		// whole bodies would take over 45 MB (a request and two callbacks per task), and a read of them more.
		keptBound  = 24 << 20
		readBound  = 24 << 20
		resetBound = 8 << 20
	)
	if raceDetector {
		t.Skip("a measure of memory, run without -race: the race detector makes its 30 MB of JSON work take 10 s and adds nothing to it")
	}
	synctest.Test(t, func(t *testing.T) { journalMemory(t, tasks, promptSize, keptBound, readBound, resetBound) })
}

// journalMemory is TestJournalMemoryStaysSmallWithLargeCallbackBodies on a memNet, in a synctest bubble.
func journalMemory(t *testing.T, tasks, promptSize int, keptBound int64, readBound uint64, resetBound int64) {
	before := heapInUse()

	// Tasks keep their prompts; a small task memory keeps them out of what is measured here.
	srv := newMemServer(t, mock.Options{Schema: lumamock.ShapeLuma, MaxTaskMemory: 4 << 20})
	// A receiver that keeps nothing of what it is sent.
	var delivered atomic.Int64
	receiver := srv.net.serve("sink", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		delivered.Add(1)
	}))
	prompt := strings.Repeat("a gust of wind ", promptSize/15)
	for i := range tasks {
		status, created := submit(t, srv, map[string]any{"user_prompt": prompt, "notify_hook": receiver + "/hook"}, "pending=0s, processing=0s")
		if status != http.StatusOK {
			t.Fatalf("submit: status %d: %v", status, created)
		}
		srv.Advance(0) // waits for both callbacks (processing, completed) to be delivered
		if n := delivered.Load(); n != int64(2*(i+1)) {
			t.Fatalf("%d callbacks delivered, want %d", n, 2*(i+1))
		}
	}
	prompt = ""

	allocated := totalAlloc()
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/__mock/callbacks", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /__mock/callbacks: status %d, %v", resp.StatusCode, err)
	}
	read := totalAlloc() - allocated
	kept := int64(heapInUse()) - int64(before)
	t.Logf("%d callbacks delivered; journal read: %d bytes answered, %d MiB allocated; heap kept: %d MiB",
		delivered.Load(), n, read>>20, kept>>20)
	if read > readBound {
		t.Errorf("reading the callback journal allocated %d MiB, want under %d MiB", read>>20, readBound>>20)
	}
	if kept > keptBound {
		t.Errorf("heap in use grew by %d MiB with the journals full, want under %d MiB", kept>>20, keptBound>>20)
	}

	if status := admin(t, srv, http.MethodPost, "/__mock/reset", nil); status != http.StatusNoContent {
		t.Fatalf("reset: status %d", status)
	}
	if after := int64(heapInUse()) - int64(before); after > resetBound {
		t.Errorf("heap in use grew by %d MiB after a reset, want under %d MiB", after>>20, resetBound>>20)
	} else {
		t.Logf("heap kept after reset: %d KiB", after>>10)
	}
}

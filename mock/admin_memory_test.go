package mock_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
)

// liveHeap is the heap the program still uses once the garbage collector has run.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestParallelAdminReadsHoldLittleMemory: each admin list read built every record of its answer and then the
// whole JSON body in memory before writing a byte, so parallel reads multiplied the answer's size: with the
// task store at its 64 MiB cap, 16 parallel GET /__mock/tasks took RSS from 238 MB to 5.4 GB. A read now
// streams its answer record by record, and only a few run at once (the others wait their turn): memory per
// read in flight is about one record, whatever the answer's size.
//
// Each case fills the store with 4 MiB of tasks (15 KB prompts; the request journal keeps the bodies too),
// starts 8 reads of an answer of about 4 MB whose readers take the headers and then stall, and measures the
// heap still in use while they hang: the answers held in memory, not garbage. Then the readers read on, and
// every one must get the whole answer.
func TestParallelAdminReadsHoldLittleMemory(t *testing.T) {
	const (
		readers    = 8
		promptSize = 15 << 10
		// Heap the stalled reads may hold together: one record each (about 15 KB), a write buffer each, the
		// page of task pointers. Holding their answers would take readers x 4 MB.
		bound = 2 << 20
	)
	paths := []string{"/__mock/tasks", "/__mock/tasks?limit=1000", "/__mock/requests?limit=1000"}
	if raceDetector {
		paths = paths[:1] // the readers' concurrency, under the race detector; each case fills 4 MiB of tasks
	}
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				url, client := pipeServer(t, mock.Options{MaxTaskMemory: 4 << 20})
				prompt := strings.Repeat("a gust of wind ", promptSize/15)
				for range (4 << 20) / promptSize {
					req, _ := http.NewRequest(http.MethodPost, url+lumamock.PathGenerations, strings.NewReader(`{"user_prompt":"`+prompt+`"}`))
					req.Header.Set("Authorization", "Bearer k")
					req.Header.Set("Content-Type", "application/json")
					resp, err := client.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						t.Fatalf("submit: status %d", resp.StatusCode)
					}
				}
				prompt = ""
				ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
				defer cancel()
				base := liveHeap()
				var started atomic.Int32
				release := make(chan struct{})
				sizes := make([]int64, readers)
				errs := make([]error, readers)
				var wg sync.WaitGroup
				for i := range readers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+path, nil)
						resp, err := client.Do(req)
						if err != nil {
							errs[i] = err
							return
						}
						defer resp.Body.Close()
						started.Add(1)
						select { // stall: the headers are in, the body waits
						case <-release:
						case <-ctx.Done():
						}
						sizes[i], errs[i] = io.Copy(io.Discard, resp.Body)
						if errs[i] == nil && resp.StatusCode != http.StatusOK {
							errs[i] = fmt.Errorf("status %d", resp.StatusCode)
						}
					}()
				}
				// Every read that may run at once has started answering, its writer blocked (nothing buffers between
				// it and its reader); the others wait for a turn.
				synctest.Wait()
				if want := int32(min(readers, mock.ListReadSlots)); started.Load() != want {
					close(release)
					wg.Wait()
					t.Fatalf("%d reads started answering, want %d", started.Load(), want)
				}
				held := int64(liveHeap()) - int64(base)
				inFlight := started.Load()

				// The readers read on; sample the heap in use until every answer is in.
				var peak atomic.Uint64
				done := make(chan struct{})
				go func() {
					var ms runtime.MemStats
					for {
						runtime.ReadMemStats(&ms)
						if ms.HeapInuse > peak.Load() {
							peak.Store(ms.HeapInuse)
						}
						select {
						case <-done:
							return
						case <-time.After(2 * time.Millisecond):
						}
					}
				}()
				close(release)
				wg.Wait()
				close(done)
				for i := range readers {
					if errs[i] != nil || sizes[i] != sizes[0] || sizes[0] < 3<<20 {
						t.Fatalf("reader %d: %d bytes, %v; want the whole answer as reader 0's %d bytes", i, sizes[i], errs[i], sizes[0])
					}
				}
				t.Logf("%d parallel reads of %d bytes: %d had started answering; stalled, they held %d KiB (%d KiB each); heap in use peaked %d MiB above the live %d MiB while they were read",
					readers, sizes[0], inFlight, held>>10, held/int64(inFlight)>>10, (int64(peak.Load())-int64(base))>>20, base>>20)
				if held > bound {
					t.Errorf("%d stalled reads held %d KiB of heap, want under %d KiB: each holds its answer (%d bytes), not one record", inFlight, held>>10, bound>>10, sizes[0])
				}
			})
		})
	}
}

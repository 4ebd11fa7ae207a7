package mock_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
)

// BenchmarkCallbacks10k submits 10,000 tasks with zero delays and a notify_hook on a loopback receiver, and
// waits until every callback (two per task: processing, completed) has arrived. It fails unless each arrived
// exactly once, and reports deliveries/s and the peak goroutine count. Peak RSS: run the test binary under
// /usr/bin/time -v (see the README's Performance section).
func BenchmarkCallbacks10k(b *testing.B) {
	const (
		tasks   = 10000
		clients = 8
		want    = 2 * tasks
	)
	for b.Loop() {
		var mu sync.Mutex
		seen := make(map[string]int, want)
		var received atomic.Int64
		done := make(chan struct{})
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			key := r.Header.Get(mock.HeaderTaskID) + "/" + r.Header.Get(mock.HeaderEvent)
			mu.Lock()
			seen[key]++
			mu.Unlock()
			if received.Add(1) == want {
				close(done)
			}
		}))
		m, err := mock.New(mock.Options{Pending: mock.Immediate, Processing: mock.Immediate, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		api := httptest.NewServer(m)

		var peak atomic.Int64
		stopSampling := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			tick := time.NewTicker(time.Millisecond)
			defer tick.Stop()
			for {
				if n := int64(runtime.NumGoroutine()); n > peak.Load() {
					peak.Store(n)
				}
				select {
				case <-stopSampling:
					return
				case <-tick.C:
				}
			}
		}()

		start := time.Now()
		body := `{"user_prompt":"bench","notify_hook":"` + hook.URL + `/hook"}`
		var wg sync.WaitGroup
		var submitErr atomic.Value
		for c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				client := api.Client()
				for i := c; i < tasks; i += clients {
					req, _ := http.NewRequest(http.MethodPost, api.URL+lumamock.PathGenerations, strings.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Authorization", "Bearer bench")
					resp, err := client.Do(req)
					if err != nil {
						submitErr.Store(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						submitErr.Store(resp.Status)
						return
					}
				}
			}()
		}
		wg.Wait()
		if err := submitErr.Load(); err != nil {
			b.Fatalf("submit: %v", err)
		}
		select {
		case <-done:
		case <-time.After(2 * time.Minute):
			b.Fatalf("%d of %d callbacks arrived within 2 minutes", received.Load(), want)
		}
		elapsed := time.Since(start)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := m.Shutdown(ctx); err != nil {
			b.Errorf("shutdown: %v", err)
		}
		cancel()
		close(stopSampling)
		<-sampled
		api.Close()
		hook.Close()

		mu.Lock()
		if len(seen) != want {
			b.Errorf("%d distinct callbacks arrived, want %d", len(seen), want)
		}
		for key, n := range seen {
			if n != 1 {
				b.Errorf("callback %s arrived %d times", key, n)
				break
			}
		}
		mu.Unlock()
		failed := 0
		for _, rec := range m.Callbacks() {
			if rec.Outcome != mock.OutcomeDelivered {
				failed++
			}
		}
		if failed > 0 {
			b.Errorf("%d of the last journaled callbacks were not delivered", failed)
		}
		b.ReportMetric(float64(want)/elapsed.Seconds(), "deliveries/s")
		b.ReportMetric(float64(peak.Load()), "peak-goroutines")
	}
}

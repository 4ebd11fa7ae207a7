package mock_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/internal/pipenet"
	"github.com/lumamock/lumamock/mock"
)

// bareBody is what the bare handler answers: a pending task of the same size as the mock's.
const bareBody = `{"code":200,"message":"success","request_id":"1eeeadbf-44f4-4066-b83c-7c51faf277d8","data":{"task_id":"f02e4d4e-1cb2-43a7-b55d-4fe145dff435","task_status":"pending","created_at":1795619855,"updated_at":1795619855}}` + "\n"

// BenchmarkHandler measures the full mock handler (routing, validation, task creation, response) answering the
// source example next to a bare net/http handler answering a fixed body, in the same run. Compare ns/op:
//
//	go test ./mock -run '^$' -bench Handler -benchmem -cpu 1,2
func BenchmarkHandler(b *testing.B) { besideBare(b, benchmarkHandler) }

// benchKey is the API key the benchmarks' mocks accept and their requests send.
const benchKey = "load-test-key"

// besideBare runs bench on a bare net/http handler answering bareBody, then on the mock in each shape.
func besideBare(b *testing.B, bench func(*testing.B, http.Handler)) {
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(bareBody))
	})
	b.Run("bare", func(b *testing.B) { bench(b, bare) })
	for _, shape := range []lumamock.Shape{lumamock.ShapeEnvelope, lumamock.ShapeLuma} {
		srv, err := mock.New(mock.Options{Schema: shape, Seed: 1, APIKeys: []string{benchKey}})
		if err != nil {
			b.Fatal(err)
		}
		b.Run("mock-"+string(shape), func(b *testing.B) { bench(b, srv) })
		srv.Close()
	}
}

// submitHeaders gives req the headers of the source example's submission.
func submitHeaders(req *http.Request) *http.Request {
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+benchKey)
	return req
}

func benchmarkHandler(b *testing.B, h http.Handler) {
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := submitHeaders(httptest.NewRequest(http.MethodPost, lumamock.PathGenerations, strings.NewReader(sourceExample)))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
	})
}

// BenchmarkServer measures a request's whole way through net/http's server (over an in-memory connection,
// kept alive as wrk keeps it), the mock's handler or a bare one, and back to the client: the work of a load
// test without the network's noise. Its instruction counts repeat run to run, so it judges a change under
// callgrind (-cpu 1, the difference of two -benchtime counts, after the task store is full):
//
//	go test -c -o mock.test ./mock
//	valgrind --tool=callgrind ./mock.test -test.run '^$' -test.bench 'Server/mock' -test.cpu 1 -test.benchtime 20000x
func BenchmarkServer(b *testing.B) { besideBare(b, benchmarkServer) }

func benchmarkServer(b *testing.B, h http.Handler) {
	srv := pipenet.Serve(h)
	defer srv.Close()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		body := strings.NewReader(sourceExample)
		for pb.Next() {
			body.Reset(sourceExample)
			req, _ := http.NewRequest(http.MethodPost, srv.URL+lumamock.PathGenerations, body)
			resp, err := srv.Client.Do(submitHeaders(req))
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	})
}

// BenchmarkSessions measures the mock handler answering the source example in the session default (no header),
// in one named session, and spread over 1,000 sessions served in turn, in the same run; then the session default
// and 1,000 sessions again with journals bounded to 1 MiB, where N sessions keep no more journal entries than one
// does (with 32 MiB, 1,000 sessions keep 30 times the entries of one, which the garbage collector pays for).
// Compare ns/op:
//
//	go test ./mock -run '^$' -bench Sessions -benchmem -cpu 1
func BenchmarkSessions(b *testing.B) {
	for _, c := range []struct {
		n       int
		journal int64
	}{{0, 0}, {1, 0}, {1000, 0}, {0, 1 << 20}, {1000, 1 << 20}} {
		n := c.n
		name := "default"
		if n > 0 {
			name = fmt.Sprintf("%d-sessions", n)
		}
		if c.journal > 0 {
			name += "-1MiB-journal"
		}
		srv, err := mock.New(mock.Options{Seed: 1, JournalMaxBytes: c.journal})
		if err != nil {
			b.Fatal(err)
		}
		names := make([]string, n)
		for i := range names {
			names[i] = fmt.Sprintf("load-%d", i)
		}
		var turn atomic.Uint64
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req := submitHeaders(httptest.NewRequest(http.MethodPost, lumamock.PathGenerations, strings.NewReader(sourceExample)))
					if n > 0 {
						req.Header.Set(mock.HeaderSession, names[turn.Add(1)%uint64(n)])
					}
					rec := httptest.NewRecorder()
					srv.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						b.Fatalf("status %d: %s", rec.Code, rec.Body)
					}
				}
			})
		})
		srv.Close()
	}
}

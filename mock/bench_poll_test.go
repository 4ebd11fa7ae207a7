package mock_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
)

// BenchmarkPoll measures the mock answering polls (GET of a task), the path a client's polling loop takes, from
// several clients (API keys) at once:
//
//	go test ./mock -run '^$' -bench Poll -benchmem -cpu 1,2
func BenchmarkPoll(b *testing.B) {
	srv, err := mock.New(mock.Options{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	keys := []string{"key-a-0123456789", "key-b-0123456789", "key-c-0123456789", "key-d-0123456789"}
	var paths []string
	for _, key := range keys {
		req := httptest.NewRequest(http.MethodPost, lumamock.PathGenerations, strings.NewReader(sourceExample))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+key)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		var env lumamock.TaskEnvelope
		if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || rec.Code != http.StatusOK {
			b.Fatalf("submit: %d %s", rec.Code, rec.Body)
		}
		paths = append(paths, strings.Replace(lumamock.PathGeneration, "{task_id}", env.Data.TaskID, 1))
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			req := httptest.NewRequest(http.MethodGet, paths[i%len(paths)], nil)
			req.Header.Set("Accept", "application/json")
			req.Header.Set("Authorization", "Bearer "+keys[i%len(keys)])
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
	})
}

package deadline

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkAnswer measures a small answer on a loopback connection, plain and through a Writer, in the same
// run: the Writer's cost is the difference.
//
//	go test ./internal/deadline -run '^$' -bench Answer -count 10
func BenchmarkAnswer(b *testing.B) {
	body := strings.Repeat("x", 300)
	for _, wrap := range []bool{false, true} {
		name := "plain"
		if wrap {
			name = "writer"
		}
		b.Run(name, func(b *testing.B) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				if wrap {
					dw := Wrap(w, Stall, Limit)
					defer dw.Done()
					w = dw
				}
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, body)
			}))
			defer srv.Close()
			client := srv.Client()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				resp, err := client.Get(srv.URL)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}

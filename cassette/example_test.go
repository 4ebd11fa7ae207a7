package cassette_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/lumamock/lumamock/cassette"
)

// Record an exchange, then answer from it while anything else falls back to another handler (the mock, in
// lumamock serve --replay).
func Example() {
	dir, _ := os.MkdirTemp("", "cassette")
	defer os.RemoveAll(dir)
	rec, _ := cassette.NewRecorder(dir, "sk-secret")
	rec.Now = func() time.Time { return time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC) }
	e, _ := rec.Record(cassette.Entry{
		Request: cassette.Request{Method: "GET", Path: "/luma/generations/t1",
			Header: http.Header{"Authorization": {"Bearer sk-secret"}}},
		Response: cassette.Response{Status: 200, Header: http.Header{"Content-Type": {"application/json"}},
			Body: cassette.NewBody([]byte(`{"id":"t1","state":"completed"}`))},
	})
	fmt.Println("recorded", e.File(), "with Authorization:", e.Request.Header.Get("Authorization") != "")

	fallback := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "from the mock", http.StatusNotFound) })
	replayer, _ := cassette.NewReplayer(dir, fallback)
	defer replayer.Close()
	srv := httptest.NewServer(replayer)
	defer srv.Close()
	for _, path := range []string{"/luma/generations/t1", "/luma/generations/t2"} {
		resp, _ := http.Get(srv.URL + path)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("%s: %d from %s: %s\n", path, resp.StatusCode, resp.Header.Get(cassette.HeaderSource), bytes.TrimSpace(body))
	}
	// Output:
	// recorded 000001.GET.luma-generations-t1.json with Authorization: false
	// /luma/generations/t1: 200 from replay: {"id":"t1","state":"completed"}
	// /luma/generations/t2: 404 from mock: from the mock
}

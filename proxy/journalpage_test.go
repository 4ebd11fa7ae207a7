package proxy_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
	"github.com/lumamock/lumamock/proxy"
)

func TestJournalReadsPage(t *testing.T) {
	upstream := mocktest.NewServer(t, mock.Options{})
	p, err := proxy.New(proxy.Options{Upstream: upstream.URL, JournalSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	// An exchange is journaled as the proxy's ServeHTTP returns, which may be after the client has its answer.
	var journaled sync.WaitGroup
	journaled.Add(6)
	ps := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.ServeHTTP(w, r)
		if !strings.HasPrefix(r.URL.Path, "/__mock/") {
			journaled.Done()
		}
	}))
	t.Cleanup(ps.Close)
	for range 6 { // the journal keeps 3..6
		req, _ := http.NewRequest(http.MethodGet, ps.URL+"/luma/generations/unknown", nil)
		req.Header.Set("Authorization", "Bearer k")
		resp, err := ps.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	journaled.Wait()
	if got := p.Requests(); len(got) != 4 || got[3].Seq != 6 {
		t.Fatalf("the journal holds %d exchanges, want the 3rd to the 6th", len(got))
	}
	tests := []struct {
		query      string
		want       []int64
		wantStatus int
	}{
		{query: "", want: []int64{3, 4, 5, 6}, wantStatus: 200},
		{query: "since=4", want: []int64{5, 6}, wantStatus: 200},
		{query: "since=3&limit=1", want: []int64{4}, wantStatus: 200},
		{query: "before=99&limit=2", want: []int64{5, 6}, wantStatus: 200},
		{query: "before=5", want: []int64{3, 4}, wantStatus: 200},
		{query: "since=1&before=3", wantStatus: 400},
		{query: "limit=x", wantStatus: 400},
		{query: "task_id=a&task_id=b", wantStatus: 400},
		{query: "valid=true", want: []int64{3, 4, 5, 6}, wantStatus: 200}, // a documented 404 breaks nothing
		{query: "valid=false", want: []int64{}, wantStatus: 200},
		{query: "valid=bogus", wantStatus: 400},
		{query: "valid=false&valid=true", wantStatus: 400},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			resp, err := ps.Client().Get(ps.URL + "/__mock/requests?" + tt.query)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if tt.wantStatus != 200 {
				return
			}
			if resp.ContentLength != -1 || resp.Header.Get("Content-Type") != "application/json" {
				t.Errorf("Content-Length %d, Content-Type %q: want a streamed JSON answer", resp.ContentLength, resp.Header.Get("Content-Type"))
			}
			var recs []proxy.Exchange
			if err := json.NewDecoder(resp.Body).Decode(&recs); err != nil {
				t.Fatal(err)
			}
			got := []int64{}
			for _, r := range recs {
				got = append(got, r.Seq)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("seqs (-want +got):\n%s", diff)
			}
			if bounds := resp.Header.Get("X-Lumamock-First-Seq") + ".." + resp.Header.Get("X-Lumamock-Last-Seq"); bounds != "3..6" {
				t.Errorf("bounds %s, want 3..6", bounds)
			}
		})
	}
}

// TestAdminWrongMethodIs405: a known admin path with another method is a 405 naming the one it takes, as on
// the mock, not a 404.
func TestAdminWrongMethodIs405(t *testing.T) {
	p, err := proxy.New(proxy.Options{Upstream: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	ps := httptest.NewServer(p)
	t.Cleanup(ps.Close)
	for _, tt := range []struct{ method, path, allow string }{
		{http.MethodPut, "/__mock/requests", "GET, HEAD"},
		{http.MethodPost, "/__mock/callbacks", "GET, HEAD"},
		{http.MethodGet, "/__mock/reset", http.MethodPost},
	} {
		req, _ := http.NewRequest(tt.method, ps.URL+tt.path, nil)
		resp, err := ps.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != tt.allow {
			t.Errorf("%s %s: %d, Allow %q; want 405, Allow %s", tt.method, tt.path, resp.StatusCode, resp.Header.Get("Allow"), tt.allow)
		}
	}
}

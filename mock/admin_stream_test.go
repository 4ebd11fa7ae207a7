package mock_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/internal/httpjson"
	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

// TestAdminListsStreamTheSameJSON: the list reads stream their answers record by record; the bytes must be
// those of the whole array encoded at once (what they answered before), redacted the same, with the same
// headers apart from Content-Length, which a streamed answer cannot know.
func TestAdminListsStreamTheSameJSON(t *testing.T) {
	const secret = "sk-live-0123456789abcdef"
	srv := mocktest.NewServer(t, mock.Options{Pending: mock.Immediate, Processing: time.Hour, APIKeys: []string{secret}})
	hook := mocktest.NewHookReceiver(t)
	for i := range 5 {
		body := `{"user_prompt":"a <b> & \"quoted\" ` + secret + ` ` + strings.Repeat("é", i*1000) + `","notify_hook":"` + hook.URL + `?token=t0ps3cret"}`
		req, _ := http.NewRequest(http.MethodPost, srv.URL+lumamock.PathGenerations, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("Content-Type", "application/json")
		resp, err := srv.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	srv.Advance(0)
	if err := srv.Mock.WaitCallbacks(context.Background()); err != nil {
		t.Fatal(err)
	}
	page := srv.Mock.TasksPage(mock.TaskQuery{Since: 1, Limit: 2})
	tests := []struct {
		path string
		want any
	}{
		{"/__mock/tasks", srv.Mock.Tasks()},
		{"/__mock/tasks?since=1&limit=2", page.Tasks},
		{"/__mock/tasks?state=failed", []mock.TaskRecord{}},
		{"/__mock/requests", srv.Mock.RequestsSince(0, mock.MaxJournalPage)},
		{"/__mock/requests?before=0", []mock.RequestRecord{}},
		{"/__mock/callbacks", srv.Mock.CallbacksSince(0, mock.MaxJournalPage, "")},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			want, err := httpjson.Marshal(tt.want)
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, '\n')
			resp, err := srv.Client.Get(srv.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got, err := io.ReadAll(resp.Body)
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, %v", resp.StatusCode, err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("answer differs from the records encoded at once:\n got %s\nwant %s", got, want)
			}
			if bytes.Contains(got, []byte(secret)) || bytes.Contains(got, []byte("t0ps3cret")) {
				t.Errorf("a secret is in the answer: %s", got)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if strings.HasPrefix(tt.path, "/__mock/tasks?") && resp.Header.Get(mock.HeaderTotalCount) == "" {
				t.Errorf("no %s on a paged read", mock.HeaderTotalCount)
			}
			if !strings.HasPrefix(tt.path, "/__mock/tasks") && resp.Header.Get("X-Lumamock-First-Seq") == "" {
				t.Errorf("no X-Lumamock-First-Seq on a journal read")
			}
		})
	}
}

// TestListReadsTakeTurnsAndStalledReadersGiveThemBack: at most mock.ListReadSlots list reads are answered at
// once; another waits for a turn. A client that stops reading holds its turn only until its answer has waited
// the stall limit: then the answer is cut and the turn goes to the next read.
func TestListReadsTakeTurnsAndStalledReadersGiveThemBack(t *testing.T) {
	const stall = 500 * time.Millisecond
	mock.SetListReadStall(t, stall)
	synctest.Test(t, func(t *testing.T) { listReadsTakeTurns(t, stall) })
}

// listReadsTakeTurns is TestListReadsTakeTurnsAndStalledReadersGiveThemBack, in a synctest bubble: the stalls
// are the bubble's time.
func listReadsTakeTurns(t *testing.T, stall time.Duration) {
	url, client := pipeServer(t, mock.Options{})
	prompt := strings.Repeat("x", 15<<10)
	for range 64 { // an answer of about 1 MB
		req, _ := http.NewRequest(http.MethodPost, url+lumamock.PathGenerations, strings.NewReader(`{"user_prompt":"`+prompt+`"}`))
		req.Header.Set("Authorization", "Bearer k")
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()

	// Stalled readers take every turn: they read the headers, then nothing.
	stalled := make([]*http.Response, mock.ListReadSlots)
	for i := range stalled {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/__mock/tasks", nil)
		var err error
		if stalled[i], err = client.Do(req); err != nil {
			t.Fatal(err)
		}
		defer stalled[i].Body.Close()
	}
	start := time.Now()
	// One more read waits for a turn, then gets its whole answer.
	var wg sync.WaitGroup
	var headersAt time.Duration
	var n int64
	var readErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/__mock/tasks", nil)
		resp, err := client.Do(req)
		if err != nil {
			readErr = err
			return
		}
		defer resp.Body.Close()
		headersAt = time.Since(start)
		n, readErr = io.Copy(io.Discard, resp.Body)
	}()
	wg.Wait()
	if readErr != nil || n < 64*15<<10 {
		t.Fatalf("the waiting read got %d bytes, %v; want the whole answer", n, readErr)
	}
	if headersAt != stall {
		t.Errorf("the waiting read was answered after %v, while %d stalled readers held every turn for %v", headersAt, len(stalled), stall)
	}
	// The stalled readers lost their answers: cut, not ended as if whole. (Each writer blocked as its headers
	// went; by twice the limit every one has given up.)
	elapse(time.Until(start.Add(2 * stall)))
	for i, resp := range stalled {
		if n, err := io.Copy(io.Discard, resp.Body); err == nil {
			t.Errorf("stalled reader %d: its answer ended after %d bytes without error, want it cut", i, n)
		}
	}
}

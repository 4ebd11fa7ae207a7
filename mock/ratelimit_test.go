package mock_test

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

// keyedPost submits a task with API key key and returns the status, Retry-After and body.
func keyedPost(t *testing.T, srv *mocktest.Server, key string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL+lumamock.PathGenerations, strings.NewReader(`{"user_prompt":"p"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Retry-After"), string(body)
}

// TestRateLimitPerKey: with 5/s, a burst of 8 from one key gets 5 answers and 3 documented 429s with
// Retry-After; another key is not limited by the first; the refused requests, retried after Retry-After, get
// through; the journal says which were rate-limited, and they stay valid requests.
func TestRateLimitPerKey(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{RateLimit: mock.RateLimit{Requests: 5, Per: time.Second}})
	var waits []time.Duration
	for i := range 8 {
		status, retry, body := keyedPost(t, srv, "key-a")
		switch {
		case i < 5 && status != http.StatusOK:
			t.Fatalf("request %d: %d %s, want 200", i, status, body)
		case i >= 5 && (status != http.StatusTooManyRequests || !strings.Contains(body, `"code":429`)):
			t.Fatalf("request %d: %d %s, want the documented 429", i, status, body)
		case i >= 5:
			secs, err := strconv.Atoi(retry)
			if err != nil || secs < 1 {
				t.Fatalf("request %d: Retry-After %q, want whole seconds", i, retry)
			}
			waits = append(waits, time.Duration(secs)*time.Second)
		}
	}
	if status, _, _ := keyedPost(t, srv, "key-b"); status != http.StatusOK {
		t.Errorf("another key: %d, want 200", status)
	}
	var limited int
	for _, rec := range srv.Mock.Requests() {
		if rec.RateLimited {
			limited++
			if rec.Status != http.StatusTooManyRequests || !rec.Valid {
				t.Errorf("a rate-limited record: status %d, valid %v; want 429, true", rec.Status, rec.Valid)
			}
		}
	}
	if limited != 3 {
		t.Errorf("%d requests journaled as rate-limited, want 3", limited)
	}
	if n := len(srv.Mock.Tasks()); n != 6 {
		t.Errorf("%d tasks, want the 6 let through", n)
	}
	// Each refused request honours its Retry-After.
	elapsed := time.Duration(0)
	for i, w := range waits {
		srv.Advance(w - elapsed)
		elapsed = w
		if status, retry, _ := keyedPost(t, srv, "key-a"); status != http.StatusOK {
			t.Errorf("refused request %d retried after %s: %d (Retry-After %s)", i, w, status, retry)
		}
	}
}

// TestRateLimitSustained: a key sending 20 requests every second for 10 seconds gets exactly 5 a second
// through with 5/s.
func TestRateLimitSustained(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{RateLimit: mock.RateLimit{Requests: 5, Per: time.Second}})
	for second := range 10 {
		ok := 0
		for range 20 {
			if status, _, _ := keyedPost(t, srv, "k"); status == http.StatusOK {
				ok++
			}
		}
		if ok != 5 {
			t.Errorf("second %d: %d let through, want 5", second, ok)
		}
		srv.Advance(time.Second)
	}
}

// TestRateLimitPerMinute: 2/m refuses the third request of a burst for 30 s, and Reset forgets the buckets.
func TestRateLimitPerMinute(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{RateLimit: mock.RateLimit{Requests: 2, Per: time.Minute}})
	keyedPost(t, srv, "k")
	keyedPost(t, srv, "k")
	status, retry, _ := keyedPost(t, srv, "k")
	if status != http.StatusTooManyRequests || retry != "30" {
		t.Fatalf("third request: %d, Retry-After %q; want 429 and 30", status, retry)
	}
	srv.Mock.Reset()
	if status, _, _ := keyedPost(t, srv, "k"); status != http.StatusOK {
		t.Errorf("after a reset: %d, want 200", status)
	}
}

func TestParseRateLimit(t *testing.T) {
	for text, want := range map[string]mock.RateLimit{"10/s": {10, time.Second}, "100/m": {100, time.Minute}} {
		got, err := mock.ParseRateLimit(text)
		if err != nil || got != want || got.String() != text {
			t.Errorf("ParseRateLimit(%q) = %v (%q), %v; want %v", text, got, got.String(), err, want)
		}
	}
	for _, text := range []string{"10", "10/h", "0/s", "x/s", ""} {
		if _, err := mock.ParseRateLimit(text); err == nil {
			t.Errorf("ParseRateLimit(%q) accepted", text)
		}
	}
	if _, err := mock.New(mock.Options{RateLimit: mock.RateLimit{Requests: 5, Per: time.Hour}}); err == nil || !strings.Contains(err.Error(), "RateLimit") {
		t.Errorf("New with 5 an hour: %v, want an error naming RateLimit", err)
	}
}

// TestRateLimitPerSession: a session's rate_limit setting limits its requests only; another session keeps the
// server's (none), and "none" lifts it.
func TestRateLimitPerSession(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{})
	put := func(name, body string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPut, srv.URL+"/__mock/sessions/"+name+"/settings", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := srv.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("PUT %s settings %s: %d", name, body, resp.StatusCode)
		}
	}
	submitIn := func(session string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/__session/"+session+lumamock.PathGenerations, strings.NewReader(`{"user_prompt":"p"}`))
		req.Header.Set("Authorization", "Bearer k")
		req.Header.Set("Content-Type", "application/json")
		resp, err := srv.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	put("limited", `{"rate_limit":"1/m"}`)
	if a, b := submitIn("limited"), submitIn("limited"); a != http.StatusOK || b != http.StatusTooManyRequests {
		t.Errorf("session limited: %d then %d, want 200 then 429", a, b)
	}
	for range 3 {
		if got := submitIn("free"); got != http.StatusOK {
			t.Errorf("another session: %d, want 200", got)
		}
	}
	put("limited", `{"rate_limit":"none"}`)
	if got := submitIn("limited"); got != http.StatusOK {
		t.Errorf("after rate_limit none: %d, want 200", got)
	}
}

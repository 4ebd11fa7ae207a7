package mock_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

// preferCall sends method to path with Prefer header prefer (and a valid body for a POST), and returns the
// status, Preference-Applied and body.
func preferCall(t *testing.T, srv *mocktest.Server, method, path, prefer string) (int, string, string) {
	t.Helper()
	var body *strings.Reader
	if method == http.MethodPost {
		body = strings.NewReader(`{"user_prompt":"p"}`)
	} else {
		body = strings.NewReader("")
	}
	req, err := http.NewRequest(method, srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer k")
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Prefer", prefer)
	resp, err := srv.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	_, _ = io.Copy(&sb, resp.Body)
	return resp.StatusCode, resp.Header.Get("Preference-Applied"), sb.String()
}

// TestPreferenceAppliedEchoesOnlyWhatTheOperationHonours: GET /luma/generations/{id} with Prefer:
// outcome=failed, late=1s, reorder answered Preference-Applied: outcome=failed, late=1s, reorder, though these
// shape a task being created and do nothing on a GET. The README echoes only honoured preferences; the
// request journal's prefer_applied says the same.
func TestPreferenceAppliedEchoesOnlyWhatTheOperationHonours(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{})
	_, created := submit(t, srv, map[string]any{"user_prompt": "p"}, "")
	get := lumamock.PathGenerations + "/" + taskID(t, created)
	tests := []struct {
		method, path, prefer string
		status               int
		want                 string // Preference-Applied
	}{
		{http.MethodGet, get, "outcome=failed, late=1s, reorder", 200, ""},
		{http.MethodGet, get, "pending=0s, processing=1s, duplicate, drop=completed", 200, ""},
		{http.MethodGet, get, "outcome=failed, schema=luma, late=1s, delay=1ms, reorder", 200, "schema=luma, delay=1ms"},
		{http.MethodGet, get, "code=429, pending=0s", 429, "code=429"},
		{http.MethodGet, get, "code=200, duplicate=2", 200, "code=200"},
		{http.MethodPost, lumamock.PathGenerations, "outcome=failed, late=1s, reorder, schema=luma", 200, "outcome=failed, late=1s, reorder, schema=luma"},
		{http.MethodPost, lumamock.PathGenerations, "pending=0s, duplicate, code=200", 200, "pending=0s, duplicate, code=200"},
		// Refused (a task_id over 128 characters): the error answer is still shaped and delayed as asked.
		{http.MethodGet, lumamock.PathGenerations + "/" + strings.Repeat("x", 129), "schema=luma, delay=1ms, code=429, outcome=failed", 400, "schema=luma, delay=1ms"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.prefer, func(t *testing.T) {
			status, applied, body := preferCall(t, srv, tt.method, tt.path, tt.prefer)
			if status != tt.status || applied != tt.want {
				t.Fatalf("status %d, Preference-Applied %q; want %d, %q\n%s", status, applied, tt.status, tt.want, body)
			}
			recs := srv.Mock.Requests()
			got := recs[len(recs)-1].PreferApplied
			var want []string
			if tt.want != "" {
				want = strings.Split(tt.want, ", ")
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("journal prefer_applied (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPreferRepeatedFirstCounts: a preference given again, in the same Prefer header or another, is ignored
// after its first occurrence, whatever its value (RFC 7240 §2), on either operation: the request is never
// refused for it, and the first value is the one honoured.
func TestPreferRepeatedFirstCounts(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{})
	_, created := submit(t, srv, map[string]any{"user_prompt": "p"}, "")
	get := lumamock.PathGenerations + "/" + taskID(t, created)
	tests := []struct {
		prefer string
		status int // what the first value makes of the answer (0: the operation's own success)
	}{
		{"code=429, code=foo", http.StatusTooManyRequests},
		{"code=429, code=503", http.StatusTooManyRequests},
		{"schema=luma, schema=raw", 0},
		{"delay=1ms, delay=soon", 0},
		{"outcome=failed, outcome=done", 0},
		{"reorder, reorder=maybe", 0},
		{"late=1s, late=soon", 0},
		{"drop=processing, drop=everything", 0},
		{"wait=1, wait=x", 0}, // unknown preferences are ignored, repeated or not
	}
	for _, path := range []string{lumamock.PathGenerations, get} {
		method := http.MethodPost
		if path == get {
			method = http.MethodGet
		}
		for _, tt := range tests {
			for _, split := range []bool{false, true} {
				prefer := tt.prefer
				name := method + " " + prefer
				if split { // the same, in two Prefer headers
					name += " (two headers)"
				}
				t.Run(name, func(t *testing.T) {
					req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(map[bool]string{true: `{"user_prompt":"p"}`}[method == http.MethodPost]))
					if err != nil {
						t.Fatal(err)
					}
					req.Header.Set("Authorization", "Bearer k")
					if method == http.MethodPost {
						req.Header.Set("Content-Type", "application/json")
					}
					if split {
						first, second, _ := strings.Cut(prefer, ", ")
						req.Header.Add("Prefer", first)
						req.Header.Add("Prefer", second)
					} else {
						req.Header.Set("Prefer", prefer)
					}
					resp, err := srv.Client.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					defer resp.Body.Close()
					var sb strings.Builder
					_, _ = io.Copy(&sb, resp.Body)
					want := tt.status
					if want == 0 {
						want = http.StatusOK
					}
					if resp.StatusCode != want {
						t.Fatalf("status %d, want %d (the first value counts, the repeat is ignored): %s", resp.StatusCode, want, sb.String())
					}
				})
			}
		}
	}
}

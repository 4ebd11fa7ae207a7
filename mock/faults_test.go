package mock_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

// rawCall sends one API request on a fresh connection (so that no retry on a reused one hides a fault) and
// returns the status, what of the body could be read, and the error of the request or of reading its body.
func rawCall(ctx context.Context, base, method, path, prefer, body string) (status int, header http.Header, read []byte, err error) {
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	defer client.CloseIdleConnections()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer k")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if prefer != "" {
		req.Header.Set("Prefer", prefer)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	read, err = io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, read, err
}

// goSees is what Go's net/http reports of each connection fault: the check of the error, and its words.
var goSees = map[string]struct {
	answered bool // a status and headers arrive before the error
	is       func(error) bool
	words    string
}{
	mock.FaultReset:     {false, func(err error) bool { return errors.Is(err, syscall.ECONNRESET) }, "connection reset by peer"},
	mock.FaultEmpty:     {false, func(err error) bool { return errors.Is(err, io.EOF) }, "EOF"},
	mock.FaultTruncated: {true, func(err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) }, "unexpected EOF"},
	mock.FaultMalformedChunk: {true, func(err error) bool {
		return err != nil && strings.Contains(err.Error(), "invalid byte in chunk length")
	}, "invalid byte in chunk length"},
	mock.FaultGarbage: {false, func(err error) bool { return err != nil && strings.Contains(err.Error(), "malformed HTTP response") }, "malformed HTTP response"},
	mock.FaultStall:   {true, func(err error) bool { return errors.Is(err, context.DeadlineExceeded) }, "context deadline exceeded"},
}

// TestConnectionFaultsPerRequest: each Prefer fault=NAME, on a submission and on a poll, breaks the answer as
// Go's client reports it; the submission's task exists all the same, and the journal names the fault.
func TestConnectionFaultsPerRequest(t *testing.T) {
	for _, fault := range mock.ConnectionFaults() {
		t.Run(fault, func(t *testing.T) {
			srv := mocktest.NewServer(t, mock.Options{StallLimit: time.Hour})
			want := goSees[fault]
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond) // what the stall waits for
			defer cancel()
			status, _, read, err := rawCall(ctx, srv.URL, http.MethodPost, lumamock.PathGenerations, "fault="+fault, `{"user_prompt":"p"}`)
			if !want.is(err) {
				t.Fatalf("POST: error %v, want %s", err, want.words)
			}
			if got := status != 0; got != want.answered {
				t.Errorf("POST: status %d, want one: %v", status, want.answered)
			}
			tasks := srv.Mock.Tasks()
			if len(tasks) != 1 {
				t.Fatalf("%d tasks after a faulted submission, want the one it created", len(tasks))
			}
			if want.answered && len(read) > 0 && !strings.HasPrefix(string(read), `{"code":200`) {
				t.Errorf("POST: read %q, want the start of the answer", read)
			}
			recs := srv.Mock.Requests()
			if rec := recs[len(recs)-1]; rec.Fault != fault || rec.Status != http.StatusOK || rec.TaskID != tasks[0].ID || !rec.Valid {
				t.Errorf("journal: fault %q, status %d, task %q, valid %v; want %s, 200, %s, true", rec.Fault, rec.Status, rec.TaskID, rec.Valid, fault, tasks[0].ID)
			}

			ctx, cancel = context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			_, _, _, err = rawCall(ctx, srv.URL, http.MethodGet, lumamock.PathGenerations+"/"+tasks[0].ID, "fault="+fault, "")
			if !want.is(err) {
				t.Errorf("GET: error %v, want %s", err, want.words)
			}
			recs = srv.Mock.Requests()
			if rec := recs[len(recs)-1]; rec.Fault != fault || rec.Method != http.MethodGet {
				t.Errorf("journal: %s with fault %q, want GET with %s", rec.Method, rec.Fault, fault)
			}
		})
	}
}

// TestFaultOnARefusal: a refused request's answer is broken too, as asked, and it creates nothing.
func TestFaultOnARefusal(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{APIKeys: []string{"other"}})
	status, h, read, err := rawCall(context.Background(), srv.URL, http.MethodPost, lumamock.PathGenerations, "fault=truncated", `{"user_prompt":"p"}`)
	if status != http.StatusUnauthorized || !errors.Is(err, io.ErrUnexpectedEOF) || len(read) == 0 {
		t.Errorf("status %d, read %q, error %v; want 401, half the body, unexpected EOF", status, read, err)
	}
	if got := h.Get("Preference-Applied"); got != "fault=truncated" {
		t.Errorf("Preference-Applied %q, want fault=truncated", got)
	}
	if n := len(srv.Mock.Tasks()); n != 0 {
		t.Errorf("%d tasks, want none", n)
	}
}

// TestBadFaultIsRefused: an unknown fault is a 400 naming the Prefer header's fault.
func TestBadFaultIsRefused(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{})
	status, _, read, err := rawCall(context.Background(), srv.URL, http.MethodPost, lumamock.PathGenerations, "fault=explode", `{"user_prompt":"p"}`)
	if err != nil || status != http.StatusBadRequest || !strings.Contains(string(read), "Prefer fault") || !strings.Contains(string(read), "reset") {
		t.Errorf("status %d, body %s, error %v; want a 400 naming Prefer fault and the faults", status, read, err)
	}
}

// TestAPIFaultShares: with shares of a connection fault and a status fault, about those shares of 1,000
// requests fail that way (seeded, so the counts repeat); the status fault is the documented error with
// Retry-After; the admin API and /healthz are never faulted; Prefer fault=none spares a request.
func TestAPIFaultShares(t *testing.T) {
	shares := []mock.APIFault{{Fault: mock.FaultReset, Percent: 30}, {Fault: "503", Percent: 20}}
	srv := mocktest.NewServer(t, mock.Options{APIFaults: shares})
	counts := map[string]int{}
	for range 1000 {
		status, h, read, err := rawCall(context.Background(), srv.URL, http.MethodGet, lumamock.PathGenerations+"/nope", "", "")
		switch {
		case errors.Is(err, syscall.ECONNRESET):
			counts["reset"]++
		case err != nil:
			t.Fatalf("unexpected error %v", err)
		case status == http.StatusServiceUnavailable:
			counts["503"]++
			if h.Get("Retry-After") == "" {
				t.Fatalf("503 without Retry-After")
			}
			var e lumamock.TaskEnvelope
			if json.Unmarshal(read, &e) != nil || e.Code != 503 {
				t.Fatalf("503 body %s is not the documented error", read)
			}
		case status == http.StatusNotFound:
			counts["none"]++
		default:
			t.Fatalf("status %d", status)
		}
		for _, path := range []string{"/healthz", mock.AdminPrefix + "/tasks"} {
			if status, _, _, err := rawCall(context.Background(), srv.URL, http.MethodGet, path, "", ""); err != nil || status != http.StatusOK {
				t.Fatalf("GET %s: %d, %v; want 200, never a fault", path, status, err)
			}
		}
	}
	t.Logf("1,000 requests: %v", counts)
	for name, want := range map[string]float64{"reset": 300, "503": 200, "none": 500} {
		if got := float64(counts[name]); math.Abs(got-want) > 0.1*want {
			t.Errorf("%s: %v of 1,000, want %v ±10%%", name, got, want)
		}
	}
	faulted := map[string]int{}
	for _, rec := range srv.Mock.Requests() {
		faulted[rec.Fault]++
	}
	if faulted["reset"] != counts["reset"] || faulted["503"] != counts["503"] {
		t.Errorf("journal says %v, clients saw %v", faulted, counts)
	}
	for range 50 {
		status, _, _, err := rawCall(context.Background(), srv.URL, http.MethodGet, lumamock.PathGenerations+"/nope", "fault=none", "")
		if err != nil || status != http.StatusNotFound {
			t.Fatalf("Prefer fault=none: %d, %v; want the 404, unfaulted", status, err)
		}
	}
}

// TestStatusFaultCreatesNothing: a submission answered by a status fault is the documented error with
// Retry-After, creates no task, and stays a valid request in the journal; a Prefer code decides for itself.
func TestStatusFaultCreatesNothing(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{APIFaults: []mock.APIFault{{Fault: "503", Percent: 100}}})
	status, h, read, err := rawCall(context.Background(), srv.URL, http.MethodPost, lumamock.PathGenerations, "", `{"user_prompt":"p"}`)
	if err != nil || status != http.StatusServiceUnavailable || h.Get("Retry-After") != "1" || !strings.Contains(string(read), `"code":503`) {
		t.Errorf("%d %v %s (Retry-After %q); want the documented 503 with Retry-After", status, err, read, h.Get("Retry-After"))
	}
	if n := len(srv.Mock.Tasks()); n != 0 {
		t.Errorf("%d tasks, want none", n)
	}
	if rec := srv.Mock.Requests()[0]; rec.Fault != "503" || rec.Status != 503 || !rec.Valid {
		t.Errorf("journal: fault %q, status %d, valid %v; want 503, 503, true", rec.Fault, rec.Status, rec.Valid)
	}
	status, _, _, err = rawCall(context.Background(), srv.URL, http.MethodPost, lumamock.PathGenerations, "code=429", `{"user_prompt":"p"}`)
	if err != nil || status != http.StatusTooManyRequests {
		t.Errorf("Prefer code=429: %d, %v; want 429", status, err)
	}
	status, _, _, err = rawCall(context.Background(), srv.URL, http.MethodPost, lumamock.PathGenerations, "", `{"prompt":"p"}`)
	if err != nil || status != http.StatusBadRequest {
		t.Errorf("a bad body: %d, %v; want its 400, not the status fault", status, err)
	}
}

// TestAPIFaultsAreChecked: a fault the mock does not know, a status no operation documents, a status that is
// not an error, or shares adding to more than 100% stop New with an error naming it.
func TestAPIFaultsAreChecked(t *testing.T) {
	tests := []struct {
		name   string
		shares []mock.APIFault
		want   string
	}{
		{"unknown fault", []mock.APIFault{{Fault: "explode", Percent: 1}}, `unknown fault "explode"`},
		{"undocumented status", []mock.APIFault{{Fault: "418", Percent: 1}}, "no operation of the document answers 418"},
		{"not an error", []mock.APIFault{{Fault: "200", Percent: 1}}, "not an error status"},
		{"zero share", []mock.APIFault{{Fault: "reset", Percent: 0}}, "at most 100"},
		{"over 100%", []mock.APIFault{{Fault: "reset", Percent: 60}, {Fault: "503", Percent: 50}}, "add up to 110%"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mock.New(mock.Options{APIFaults: tt.shares})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "APIFaults") {
				t.Errorf("New: %v, want an error about APIFaults saying %q", err, tt.want)
			}
		})
	}
}

func TestParseAPIFault(t *testing.T) {
	tests := []struct {
		text    string
		want    mock.APIFault
		wantErr string
	}{
		{text: "reset:2%", want: mock.APIFault{Fault: "reset", Percent: 2}},
		{text: "malformed-chunk:0.5", want: mock.APIFault{Fault: "malformed-chunk", Percent: 0.5}},
		{text: "503:5%", want: mock.APIFault{Fault: "503", Percent: 5}},
		{text: " stall : 100% ", want: mock.APIFault{Fault: "stall", Percent: 100}},
		{text: "reset", wantErr: "not NAME:PERCENT"},
		{text: "reset:", wantErr: "not a percentage"},
		{text: "reset:101%", wantErr: "not a percentage"},
		{text: "reset:0%", wantErr: "not a percentage"},
		{text: "reset:NaN", wantErr: "not a percentage"},
		{text: "reset:-1", wantErr: "not a percentage"},
		{text: "boom:1%", wantErr: "unknown fault"},
		{text: "302:1%", wantErr: "not an error status"},
		{text: "5033:1%", wantErr: "unknown fault"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got, err := mock.ParseAPIFault(tt.text)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("ParseAPIFault(%q) = %v, %v; want an error saying %q", tt.text, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseAPIFault(%q) = %+v, %v; want %+v", tt.text, got, err, tt.want)
			}
			if again, err := mock.ParseAPIFault(got.String()); err != nil || again != got {
				t.Errorf("ParseAPIFault(%q) = %+v, %v; want %+v", got.String(), again, err, got)
			}
		})
	}
}

// TestAPIFaultsPerSession: a session's fault_api setting breaks its answers only.
func TestAPIFaultsPerSession(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{})
	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/__mock/sessions/flaky/settings", strings.NewReader(`{"fault_api":["503:100%"]}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"fault_api":["503:100%"]`) {
		t.Fatalf("PUT settings: %d %s", resp.StatusCode, body)
	}
	for session, want := range map[string]int{"flaky": http.StatusServiceUnavailable, "calm": http.StatusNotFound, "default": http.StatusNotFound} {
		status, _, _, err := rawCall(context.Background(), srv.URL, http.MethodGet, "/__session/"+session+lumamock.PathGenerations+"/nope", "", "")
		if err != nil || status != want {
			t.Errorf("session %s: %d, %v; want %d", session, status, err, want)
		}
	}
}

package mock_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

// TestCredentialsNeverShow sends credentials everywhere a client might put them and checks that none comes back
// in an answer, the request journal, the task list or the callback journal.
func TestCredentialsNeverShow(t *testing.T) {
	const key = "sk-live-SECRET-0123456789"
	srv := mocktest.NewServer(t, mock.Options{APIKeys: []string{key}})
	hook := mocktest.NewHookReceiver(t)
	hookWithPassword := strings.Replace(hook.URL, "http://", "http://user:hook-password-42@", 1) + "/cb"

	var answers []string
	send := func(auth, query, extraHeader, body string) int {
		req, err := http.NewRequest(http.MethodPost, srv.URL+lumamock.PathGenerations+query, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", auth)
		req.Header.Set("X-Custom", extraHeader)
		resp, err := srv.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		answers = append(answers, string(data))
		return resp.StatusCode
	}
	// The key without "Bearer ": a common mistake, refused without echoing the key.
	if status := send(key, "", "", `{"user_prompt": "wind"}`); status != http.StatusUnauthorized {
		t.Errorf("key without Bearer: status %d, want 401", status)
	}
	// The key in the query, in another header and in the body; a hook with a password.
	body, _ := json.Marshal(map[string]any{"user_prompt": "note " + key, "notify_hook": hookWithPassword})
	if status := send("Bearer "+key, "?api_key="+key+"&token=abc&keep=1", "copy of "+key, string(body)); status != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", status, answers[len(answers)-1])
	}
	srv.Advance(mock.DefaultPending + mock.DefaultProcessing)

	var everything bytes.Buffer
	for _, a := range answers {
		everything.WriteString(a)
	}
	for _, v := range []any{srv.Mock.Requests(), srv.Mock.Tasks(), srv.Mock.Callbacks()} {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		everything.Write(data)
	}
	for _, secret := range []string{key, "hook-password-42", "token=abc"} {
		if strings.Contains(everything.String(), secret) {
			t.Errorf("%q shows in answers or journals:\n%s", secret, everything.String())
		}
	}
	if !strings.Contains(everything.String(), "keep=1") {
		t.Error("the query's ordinary parameters were lost from the journal")
	}
	if len(hook.Deliveries()) == 0 {
		t.Error("no callback reached the hook: the password must only be hidden from journals, not from delivery")
	}
}

// TestRepeatedPreferenceFirstCounts: RFC 7240 §2 — only the first of a repeated preference counts, and later
// ones are ignored without an error, even a malformed one.
func TestRepeatedPreferenceFirstCounts(t *testing.T) {
	if p, err := mock.ParsePrefer(http.Header{"Prefer": {"code=429, code=foo"}}); err != nil || p.Code != 429 {
		t.Errorf("code=429, code=foo: code %d, error %v; want 429 and no error", p.Code, err)
	}
	p, err := mock.ParsePrefer(http.Header{"Prefer": {"code=429, code=500", "schema=luma", "schema=envelope"}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Code != 429 || p.Schema != lumamock.ShapeLuma || strings.Join(p.Applied, ", ") != "code=429, schema=luma" {
		t.Errorf("got code %d, schema %s, applied %q; want the first of each", p.Code, p.Schema, p.Applied)
	}
}

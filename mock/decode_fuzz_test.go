package mock_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
)

// FuzzCreateGenerationBody checks request decoding against an oracle: for any body, POST /luma/generations
// answers 200 exactly when the body is one UTF-8 JSON value that the document's GenerationRequest schema accepts,
// 400 otherwise — never anything else, never a panic.
func FuzzCreateGenerationBody(f *testing.F) {
	for _, s := range []string{
		sourceExample, `{"user_prompt":"x"}`, `{"user_prompt":""}`, `{}`, `[]`, `null`, `"x"`, `{"user_prompt":"x"} {}`,
		`{"user_prompt":"x","image_url":"data:image/png;base64,AAAA"}`, `{"user_prompt":"x","notify_hook":"http://a"}`,
		`{"user_prompt":"x","resolution":"1080p","duration":"5s","model_name":"ray-v1","loop":true}`,
		`{"user_prompt":1e400}`, `{"user_prompt":"\ud800"}`, "{\"user_prompt\":\"x\"\x00}", `{"user_prompt":"x","user_prompt":5}`,
	} {
		f.Add(s)
	}
	srv, err := mock.New(mock.Options{Seed: 1})
	if err != nil {
		f.Fatal(err)
	}
	defer srv.Close()
	schema := lumamock.MustLoad().Components.Schemas["GenerationRequest"].Value
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, lumamock.PathGenerations, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer k")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)

		want := http.StatusBadRequest
		var v any
		if json.Valid([]byte(body)) && utf8.ValidString(body) && json.Unmarshal([]byte(body), &v) == nil && schema.VisitJSON(v) == nil {
			want = http.StatusOK
		}
		if rec.Code != want {
			t.Fatalf("body %q: status %d, want %d\n%s", body, rec.Code, want, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("body %q: answer is not JSON: %q", body, rec.Body)
		}
	})
}

// FuzzPreferHeader sends a valid submission with any Prefer header through the mock: the answer is a 400 naming
// the Prefer header exactly when ParsePrefer refuses it; otherwise the status it prefers (a documented one, or
// a 400 saying the operation does not document it), or 200 — never anything else, never a panic. Headers asking
// for a connection fault or a delay are left out: a recorder cannot be hijacked, and a delay would wait.
func FuzzPreferHeader(f *testing.F) {
	for _, s := range []string{"", "code=429", "code=418", "schema=luma", "fault=reset", "fault=none, code=503", "delay=0",
		`delay="lognormal(median=1ms,sigma=1)"`, "pending=0s, outcome=failed", "fault=explode", "code=2OO", `a="\"`} {
		f.Add(s)
	}
	srv, err := mock.New(mock.Options{Seed: 1})
	if err != nil {
		f.Fatal(err)
	}
	defer srv.Close()
	documented := map[int]bool{}
	for _, code := range lumamock.DocumentedStatuses(lumamock.MustLoad().Paths.Find(lumamock.PathGenerations).Post) {
		if n, err := strconv.Atoi(code); err == nil {
			documented[n] = true
		}
	}
	f.Fuzz(func(t *testing.T, prefer string) {
		p, perr := mock.ParsePrefer(http.Header{"Prefer": {prefer}})
		if perr == nil && (p.Fault != "" && p.Fault != mock.FaultNone || p.Delay != nil && !p.Delay.IsZero()) {
			return
		}
		req := httptest.NewRequest(http.MethodPost, lumamock.PathGenerations, strings.NewReader(`{"user_prompt":"x"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer k")
		req.Header.Set("Prefer", prefer)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		want := http.StatusOK
		switch {
		case perr != nil:
			want = http.StatusBadRequest
			if !strings.Contains(rec.Body.String(), "Prefer") {
				t.Fatalf("Prefer %q: the 400 does not name the header: %s", prefer, rec.Body)
			}
		case p.Code != 0 && p.Code != http.StatusOK && documented[p.Code]:
			want = p.Code
		case p.Code != 0 && p.Code != http.StatusOK:
			want = http.StatusBadRequest
		}
		if rec.Code != want {
			t.Fatalf("Prefer %q: status %d, want %d\n%s", prefer, rec.Code, want, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("Prefer %q: answer is not JSON: %q", prefer, rec.Body)
		}
	})
}

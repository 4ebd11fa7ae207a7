package mock_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
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

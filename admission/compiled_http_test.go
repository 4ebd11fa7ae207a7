package admission_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
)

// TestHugeMaxLengthJudgedAsKinJudgesIt: kin-openapi compares a string's length with int64(maxLength), so a
// maxLength above the largest int64 refuses every string. A document saying so (serve --spec takes any) must be
// judged the same with or without the compiled schemas: the mock refuses the body, naming the field.
func TestHugeMaxLengthJudgedAsKinJudgesIt(t *testing.T) {
	const at = "        image_url:\n          type: string\n"
	text := string(lumamock.Document)
	if !strings.Contains(text, at) {
		t.Fatal("openapi.yaml no longer declares image_url as the test expects")
	}
	text = strings.Replace(text, at, at+"          maxLength: 9223372036854775808\n", 1)
	doc, err := lumamock.LoadDocument(context.Background(), []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	m, err := mock.New(mock.Options{Document: doc, DocumentSource: []byte(text), APIKeys: []string{"k"}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(m)
	t.Cleanup(func() { srv.Close(); m.Close() })

	body := `{"user_prompt": "p", "image_url": "https://x.test/a.png"}`
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+lumamock.PathGenerations, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer k")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(data), "image_url") {
		t.Errorf("POST %s: %d %s; want 400 naming image_url, as kin-openapi judges maxLength 9223372036854775808", body, resp.StatusCode, data)
	}
}

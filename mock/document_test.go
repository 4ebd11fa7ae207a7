package mock_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

// TestServedDocument fetches GET /__mock/openapi.yaml and /__mock/openapi.json over HTTP, loads each answer
// back with kin-openapi, and holds it to the document the mock enforces: the embedded one, a document given
// with its source text, a source text alone, or a parsed document alone.
func TestServedDocument(t *testing.T) {
	ctx := context.Background()
	// Another document: a new title tells it from the embedded one.
	other := bytes.Replace(lumamock.Document, []byte("title: Luma video generation proxy API"), []byte("title: Another API"), 1)
	if bytes.Equal(other, lumamock.Document) {
		t.Fatal("the test's edit of openapi.yaml matched nothing")
	}
	otherDoc, err := lumamock.LoadDocument(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	otherJSON, err := json.Marshal(otherDoc)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		opts     mock.Options
		enforced []byte // the document the mock enforces, as loaded from this text
		wantYAML []byte // the exact bytes of openapi.yaml; nil: any text that loads as the enforced document
	}{
		{"embedded", mock.Options{}, lumamock.Document, lumamock.Document},
		{"document and its source", mock.Options{Document: otherDoc, DocumentSource: other}, other, other},
		{"source alone", mock.Options{DocumentSource: other}, other, other},
		{"JSON source", mock.Options{DocumentSource: otherJSON}, other, otherJSON},
		{"parsed document alone", mock.Options{Document: otherDoc}, other, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := mocktest.NewServer(t, tt.opts)
			want, err := lumamock.LoadDocument(ctx, tt.enforced)
			if err != nil {
				t.Fatal(err)
			}
			yaml := fetchDocument(t, srv, "/__mock/openapi.yaml", "application/yaml")
			if tt.wantYAML != nil && !bytes.Equal(yaml, tt.wantYAML) {
				t.Errorf("openapi.yaml is not the document's text verbatim (%d bytes, want %d)", len(yaml), len(tt.wantYAML))
			}
			sameDocument(t, "openapi.yaml", yaml, want)
			sameDocument(t, "openapi.json", fetchDocument(t, srv, "/__mock/openapi.json", "application/json"), want)

		})
	}
}

func TestServedDocumentMethods(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{})
	for _, path := range []string{"/__mock/openapi.yaml", "/__mock/openapi.json"} {
		resp, err := srv.Client.Post(srv.URL+path, "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") == "" {
			t.Errorf("POST %s: %d, Allow %q; want 405 with Allow", path, resp.StatusCode, resp.Header.Get("Allow"))
		}
	}
}

func TestNewRefusesAnInvalidDocumentSource(t *testing.T) {
	_, err := mock.New(mock.Options{DocumentSource: []byte("openapi: 3.0.3\ninfo: {}\n")})
	if err == nil {
		t.Fatal("New accepted a document without paths or a title")
	}
}

func fetchDocument(t *testing.T, srv *mocktest.Server, path, contentType string) []byte {
	t.Helper()
	resp, err := srv.Client.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	if got := resp.Header.Get("Content-Type"); got != contentType {
		t.Errorf("GET %s: Content-Type %q, want %q", path, got, contentType)
	}
	return body
}

// sameDocument loads served with kin-openapi and compares it with want, both as kin-openapi marshals them.
func sameDocument(t *testing.T, name string, served []byte, want *openapi3.T) {
	t.Helper()
	got, err := lumamock.LoadDocument(context.Background(), served)
	if err != nil {
		t.Fatalf("%s does not load: %v", name, err)
	}
	if diff := cmp.Diff(asJSON(t, want), asJSON(t, got)); diff != "" {
		t.Errorf("%s differs from the enforced document (-enforced +served):\n%s", name, diff)
	}
}

func asJSON(t *testing.T, doc *openapi3.T) any {
	t.Helper()
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

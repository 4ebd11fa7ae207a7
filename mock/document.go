package mock

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/internal/adminapi"
)

// Media types of the document endpoints.
const (
	contentTypeYAML = "application/yaml" // RFC 9512
	contentTypeJSON = "application/json"
)

// servedDocument is the document in force as the admin API serves it: GET /__mock/openapi.yaml and
// GET /__mock/openapi.json.
type servedDocument struct {
	// source is the text the document was loaded from, served verbatim as YAML; nil when only the parsed
	// document is known, and then the JSON is served there too (JSON is YAML).
	source []byte
	json   func() ([]byte, error)
}

// newServedDocument describes the document s enforces: the embedded openapi.yaml when opts.Document was nil,
// else opts.Document with opts.DocumentSource.
func newServedDocument(s *Server, opts Options) *servedDocument {
	source := opts.DocumentSource
	if opts.Document == nil && source == nil {
		source = lumamock.Document
	}
	return &servedDocument{
		source: source,
		json: sync.OnceValues(func() ([]byte, error) {
			data, err := json.Marshal(s.doc)
			if err != nil {
				return nil, fmt.Errorf("mock: marshal openapi document: %w", err)
			}
			return data, nil
		}),
	}
}

// serveYAML answers the document as YAML: the bytes it was loaded from when known.
func (d *servedDocument) serveYAML(w http.ResponseWriter, r *http.Request) {
	if d.source != nil {
		writeDocument(w, contentTypeYAML, d.source)
		return
	}
	d.serveAs(w, contentTypeYAML)
}

// serveJSON answers the document as JSON, marshalled from the parsed document.
func (d *servedDocument) serveJSON(w http.ResponseWriter, r *http.Request) {
	d.serveAs(w, contentTypeJSON)
}

func (d *servedDocument) serveAs(w http.ResponseWriter, contentType string) {
	data, err := d.json()
	if err != nil {
		adminapi.WriteError(w, fmt.Errorf("mock: %w", err))
		return
	}
	writeDocument(w, contentType, data)
}

func writeDocument(w http.ResponseWriter, contentType string, data []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(data)))
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
}

package adminapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/admission"
)

// maxAdminBody bounds the body of an admin request (settings, clock moves): a few hundred bytes do.
const maxAdminBody = 64 << 10

// validators holds, per kind of server, the judge of its admin requests: admission over the operations of
// admin.yaml that kind has, so that one it has not is a 404 and a method a path has not a 405 with its Allow.
var validators sync.Map // kind -> func() (*admission.Validator, error)

func validator(kind string) (*admission.Validator, error) {
	f, _ := validators.LoadOrStore(kind, sync.OnceValues(func() (*admission.Validator, error) {
		doc, err := lumamock.LoadDocument(context.Background(), lumamock.AdminDocument) // a copy of its own, to cut
		if err != nil {
			return nil, fmt.Errorf("adminapi: admin.yaml: %w", err)
		}
		keep(doc, kind)
		if len(doc.Paths.Map()) == 0 {
			return nil, fmt.Errorf("adminapi: admin.yaml has no operation for servers of kind %q", kind)
		}
		v, err := admission.New(admission.Options{Document: doc, MaxBody: maxAdminBody})
		if err != nil {
			return nil, fmt.Errorf("adminapi: %w", err)
		}
		return v, nil
	}))
	return f.(func() (*admission.Validator, error))()
}

// keep cuts from doc the operations whose x-lumamock-servers does not list kind, and the paths left empty.
func keep(doc *openapi3.T, kind string) {
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if !slices.Contains(Servers(op), kind) {
				item.SetOperation(method, nil)
			}
		}
		if len(item.Operations()) == 0 {
			doc.Paths.Delete(path)
		}
	}
}

// Servers lists the kinds of server that have op (its x-lumamock-servers).
func Servers(op *openapi3.Operation) []string {
	list, _ := op.Extensions["x-lumamock-servers"].([]any)
	out := make([]string, 0, len(list))
	for _, v := range list {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// served is admin.yaml as GET /__mock/admin.yaml and admin.json answer it: the whole document, whatever the
// server has.
type served struct {
	json []byte
}

var servedOnce = sync.OnceValues(func() (*served, error) {
	doc, err := lumamock.LoadAdmin()
	if err != nil {
		return nil, fmt.Errorf("adminapi: admin.yaml: %w", err)
	}
	data, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("adminapi: marshal admin.yaml: %w", err)
	}
	return &served{json: data}, nil
})

func servedDocument() (*served, error) { return servedOnce() }

func (d *served) serveYAML(w http.ResponseWriter) {
	writeDocument(w, "application/yaml", lumamock.AdminDocument)
}

func (d *served) serveJSON(w http.ResponseWriter) { writeDocument(w, "application/json", d.json) }

func writeDocument(w http.ResponseWriter, contentType string, data []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(data)))
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
}

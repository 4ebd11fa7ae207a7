// Package lumamock holds the contract of the Luma video-generation proxy API: the embedded OpenAPI document
// (openapi.yaml), its loader, and the Go types of the values the API exchanges. The mock, the contract checker
// and the proxy all read the document through this package.
package lumamock

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"regexp"
	"runtime/debug"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

// Document is the embedded openapi.yaml, the contract every part of lumamock reads.
//
//go:embed openapi.yaml
var Document []byte

// AdminDocument is the embedded admin.yaml: the admin API of lumamock's servers (the mock's /__mock/..., the
// proxy's and serve --replay's), judged and served as openapi.yaml is for the API.
//
//go:embed admin.yaml
var AdminDocument []byte

// DevVersion is the version of a build that says nothing better about itself: not stamped with -ldflags,
// and built without module or VCS information.
const DevVersion = "0.1.0-dev"

// Version is lumamock's version, reported by --version and in the User-Agent of callbacks and checks.
// Release builds set it with -ldflags "-X github.com/lumamock/lumamock.Version=1.2.3". When it is not stamped
// it is resolved once, at init, from the binary's build information: the module version of
// "go install github.com/lumamock/lumamock/cmd/lumamock@v1.2.3", or the VCS revision of a build from a
// checkout ("0.1.0-dev+d379317abcde", ".dirty" added for uncommitted changes).
var Version = DevVersion

func init() {
	info, ok := debug.ReadBuildInfo()
	Version = resolveVersion(Version, info, ok)
}

// resolveVersion returns stamped unless it is DevVersion. Then it returns, from info: the main module's
// version when it is a release (a tag), else DevVersion with the VCS revision as build metadata, else the
// module's pseudo-version, else DevVersion.
func resolveVersion(stamped string, info *debug.BuildInfo, ok bool) string {
	if stamped != DevVersion || !ok || info == nil {
		return stamped
	}
	module := info.Main.Version
	if module == "(devel)" {
		module = ""
	}
	if module != "" && !pseudoVersion.MatchString(module) {
		return strings.TrimPrefix(module, "v")
	}
	var revision string
	var dirty bool
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	switch {
	case revision != "":
		v := stamped + "+" + revision[:min(len(revision), 12)]
		if dirty {
			v += ".dirty"
		}
		return v
	case module != "":
		return strings.TrimPrefix(module, "v")
	}
	return stamped
}

// pseudoVersion matches the commit part of a Go pseudo-version (v0.0.0-20261126231914-d379317abcde).
var pseudoVersion = regexp.MustCompile(`[-.]\d{14}-[0-9a-f]{12}(\+|$)`)

// Paths and operation ids of the document that Go code routes on. A test checks each against openapi.yaml.
const (
	PathGenerations = "/luma/generations"
	PathGeneration  = "/luma/generations/{task_id}"
	OpCreate        = "createGeneration"
	OpGet           = "getGeneration"
	CallbackNotify  = "notify"
)

// LoadDocument parses and validates an OpenAPI document. It fails on a document that kin-openapi cannot load
// or that does not pass doc.Validate.
func LoadDocument(ctx context.Context, data []byte) (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	loader.Context = ctx
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("load openapi document: %w", err)
	}
	if err := doc.Validate(ctx); err != nil {
		return nil, fmt.Errorf("validate openapi document: %w", briefError{err})
	}
	return doc, nil
}

// briefError is a kin-openapi validation error that says what is wrong and where, without the dump of the
// schema and the value that kin-openapi appends (hundreds of lines for a large schema). Unwrap gives the
// original, details included.
type briefError struct{ err error }

func (e briefError) Error() string {
	msg := e.err.Error()
	if i := strings.Index(msg, "\nSchema:\n"); i >= 0 {
		msg = msg[:i]
	}
	return msg
}

func (e briefError) Unwrap() error { return e.err }

// LoadFile loads and validates the OpenAPI document at path (the --spec override).
func LoadFile(ctx context.Context, path string) (*openapi3.T, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read openapi document: %w", err)
	}
	return LoadDocument(ctx, data)
}

var embedded = sync.OnceValues(func() (*openapi3.T, error) {
	return LoadDocument(context.Background(), Document)
})

var embeddedAdmin = sync.OnceValues(func() (*openapi3.T, error) {
	return LoadDocument(context.Background(), AdminDocument)
})

// LoadAdmin returns the embedded admin document (admin.yaml), parsed and validated once per process. The returned
// value is shared: callers must treat it as read-only.
func LoadAdmin() (*openapi3.T, error) {
	return embeddedAdmin()
}

// Load returns the embedded document, parsed and validated once per process. The returned value is shared:
// callers must treat it as read-only.
func Load() (*openapi3.T, error) {
	return embedded()
}

// MustLoad is Load for callers that cannot go on without the embedded document; it panics if it is invalid,
// which a test of this package rules out.
func MustLoad() *openapi3.T {
	doc, err := Load()
	if err != nil {
		panic(err)
	}
	return doc
}

// DocumentedStatuses lists, sorted, the statuses op documents ("200", "400", ...).
func DocumentedStatuses(op *openapi3.Operation) []string {
	var out []string
	for code := range op.Responses.Map() {
		out = append(out, code)
	}
	sort.Strings(out)
	return out
}

// CallbackContent is the request body content of the create operation's notify callback in doc: what a
// callback POSTs to notify_hook.
func CallbackContent(doc *openapi3.T) (openapi3.Content, error) {
	item := doc.Paths.Find(PathGenerations)
	if item == nil || item.Post == nil {
		return nil, fmt.Errorf("the document has no POST %s", PathGenerations)
	}
	cb := item.Post.Callbacks[CallbackNotify]
	if cb == nil || cb.Value == nil {
		return nil, fmt.Errorf("%s has no %q callback", OpCreate, CallbackNotify)
	}
	for _, path := range cb.Value.Map() {
		if path.Post != nil && path.Post.RequestBody != nil && path.Post.RequestBody.Value != nil {
			return path.Post.RequestBody.Value.Content, nil
		}
	}
	return nil, fmt.Errorf("the %q callback of %s has no request body", CallbackNotify, OpCreate)
}

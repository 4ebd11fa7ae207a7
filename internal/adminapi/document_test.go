package adminapi_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/internal/adminapi"
)

// TestEveryOperationNamesItsServers: each operation of admin.yaml says which servers have it, with known names,
// and each kind of server has at least one.
func TestEveryOperationNamesItsServers(t *testing.T) {
	doc, err := lumamock.LoadAdmin()
	if err != nil {
		t.Fatal(err)
	}
	kinds := []string{adminapi.Mock, adminapi.Proxy, adminapi.Replay}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			servers := adminapi.Servers(op)
			if len(servers) == 0 {
				t.Errorf("%s %s (%s) has no x-lumamock-servers", method, path, op.OperationID)
			}
			for _, s := range servers {
				if !slices.Contains(kinds, s) {
					t.Errorf("%s %s: x-lumamock-servers names %q, not one of %v", method, path, s, kinds)
				}
			}
		}
	}
	for _, kind := range kinds {
		if ops, err := adminapi.Operations(kind); err != nil || len(ops) == 0 {
			t.Errorf("%s: operations %v, %v", kind, ops, err)
		}
	}
}

// TestSessionNameRuleIsTheDocuments: CheckName and admin.yaml's SessionName pattern and lengths agree on every
// name of a table and on every short name over a small alphabet.
func TestSessionNameRuleIsTheDocuments(t *testing.T) {
	doc, err := lumamock.LoadAdmin()
	if err != nil {
		t.Fatal(err)
	}
	schema := doc.Components.Schemas["SessionName"].Value
	names := []string{"", "a", "default", "suite-1", "A.b_c-9", ".", "..", "...", ".a", "..a", "a.", "a..b", "-", "_",
		"a b", "a/b", "é", "a%41", strings.Repeat("x", 64), strings.Repeat("x", 65), "a\x00", "🙂"}
	alphabet := []string{"a", ".", "-", "/", " "}
	var gen func(prefix string, n int)
	gen = func(prefix string, n int) {
		names = append(names, prefix)
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			gen(prefix+c, n-1)
		}
	}
	gen("", 4)
	for _, name := range names {
		goOK := adminapi.CheckName(name) == nil
		docOK := schema.VisitJSON(name) == nil
		if goOK != docOK {
			t.Errorf("name %q: CheckName says %v, admin.yaml %v", name, goOK, docOK)
		}
	}
}

// TestEverySessionEndpointHasItsTwin: each mock endpoint under /__mock/ that acts on a session exists again under
// /__mock/sessions/{name}/, with the same methods, and the reverse.
func TestEverySessionEndpointHasItsTwin(t *testing.T) {
	doc, err := lumamock.LoadAdmin()
	if err != nil {
		t.Fatal(err)
	}
	serverWide := []string{"/healthz", "/__mock/ui", "/__mock/ui/{file}", "/__mock/admin.yaml", "/__mock/admin.json",
		"/__mock/openapi.yaml", "/__mock/openapi.json", "/__mock/sessions", "/__mock/sessions/{name}", "/__mock/replay",
		"/__mock/coverage", "/__mock/coverage/reset"} // the coverage is the server's, for now
	methods := func(path string) []string {
		item := doc.Paths.Find(path)
		if item == nil {
			return nil
		}
		var out []string
		for m := range item.Operations() {
			out = append(out, m)
		}
		slices.Sort(out)
		return out
	}
	for path := range doc.Paths.Map() {
		if slices.Contains(serverWide, path) {
			continue
		}
		var twin string
		if rest, ok := strings.CutPrefix(path, "/__mock/sessions/{name}/"); ok {
			twin = "/__mock/" + rest
		} else {
			twin = "/__mock/sessions/{name}/" + strings.TrimPrefix(path, "/__mock/")
		}
		if got, want := methods(twin), methods(path); !slices.Equal(got, want) {
			t.Errorf("%s has %v, its twin %s %v", path, want, twin, got)
		}
	}
}

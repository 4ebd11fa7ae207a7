package adminapi_test

import (
	"slices"
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

package admission

import (
	"context"
	"net/http"
	"testing"
)

// routeTargets are request targets around the document's paths: exact, encoded, with a trailing slash, in
// another case, with a query, and parameterised.
var routeTargets = []string{
	"/luma/generations", "/luma/generations/", "/luma/generation%73", "/luma/Generations", "/luma/generations?x=1",
	"/luma/generations/abc", "/luma/generations/a%2Fb", "/luma//generations", "/luma/generations/../generations",
	"/", "/luma", "/healthz", "/__mock/tasks",
}

// FuzzFindRouteAgreesWithTheRouter: findRoute's answer for any method and target is the router's.
func FuzzFindRouteAgreesWithTheRouter(f *testing.F) {
	for _, target := range routeTargets {
		for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodHead, http.MethodPut, "post"} {
			f.Add(method, target)
		}
	}
	v, err := New(Options{})
	if err != nil {
		f.Fatal(err)
	}
	if len(v.literal) == 0 {
		f.Fatal("no literal route: findRoute always asks the router and this test proves nothing")
	}
	f.Fuzz(func(t *testing.T, method, target string) {
		r, err := http.NewRequestWithContext(context.Background(), method, target, nil)
		if err != nil {
			return
		}
		got, gotParams, gotErr := v.findRoute(r)
		want, wantParams, wantErr := v.router.FindRoute(r)
		if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
			t.Fatalf("%s %s: findRoute error %v, the router's %v", method, target, gotErr, wantErr)
		}
		if gotErr != nil {
			return
		}
		if got.Path != want.Path || got.Method != want.Method || got.Operation != want.Operation || got.PathItem != want.PathItem || got.Spec != want.Spec {
			t.Fatalf("%s %s: findRoute routes to %s %s, the router to %s %s", method, target, got.Method, got.Path, want.Method, want.Path)
		}
		if len(gotParams) != len(wantParams) {
			t.Fatalf("%s %s: findRoute params %v, the router's %v", method, target, gotParams, wantParams)
		}
		for k, w := range wantParams {
			if gotParams[k] != w {
				t.Fatalf("%s %s: findRoute params %v, the router's %v", method, target, gotParams, wantParams)
			}
		}
	})
}

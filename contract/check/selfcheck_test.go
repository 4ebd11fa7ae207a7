package check_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/contract/check"
	"github.com/lumamock/lumamock/mock"
)

// startMock runs lumamock's own mock in-process, its tasks finishing within milliseconds.
func startMock(tb testing.TB, shape lumamock.Shape) string {
	tb.Helper()
	return startMockSeed(tb, shape, 1)
}

func startMockSeed(tb testing.TB, shape lumamock.Shape, seed int64) string {
	tb.Helper()
	srv, err := mock.New(mock.Options{Schema: shape, APIKeys: []string{testKey}, Seed: seed,
		Pending: 20 * time.Millisecond, Processing: 20 * time.Millisecond})
	if err != nil {
		tb.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	tb.Cleanup(func() { ts.Close(); srv.Close() })
	return ts.URL
}

// TestSelfCheck runs the whole suite, billable cases and callbacks included, against the mock in both shapes:
// the mock and the live API are judged by one contract, and the mock must pass it.
func TestSelfCheck(t *testing.T) {
	for _, shape := range []lumamock.Shape{lumamock.ShapeEnvelope, lumamock.ShapeLuma} {
		t.Run(string(shape), func(t *testing.T) {
			cfg := fastConfig(startMock(t, shape))
			cfg.HookListen = "127.0.0.1:0"
			rep := run(t, cfg)
			if got := rep.ExitCode(); got != check.ExitOK {
				t.Fatalf("exit code %d, want 0\n%s", got, dump(t, rep))
			}
			wantShape := string(shape) + " ×"
			for _, f := range rep.Facts {
				if (f.Name == "response shape" || f.Name == "error shape") && !startsWith(f.Value, wantShape) {
					t.Errorf("fact %s = %q, want the %s shape only", f.Name, f.Value, shape)
				}
			}
			for _, c := range rep.Cases {
				if c.Billable && (len(c.States) == 0 || !c.States[len(c.States)-1].Terminal() || c.Callbacks == 0) {
					t.Errorf("case %s: states %v, %d callbacks; want a terminal state and callbacks", c.Name, c.States, c.Callbacks)
				}
			}
			assertNoKey(t, rep)
			t.Log(dump(t, rep))
		})
	}
}

func startsWith(s, prefix string) bool { return len(s) >= len(prefix) && s[:len(prefix)] == prefix }

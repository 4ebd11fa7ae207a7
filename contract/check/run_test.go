package check_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/contract/check"
	"github.com/lumamock/lumamock/internal/fakeapi"
)

const testKey = "sk-test-7f3a9c-secret"

// fastConfig is a Config for loopback servers: short polls, no billable limit worth worrying about.
func fastConfig(url string) check.Config {
	return check.Config{
		BaseURL: url, APIKey: testKey, Billable: 10,
		Timeout: 2 * time.Second, Slow: time.Second,
		PollInterval: 5 * time.Millisecond, PollDeadline: time.Second,
		HookWait: 2 * time.Second,
	}
}

func startFake(tb testing.TB, opts fakeapi.Options) string {
	tb.Helper()
	fake := fakeapi.New(opts)
	srv := httptest.NewServer(fake)
	tb.Cleanup(func() { srv.Close(); fake.Close() })
	return srv.URL
}

func run(tb testing.TB, cfg check.Config) *check.Report {
	tb.Helper()
	rep, err := check.Run(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("Run: %v", err)
	}
	return rep
}

func dump(tb testing.TB, rep *check.Report) string {
	tb.Helper()
	var buf bytes.Buffer
	if err := rep.Write(&buf, "text"); err != nil {
		tb.Fatal(err)
	}
	return buf.String()
}

func TestCorrectFakeHasNoDrift(t *testing.T) {
	for _, shape := range []lumamock.Shape{lumamock.ShapeEnvelope, lumamock.ShapeLuma} {
		t.Run(string(shape), func(t *testing.T) {
			url := startFake(t, fakeapi.Options{Shape: shape, Key: testKey, Callbacks: true})
			cfg := fastConfig(url)
			cfg.HookListen = "127.0.0.1:0"
			rep := run(t, cfg)
			if got := rep.ExitCode(); got != check.ExitOK {
				t.Errorf("exit code %d, want 0\n%s", got, dump(t, rep))
			}
			t.Log(dump(t, rep))
		})
	}
}

// TestBaseURLWithPathPrefix checks an API mounted under a path: requests go to the prefix, checks use the
// document's paths.
func TestBaseURLWithPathPrefix(t *testing.T) {
	fake := fakeapi.New(fakeapi.Options{Key: testKey})
	srv := httptest.NewServer(http.StripPrefix("/v1", fake))
	t.Cleanup(func() { srv.Close(); fake.Close() })
	rep := run(t, fastConfig(srv.URL+"/v1/"))
	if got := rep.ExitCode(); got != check.ExitOK {
		t.Errorf("exit code %d, want 0\n%s", got, dump(t, rep))
	}
}

// TestHookListenerIsBounded posts to the listener from a hostile API: unknown paths and floods are refused.
func TestHookListenerIsBounded(t *testing.T) {
	var posted []int
	fake := fakeapi.New(fakeapi.Options{Key: testKey, Drift: func(a *fakeapi.Answer) {
		if a.Op != "create" || a.Status != http.StatusOK {
			return
		}
		var body struct {
			NotifyHook string `json:"notify_hook"`
		}
		_ = json.Unmarshal(a.RequestBody, &body)
		if body.NotifyHook == "" {
			return
		}
		for _, u := range []string{body.NotifyHook + "-other", body.NotifyHook} {
			for range 70 {
				resp, err := http.Post(u, "application/json", strings.NewReader(`{}`))
				if err == nil {
					posted = append(posted, resp.StatusCode)
					resp.Body.Close()
				}
			}
		}
	}})
	srv := httptest.NewServer(fake)
	t.Cleanup(func() { srv.Close(); fake.Close() })
	cfg := fastConfig(srv.URL)
	cfg.Billable, cfg.HookListen, cfg.HookWait = 1, "127.0.0.1:0", 50*time.Millisecond
	rep := run(t, cfg)
	counts := map[int]int{}
	for _, s := range posted {
		counts[s]++
	}
	if diff := cmp.Diff(map[int]int{404: 70, 200: 64, 429: 6}, counts); diff != "" {
		t.Errorf("listener answers (-want +got):\n%s", diff)
	}
	for _, c := range rep.Cases {
		if c.Name == "create-source-example" && c.Callbacks != 64 {
			t.Errorf("callbacks kept: %d, want 64", c.Callbacks)
		}
	}
}

// TestDryRunShowsTheHookItWouldSend: with a callback listener, the dry run prints each billable body as Run
// sends it, notify_hook included: the listener's public URL and the case's name.
func TestDryRunShowsTheHookItWouldSend(t *testing.T) {
	for _, tt := range []struct{ listen, public, want string }{
		{"127.0.0.1:29300", "", `"notify_hook":"http://127.0.0.1:29300/create-source-example"`},
		{"127.0.0.1:29300", "https://hooks.example.com/base/", `"notify_hook":"https://hooks.example.com/base/create-source-example"`},
	} {
		var out strings.Builder
		err := check.WriteDryRun(&out, check.Config{BaseURL: "http://127.0.0.1:1", APIKey: testKey, Billable: 1,
			HookListen: tt.listen, HookURL: tt.public})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), tt.want) {
			t.Errorf("listen %s, public %q: the dry run lacks %s:\n%s", tt.listen, tt.public, tt.want, out.String())
		}
	}
}

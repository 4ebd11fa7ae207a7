package contract_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/contract"
	"github.com/lumamock/lumamock/internal/fakeapi"
)

const testKey = "sk-test-7f3a9c-secret"

// fastConfig is a Config for loopback servers: short polls, no billable limit worth worrying about.
func fastConfig(url string) contract.Config {
	return contract.Config{
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

func run(tb testing.TB, cfg contract.Config) *contract.Report {
	tb.Helper()
	rep, err := contract.Run(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("Run: %v", err)
	}
	return rep
}

func dump(tb testing.TB, rep *contract.Report) string {
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
			if got := rep.ExitCode(); got != contract.ExitOK {
				t.Errorf("exit code %d, want 0\n%s", got, dump(t, rep))
			}
			t.Log(dump(t, rep))
		})
	}
}

package check_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/contract"
	"github.com/lumamock/lumamock/contract/check"
	"github.com/lumamock/lumamock/internal/fakeapi"
	"github.com/lumamock/lumamock/mock"
)

// TestCallbackDrift bends the callbacks, with the mock's own webhook faults and with the fake, and checks each
// is reported.
func TestCallbackDrift(t *testing.T) {
	mockWith := func(faults mock.Faults) string {
		srv, err := mock.New(mock.Options{APIKeys: []string{testKey}, Seed: 3, Faults: faults,
			Pending: 20 * time.Millisecond, Processing: 20 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv)
		t.Cleanup(func() { ts.Close(); srv.Close() })
		return ts.URL
	}
	tests := []struct {
		name string
		url  string
		want want
	}{
		{"final callback dropped", mockWith(mock.Faults{Drop: lumamock.StateCompleted}),
			want{contract.KindCallbackMissing, contract.Breaking, ""}},
		{"callbacks reordered", mockWith(mock.Faults{Reorder: true}),
			want{contract.KindCallbackOrder, contract.Breaking, "/data/task_status"}},
		{"no callbacks at all", startFake(t, fakeapi.Options{Key: testKey}),
			want{contract.KindCallbackMissing, contract.Breaking, ""}},
		{"callback disagrees with GET", startFake(t, fakeapi.Options{Key: testKey, Callbacks: true,
			States: []lumamock.TaskState{"pending", "processing", "completed"},
			Drift: func(a *fakeapi.Answer) {
				if a.Op == "callback" && a.State == lumamock.StateCompleted {
					d := a.Body["data"].(map[string]any)
					d["task_status"] = "failed"
					d["failure_reason"] = "disagrees"
				}
			}}),
			want{contract.KindCallbackDisagrees, contract.Breaking, ""}},
		{"callback body drifts", startFake(t, fakeapi.Options{Key: testKey, Callbacks: true,
			Drift: func(a *fakeapi.Answer) {
				if a.Op == "callback" {
					delete(a.Body, "request_id")
				}
			}}),
			want{contract.KindMissingRequired, contract.Breaking, "/request_id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := fastConfig(tt.url)
			cfg.Billable = 1
			cfg.HookListen = "127.0.0.1:0"
			cfg.HookWait = 300 * time.Millisecond
			rep := run(t, cfg)
			if got := rep.ExitCode(); got != check.ExitDrift {
				t.Errorf("exit code %d, want 1\n%s", got, dump(t, rep))
			}
			if !hasFinding(rep.Drift(), tt.want) {
				t.Errorf("no %s finding at %q\n%s", tt.want.kind, tt.want.pointer, dump(t, rep))
			}
		})
	}
}

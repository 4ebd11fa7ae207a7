package check_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/contract"
	"github.com/lumamock/lumamock/contract/check"
	"github.com/lumamock/lumamock/internal/fakeapi"
)

// want is one finding a drifted upstream must produce.
type want struct {
	kind    contract.Kind
	class   contract.Class
	pointer string // "" matches any
}

func TestDriftIsCaught(t *testing.T) {
	envelope, luma := lumamock.ShapeEnvelope, lumamock.ShapeLuma
	tests := []struct {
		name  string
		opts  fakeapi.Options
		slow  time.Duration
		wants []want
	}{
		{
			name: "renamed field",
			opts: fakeapi.Options{Shape: envelope, Drift: func(a *fakeapi.Answer) {
				if d, ok := a.Body["data"].(map[string]any); ok {
					d["status"] = d["task_status"]
					delete(d, "task_status")
				}
			}},
			wants: []want{{contract.KindMissingRequired, contract.Breaking, "/data/task_status"}, {contract.KindUndocumentedField, contract.Additive, "/data/status"}},
		},
		{
			name:  "new state value",
			opts:  fakeapi.Options{Shape: luma, States: []lumamock.TaskState{"pending", "queued", "completed"}},
			wants: []want{{contract.KindNewEnumValue, contract.Additive, "/state"}},
		},
		{
			name: "changed type",
			opts: fakeapi.Options{Shape: envelope, Drift: func(a *fakeapi.Answer) {
				if d, ok := a.Body["data"].(map[string]any); ok {
					d["created_at"] = "2024-12-22T13:38:40Z"
				}
			}},
			wants: []want{{contract.KindTypeChanged, contract.Breaking, "/data/created_at"}},
		},
		{
			name: "missing required field",
			opts: fakeapi.Options{Shape: luma, Drift: func(a *fakeapi.Answer) {
				if a.Status == http.StatusOK {
					delete(a.Body, "batch_id")
				}
			}},
			wants: []want{{contract.KindMissingRequired, contract.Breaking, "/batch_id"}},
		},
		{
			name: "extra field",
			opts: fakeapi.Options{Shape: envelope, Drift: func(a *fakeapi.Answer) {
				if a.Status == http.StatusOK {
					a.Body["credits_left"] = 41
				}
			}},
			wants: []want{{contract.KindUndocumentedField, contract.Additive, "/credits_left"}},
		},
		{
			name: "undocumented status",
			opts: fakeapi.Options{Shape: envelope, Drift: func(a *fakeapi.Answer) {
				if a.Status == http.StatusBadRequest {
					a.Status = http.StatusUnprocessableEntity
				}
			}},
			wants: []want{{contract.KindUndocumentedStatus, contract.Breaking, ""}},
		},
		{
			name: "different error shape",
			opts: fakeapi.Options{Shape: luma, Drift: func(a *fakeapi.Answer) {
				if a.Status >= 400 {
					a.Body = map[string]any{"error": map[string]any{"message": "bad", "type": "invalid_request"}}
				}
			}},
			wants: []want{{contract.KindErrorShape, contract.Breaking, ""}},
		},
		{
			name:  "accepts invalid input",
			opts:  fakeapi.Options{Shape: envelope, AcceptInvalid: true},
			wants: []want{{contract.KindAcceptsInvalid, contract.Validation, "/user_prompt"}},
		},
		{
			name:  "illegal state transition",
			opts:  fakeapi.Options{Shape: envelope, States: []lumamock.TaskState{"pending", "processing", "pending", "completed"}},
			wants: []want{{contract.KindIllegalTransition, contract.Breaking, "/data/task_status"}},
		},
		{
			name: "wrong content type",
			opts: fakeapi.Options{Shape: envelope, Drift: func(a *fakeapi.Answer) {
				a.Header.Set("Content-Type", "text/plain; charset=utf-8")
			}},
			wants: []want{{contract.KindContentType, contract.Transport, ""}},
		},
		{
			name: "non-JSON body",
			opts: fakeapi.Options{Shape: envelope, Drift: func(a *fakeapi.Answer) {
				if a.Op == "get" {
					a.Raw = []byte("<html><body>502 Bad Gateway</body></html>")
				}
			}},
			wants: []want{{contract.KindNotJSON, contract.Transport, ""}},
		},
		{
			name: "slow server",
			opts: fakeapi.Options{Shape: envelope, Drift: func(a *fakeapi.Answer) {
				if a.Op == "get" {
					a.Delay = 120 * time.Millisecond
				}
			}},
			slow:  50 * time.Millisecond,
			wants: []want{{contract.KindSlow, contract.Transport, ""}},
		},
		{
			name: "completed task without its video",
			opts: fakeapi.Options{Shape: luma, Drift: func(a *fakeapi.Answer) {
				if a.State == lumamock.StateCompleted {
					a.Body["video"] = nil
				}
			}},
			wants: []want{{contract.KindMissingAsset, contract.Breaking, "/video"}},
		},
		{
			name: "GET answers another task",
			opts: fakeapi.Options{Shape: envelope, Drift: func(a *fakeapi.Answer) {
				if d, ok := a.Body["data"].(map[string]any); ok && a.Op == "get" {
					d["task_id"] = "someone-elses-task"
				}
			}},
			wants: []want{{contract.KindIDMismatch, contract.Breaking, "/data/task_id"}},
		},
		{
			name: "request id disagrees with its header",
			opts: fakeapi.Options{Shape: envelope, Drift: func(a *fakeapi.Answer) {
				a.Header.Set("X-Request-Id", "req-2")
			}},
			wants: []want{{contract.KindIDMismatch, contract.Breaking, "/request_id"}},
		},
		{
			name:  "task does not start pending",
			opts:  fakeapi.Options{Shape: luma, States: []lumamock.TaskState{"processing", "completed"}},
			wants: []want{{contract.KindInitialState, contract.Breaking, "/state"}},
		},
		{
			name: "server errors",
			opts: fakeapi.Options{Shape: envelope, Drift: func(a *fakeapi.Answer) {
				if a.Op == "get" {
					a.Status = http.StatusBadGateway
				}
			}},
			wants: []want{{contract.KindServerError, contract.Transport, ""}},
		},
		{
			name: "errors in the other shape",
			opts: fakeapi.Options{Shape: envelope, Drift: func(a *fakeapi.Answer) {
				if a.Status >= 400 {
					a.Body = map[string]any{"detail": map[string]any{"reason": "no", "code": a.Status}}
				}
			}},
			wants: []want{{contract.KindShapeInconsistent, contract.Breaking, "/error"}},
		},
		{
			name: "accepts invalid input with an undocumented 202",
			opts: fakeapi.Options{Shape: envelope, AcceptInvalid: true, Drift: func(a *fakeapi.Answer) {
				if a.Op == "create" {
					a.Status = http.StatusAccepted
				}
			}},
			wants: []want{{contract.KindAcceptsInvalid, contract.Validation, "/user_prompt"}, {contract.KindUndocumentedStatus, contract.Breaking, ""}},
		},
		{
			name: "task created finished, without its assets",
			opts: fakeapi.Options{Shape: luma, States: []lumamock.TaskState{"completed"}, Drift: func(a *fakeapi.Answer) {
				if a.State == lumamock.StateCompleted {
					a.Body["thumbnail"] = nil
				}
			}},
			wants: []want{{contract.KindInitialState, contract.Breaking, "/state"}, {contract.KindMissingAsset, contract.Breaking, "/thumbnail"}},
		},
		{
			name:  "rejects the document's reading of required",
			opts:  fakeapi.Options{Shape: envelope, Drift: rejectUnlessAllFields},
			wants: []want{{contract.KindRejectsValid, contract.Validation, ""}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Key = testKey
			cfg := fastConfig(startFake(t, tt.opts))
			if tt.slow > 0 {
				cfg.Slow = tt.slow
			}
			rep := run(t, cfg)
			if got := rep.ExitCode(); got != check.ExitDrift {
				t.Errorf("exit code %d, want %d\n%s", got, check.ExitDrift, dump(t, rep))
			}
			for _, w := range tt.wants {
				if !hasFinding(rep.Drift(), w) {
					t.Errorf("no %s finding of kind %s at %q\n%s", w.class, w.kind, w.pointer, dump(t, rep))
				}
			}
			assertNoKey(t, rep)
		})
	}
}

// rejectUnlessAllFields answers 400 to a create request that lacks any optional field of the source example: the
// reading of the source's literal required list.
func rejectUnlessAllFields(a *fakeapi.Answer) {
	if a.Op == "create" && a.Status == http.StatusOK && !bytes.Contains(a.RequestBody, []byte(`"model_name"`)) {
		a.Status = http.StatusBadRequest
		a.Body = map[string]any{"code": 400, "message": "model_name is required", "request_id": "r"}
	}
}

func hasFinding(fs []contract.Finding, w want) bool {
	for _, f := range fs {
		if f.Kind == w.kind && f.Class == w.class && (w.pointer == "" || f.Pointer == w.pointer) {
			return true
		}
	}
	return false
}

// assertNoKey renders the report in every format and fails if the API key shows anywhere.
func assertNoKey(tb testing.TB, rep *check.Report) {
	tb.Helper()
	for _, format := range check.Formats() {
		var buf bytes.Buffer
		if err := rep.Write(&buf, format); err != nil {
			tb.Fatalf("Write %s: %v", format, err)
		}
		if strings.Contains(buf.String(), testKey) {
			tb.Errorf("the API key appears in the %s report", format)
		}
	}
}

func TestTransportFailures(t *testing.T) {
	// A host that refuses connections, from a stub dialer: a port closed here could be taken meanwhile by another
	// test's server, which would answer.
	refused := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
	}}
	handler := func(h http.HandlerFunc) string {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv.URL
	}
	stop := make(chan struct{}) // releases handlers still waiting when the test ends
	tlsSrv := httptest.NewUnstartedServer(fakeapi.New(fakeapi.Options{}))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshake failures are the point
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)
	tests := []struct {
		name      string
		url       string
		transport http.RoundTripper // nil: the default
		timeout   time.Duration
		wantExit  int
		want      contract.Kind
	}{
		{"unreachable host", "http://127.0.0.1:9", refused, 0, check.ExitNotChecked, contract.KindUnreachable},
		{"untrusted TLS certificate", tlsSrv.URL, nil, 0, check.ExitNotChecked, contract.KindTLS},
		{"timeout", handler(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-stop:
			}
		}), nil, 100 * time.Millisecond, check.ExitNotChecked, contract.KindTimeout},
		{"redirect elsewhere", handler(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://elsewhere.invalid/", http.StatusFound)
		}), nil, 0, check.ExitDrift, contract.KindRedirect},
		{"huge body", handler(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"detail":"`))
			w.Write(bytes.Repeat([]byte("x"), 3<<20))
			w.Write([]byte(`"}`))
		}), nil, 0, check.ExitDrift, contract.KindBodyTooLarge},
		{"bad gateway everywhere", handler(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "bad gateway", http.StatusBadGateway)
		}), nil, 0, check.ExitDrift, contract.KindServerError},
		{"echoes the key back", handler(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"code":400,"message":"bad","request_id":"r","auth":"` + r.Header.Get("Authorization") + `"}`))
		}), nil, 0, check.ExitDrift, contract.KindUndocumentedField},
	}
	// Registered after the servers' Close, so it runs before them.
	t.Cleanup(func() { close(stop) })
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := fastConfig(tt.url)
			cfg.Billable = 0
			cfg.Transport = tt.transport
			if tt.timeout > 0 {
				cfg.Timeout = tt.timeout
			}
			var progress bytes.Buffer
			cfg.Progress = &progress
			rep := run(t, cfg)
			if got := rep.ExitCode(); got != tt.wantExit {
				t.Errorf("exit code %d, want %d\n%s", got, tt.wantExit, dump(t, rep))
			}
			found := false
			for _, f := range rep.Findings {
				found = found || f.Kind == tt.want
			}
			if !found {
				t.Errorf("no %s finding\n%s", tt.want, dump(t, rep))
			}
			assertNoKey(t, rep)
			if strings.Contains(progress.String(), testKey) {
				t.Error("the API key appears in the progress output")
			}
		})
	}
}

// TestTLSWithTrustedCertificate proves TLS findings come from the certificate, not from TLS itself.
func TestTLSWithTrustedCertificate(t *testing.T) {
	fake := fakeapi.New(fakeapi.Options{Key: testKey})
	srv := httptest.NewTLSServer(fake)
	t.Cleanup(srv.Close)
	cfg := fastConfig(srv.URL)
	cfg.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs}}
	rep := run(t, cfg)
	if got := rep.ExitCode(); got != check.ExitOK {
		t.Errorf("exit code %d, want 0\n%s", got, dump(t, rep))
	}
}

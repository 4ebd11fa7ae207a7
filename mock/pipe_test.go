package mock_test

import (
	"net/http"
	"testing"

	"github.com/lumamock/lumamock/internal/pipenet"
	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

// pipeServer starts a mock with opts (a manual clock, seed 1) on an http.Server over in-memory connections
// (pipenet): nothing is buffered between the two ends, so an answer a client does not read blocks its writer
// at once, and reads on at full speed when the client does. No socket is opened, so it runs in a synctest
// bubble. It returns the server's URL and a client that reaches it.
func pipeServer(t *testing.T, opts mock.Options) (string, *http.Client) {
	t.Helper()
	opts.Clock, opts.Seed = mock.NewManualClock(mocktest.Start), 1
	m, err := mock.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := pipenet.Serve(m)
	t.Cleanup(func() { srv.Close(); m.Close() })
	return srv.URL, srv.Client
}

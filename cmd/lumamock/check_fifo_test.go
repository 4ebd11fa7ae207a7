//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/lumamock/lumamock"
)

// TestCheckOutputToAPipe: --output naming a pipe is opened when the report is ready, not before the run (where
// open(2) would wait for a reader, past any signal); a pipe nobody reads is an error then, not a hang.
func TestCheckOutputToAPipe(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "report.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	url := startCheckMock(t, lumamock.ShapeEnvelope)
	code, out, _ := runCLI(t, nil, append([]string{"check", "--base-url", url, "--output", fifo}, fast...)...)
	if code != 2 || !strings.Contains(out, "write report") {
		t.Errorf("no reader: exit %d, want 2 saying the report could not be written:\n%s", code, out)
	}

	got := make(chan string, 1)
	go func() {
		f, err := os.Open(fifo) // waits for the writer
		if err != nil {
			got <- err.Error()
			return
		}
		defer f.Close()
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		got <- b.String()
	}()
	// The reader is waiting in open(2) before the run ends, or comes just after: retry until it is there.
	for range 50 {
		if code, out, _ = runCLI(t, nil, append([]string{"check", "--base-url", url, "--output", fifo}, fast...)...); code == 0 {
			break
		}
	}
	if code != 0 {
		t.Fatalf("with a reader: exit %d:\n%s", code, out)
	}
	if report := <-got; !strings.HasPrefix(report, "lumamock check") {
		t.Errorf("the reader got %.80q", report)
	}
}

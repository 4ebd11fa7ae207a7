package main

import (
	"flag"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/internal/clientplay"
	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

var update = flag.Bool("update", false, "rewrite the example report of docs/coverage.md")

// coverageDoc is the page whose example report TestCoverageDocExample keeps true.
const coverageDoc = "../../docs/coverage.md"

// exampleHeading starts the section whose first text block is the example report.
const exampleHeading = "## An example report\n"

// TestCoverageDocExample: the example report of docs/coverage.md is what lumamock coverage prints for the client
// the page describes (go test ./cmd/lumamock -run TestCoverageDocExample -update rewrites it).
func TestCoverageDocExample(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{})
	c := clientplay.New(t, srv)
	hook := mocktest.NewHookReceiver(t)
	for range 2 {
		// Envelope tasks with a hook, polled every half second, and five times more once they ended.
		id := c.Submit(hook.URL, "")
		for {
			if state, _ := c.Poll(id, ""); state.Terminal() {
				break
			}
			c.Wait(500 * time.Millisecond)
		}
		for range 5 {
			c.Wait(500 * time.Millisecond)
			c.Poll(id, "")
		}
	}
	if a := c.Do(http.MethodPost, lumamock.PathGenerations, `{"user_prompt":"a fox"}`, "code=429"); a.Status != http.StatusTooManyRequests {
		t.Fatalf("Prefer: code=429: %d", a.Status)
	}
	c.Wait(200 * time.Millisecond) // a fifth of the Retry-After
	c.Submit(hook.URL, "")

	code, out, _ := runCLI(t, nil, "coverage", "--url", srv.URL)
	if code != 0 {
		t.Fatalf("lumamock coverage: exit %d\n%s", code, out)
	}
	page, err := os.ReadFile(coverageDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(page)
	at := strings.Index(doc, exampleHeading)
	open := strings.Index(doc[max(at, 0):], "```text\n")
	if at < 0 || open < 0 {
		t.Fatalf("%s has no %q section with a text block", coverageDoc, strings.TrimSpace(exampleHeading))
	}
	start := at + open + len("```text\n")
	end := strings.Index(doc[start:], "```\n")
	if end < 0 {
		t.Fatalf("%s: the example report's block does not end", coverageDoc)
	}
	if got := doc[start : start+end]; got != out {
		if !*update {
			t.Fatalf("the example report of %s is not what lumamock coverage prints; rewrite it with\n\tgo test ./cmd/lumamock -run TestCoverageDocExample -update\nit prints:\n%s", coverageDoc, out)
		}
		if err := os.WriteFile(coverageDoc, []byte(doc[:start]+out+doc[start+end:]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

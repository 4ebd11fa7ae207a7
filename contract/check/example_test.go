package check_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/lumamock/lumamock/contract/check"
	"github.com/lumamock/lumamock/mock"
)

// Run checks a whole API: here lumamock's own mock, free cases only.
func ExampleRun() {
	srv, _ := mock.New(mock.Options{APIKeys: []string{"k"}, Seed: 1})
	ts := httptest.NewServer(srv)
	defer func() { ts.Close(); srv.Close() }()

	report, err := check.Run(context.Background(), check.Config{BaseURL: ts.URL, APIKey: "k", Timeout: 5 * time.Second})
	if err != nil {
		panic(err)
	}
	fmt.Println("exit code:", report.ExitCode())
	for _, f := range report.Facts {
		fmt.Printf("%s: %s\n", f.Name, f.Value)
	}
	// Output:
	// exit code: 0
	// response shape: not seen
	// error shape: envelope ×25
	// required-reading: not probed (billable; allow with --billable)
	// key-check: a wrong key is rejected (401)
	// billable cases: 0 run, 4 skipped
}

// WriteDryRun shows every request before anything is sent; the key is never printed.
func ExampleWriteDryRun() {
	var out strings.Builder
	_ = check.WriteDryRun(&out, check.Config{BaseURL: "https://proxy.example.com", APIKey: "sk-secret"})
	section := out.String()[strings.Index(out.String(), "### missing-user_prompt"):]
	fmt.Println(section[:strings.Index(section, "\n\n###")])
	// Output:
	// ### missing-user_prompt — body without the required field user_prompt (free: a correct API rejects it with 400)
	// # expects 400 (documented: 200 400 401 406 413 415 429 500 503); checks: status, content-type, body, time, enforcement
	// POST https://proxy.example.com/luma/generations
	// Accept: application/json
	// Authorization: Bearer [redacted]
	// Content-Type: application/json
	// User-Agent: lumamock-check/0.1.0-dev
	//
	// {"duration":"5s","model_name":"ray-v2","resolution":"720p"}
}

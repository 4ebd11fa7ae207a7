package contract_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/contract"
	"github.com/lumamock/lumamock/mock"
)

// CheckResponse holds one response to the document, independently of the runner: here a task whose state is
// new to the document and that carries a field the document does not name.
func ExampleChecker_CheckResponse() {
	checker, err := contract.NewChecker(lumamock.MustLoad(), contract.CheckerOptions{})
	if err != nil {
		panic(err)
	}
	req, _ := http.NewRequest(http.MethodGet, "https://proxy.example.com/luma/generations/t-1", nil)
	resp := contract.Response{
		Status: http.StatusOK,
		Header: http.Header{"Content-Type": {"application/json"}},
		Body: []byte(`{"code":200,"message":"success","request_id":"r-1",
			"data":{"task_id":"t-1","task_status":"queued","created_at":1734874720,"updated_at":1734874720,"priority":2}}`),
	}
	res, err := checker.CheckResponse(context.Background(), req, resp)
	if err != nil {
		panic(err)
	}
	fmt.Println("operation:", res.Operation, "shape:", res.Shape)
	for _, f := range res.Findings {
		fmt.Printf("%s %s %s\n", f.Class, f.Kind, f.Pointer)
	}
	// Output:
	// operation: getGeneration shape: envelope
	// additive new-enum-value /data/task_status
	// additive undocumented-field /data/priority
}

// CheckRequest tells what a request breaks, each violation by JSON pointer; the validating proxy uses it on the
// traffic it forwards.
func ExampleChecker_CheckRequest() {
	checker, _ := contract.NewChecker(lumamock.MustLoad(), contract.CheckerOptions{})
	req, _ := http.NewRequest(http.MethodPost, "https://proxy.example.com/luma/generations", nil)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer k")
	findings, _ := checker.CheckRequest(context.Background(), req, []byte(`{"user_prompt":"wind","duration":"10s"}`))
	for _, f := range findings {
		fmt.Println(f.Kind, f.Pointer)
	}
	// Output:
	// invalid-request /duration
}

// Run checks a whole API: here lumamock's own mock, free cases only.
func ExampleRun() {
	srv, _ := mock.New(mock.Options{APIKeys: []string{"k"}, Seed: 1})
	ts := httptest.NewServer(srv)
	defer func() { ts.Close(); srv.Close() }()

	report, err := contract.Run(context.Background(), contract.Config{BaseURL: ts.URL, APIKey: "k", Timeout: 5 * time.Second})
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
	_ = contract.WriteDryRun(&out, contract.Config{BaseURL: "https://proxy.example.com", APIKey: "sk-secret"})
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

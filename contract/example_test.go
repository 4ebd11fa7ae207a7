package contract_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/contract"
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

// CheckFinished holds a task that says it is done to what a done task carries: here a completed task without
// its video, delivered to a notify_hook.
func ExampleChecker_CheckFinished() {
	checker, _ := contract.NewChecker(lumamock.MustLoad(), contract.CheckerOptions{})
	res := checker.CheckCallback(http.Header{"Content-Type": {"application/json"}}, []byte(`{"code":200,"message":"success",
		"request_id":"r-1","data":{"task_id":"t-1","task_status":"completed","created_at":1734874720,"updated_at":1734874727,
		"thumbnail":{"url":"https://cdn.example.com/t.jpg","width":1280,"height":720},
		"last_frame":{"url":"https://cdn.example.com/l.jpg","width":1280,"height":720},
		"video_raw":{"url":"https://cdn.example.com/r.mp4","width":1280,"height":720}}}`))
	for _, f := range checker.CheckFinished(res) {
		fmt.Println(f.Class, f.Kind, f.Pointer)
	}
	// Output:
	// breaking missing-asset /data/video
}

package mock_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
)

// The mock is an http.Handler: serve it with httptest (or net/http) and send it the API's requests.
func ExampleNew() {
	srv, err := mock.New(mock.Options{
		Schema:  lumamock.ShapeLuma, // answer with the raw Luma generation object
		APIKeys: []string{"my-key"},
		Seed:    42,                                                                            // same seed, same ids
		Clock:   mock.NewManualClock(time.Date(2024, 12, 22, 13, 38, 40, 139409000, time.UTC)), // time stands still
	})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	ts := httptest.NewServer(srv)
	defer ts.Close()

	req, _ := http.NewRequest("POST", ts.URL+"/luma/generations",
		strings.NewReader(`{"user_prompt": "A gust of wind blows through the woods", "model_name": "ray-v2"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer my-key")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status)
	fmt.Print(string(body))

	// Output:
	// 200 OK
	// {"id":"b818d597-25fa-4c01-986a-dcdc37821df6","prompt":"A gust of wind blows through the woods","state":"pending","queue_state":null,"created_at":"2024-12-22T13:38:40.139409Z","batch_id":"","video":null,"video_raw":null,"liked":null,"estimate_wait_seconds":2,"thumbnail":null,"last_frame":null}
}

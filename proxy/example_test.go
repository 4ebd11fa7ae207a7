package proxy_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/lumamock/lumamock/proxy"
)

// Put the proxy in front of an API (here a fake one on loopback whose answer names a state the document does
// not know) and read what it found in the X-Lumamock-Violations header.
func Example() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"code":200,"message":"ok","request_id":"r1","data":{"task_id":"t1","task_status":"queued","created_at":1,"updated_at":1}}`)
	}))
	defer api.Close()
	p, err := proxy.New(proxy.Options{Upstream: api.URL})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(p)
	defer srv.Close()

	req, _ := http.NewRequest("GET", srv.URL+"/luma/generations/t1", nil)
	req.Header.Set("Authorization", "Bearer sk-example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, strings.Contains(string(body), `"queued"`))
	fmt.Println(resp.Header.Get(proxy.HeaderViolations))
	// Output:
	// 200 true
	// [{"direction":"response","class":"additive","kind":"new-enum-value","pointer":"/data/task_status","message":"value is not one of the allowed values [\"pending\",\"processing\",\"completed\",\"failed\"]"}]
}

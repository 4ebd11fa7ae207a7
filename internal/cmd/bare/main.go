// Command bare is the baseline of lumamock's load test: a plain net/http server that answers every request
// with a fixed pending task of the same size as the mock's, doing no routing, validation or logging.
package main

import (
	"flag"
	"log"
	"net/http"
)

const body = `{"code":200,"message":"success","request_id":"1eeeadbf-44f4-4066-b83c-7c51faf277d8","data":{"task_id":"f02e4d4e-1cb2-43a7-b55d-4fe145dff435","task_status":"pending","created_at":1795619855,"updated_at":1795619855}}` + "\n"

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "listen address")
	flag.Parse()
	log.Fatal(http.ListenAndServe(*addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	})))
}

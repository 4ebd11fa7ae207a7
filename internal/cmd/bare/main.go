// Command bare is the baseline of lumamock's load test: a plain net/http server that answers every request
// with a fixed pending task of the same size as the mock's, doing no routing, validation or logging. With
// --kin it first routes and validates each request with kin-openapi against openapi.yaml and nothing else, to
// show what validation alone costs.
package main

import (
	"context"
	"flag"
	"log"
	"net/http"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/lumamock/lumamock"
)

const body = `{"code":200,"message":"success","request_id":"1eeeadbf-44f4-4066-b83c-7c51faf277d8","data":{"task_id":"f02e4d4e-1cb2-43a7-b55d-4fe145dff435","task_status":"pending","created_at":1795619855,"updated_at":1795619855}}` + "\n"

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "listen address")
	kin := flag.Bool("kin", false, "route and validate each request with kin-openapi before answering")
	flag.Parse()
	answer := func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { answer(w) })
	if *kin {
		doc := *lumamock.MustLoad()
		doc.Servers = nil
		router, err := gorillamux.NewRouter(&doc)
		if err != nil {
			log.Fatal(err)
		}
		opts := &openapi3filter.Options{MultiError: true, AuthenticationFunc: func(context.Context, *openapi3filter.AuthenticationInput) error { return nil }}
		handler = func(w http.ResponseWriter, r *http.Request) {
			route, params, err := router.FindRoute(r)
			if err != nil {
				http.Error(w, err.Error(), http.StatusNotFound)
				return
			}
			in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: opts}
			if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			answer(w)
		}
	}
	log.Fatal(http.ListenAndServe(*addr, handler))
}

package mock_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
)

// sourceExample is the export's example request body.
const sourceExample = `{"user_prompt": "一阵风吹过树林,使女人的面纱微微飘动。", "model_name": "ray-v2", "duration": "5s", "resolution": "720p"}`

const testKey = "test-key-9f2c"

var epoch = time.Date(2024, 12, 22, 13, 38, 40, 139409000, time.UTC)

// newServer starts the mock on loopback with opts (APIKeys defaulting to testKey).
func newServer(tb testing.TB, opts mock.Options) *httptest.Server {
	tb.Helper()
	if opts.APIKeys == nil {
		opts.APIKeys = []string{testKey}
	}
	srv, err := mock.New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	tb.Cleanup(func() { ts.Close(); srv.Close() })
	return ts
}

// call is one request to the mock.
type call struct {
	method string
	path   string
	header map[string]string // "" value deletes a default header
	body   string
}

// response is what came back.
type response struct {
	status int
	header http.Header
	body   []byte
	req    *http.Request
}

// send sends c with the headers a well-behaved client sends, overridden by c.header.
func send(tb testing.TB, ts *httptest.Server, c call) response {
	tb.Helper()
	if c.method == "" {
		c.method = http.MethodPost
	}
	if c.path == "" {
		c.path = lumamock.PathGenerations
	}
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	req, err := http.NewRequest(c.method, ts.URL+c.path, body)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testKey)
	req.Header.Set("Accept", "application/json")
	if c.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	// Keep a replayable copy of the request for response validation.
	vreq, _ := http.NewRequest(c.method, ts.URL+c.path, strings.NewReader(c.body))
	vreq.Header = req.Header.Clone()
	return response{status: resp.StatusCode, header: resp.Header, body: data, req: vreq}
}

// decode decodes a JSON body into a generic value.
func decode(tb testing.TB, data []byte) map[string]any {
	tb.Helper()
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		tb.Fatalf("body is not a JSON object: %v\n%s", err, data)
	}
	return v
}

var (
	routerOnce sync.Once
	router     routers.Router
)

// validateResponse checks resp against the document with openapi3filter.ValidateResponse, failing on any
// status the operation does not document.
func validateResponse(tb testing.TB, resp response) {
	tb.Helper()
	routerOnce.Do(func() {
		doc := *lumamock.MustLoad()
		doc.Servers = nil
		var err error
		if router, err = gorillamux.NewRouter(&doc); err != nil {
			panic(err)
		}
	})
	route, params, err := router.FindRoute(resp.req)
	if err != nil {
		tb.Fatalf("route %s %s: %v", resp.req.Method, resp.req.URL.Path, err)
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: resp.req, PathParams: params, Route: route, Options: opts},
		Status:                 resp.status,
		Header:                 resp.header,
		Body:                   io.NopCloser(bytes.NewReader(resp.body)),
		Options:                opts,
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		tb.Errorf("%s %s → %d does not match the document: %v\n%s", resp.req.Method, resp.req.URL.Path, resp.status, err, resp.body)
	}
}

// strictDecode decodes data into v, failing on fields v does not have.
func strictDecode(tb testing.TB, data []byte, v any) {
	tb.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		tb.Fatalf("decode %T: %v\n%s", v, err, data)
	}
}

// offline makes opts safe for hooks at names and addresses off this machine: host names are never resolved on
// the network (only "localhost" resolves, to 127.0.0.1), and a callback dialled anywhere but loopback fails
// the test instead of leaving the machine.
func offline(tb testing.TB, opts mock.Options) mock.Options {
	tb.Helper()
	opts.Resolver = func(_ context.Context, host string) ([]netip.Addr, error) {
		if host == "localhost" {
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		}
		return nil, fmt.Errorf("%s: names are not resolved in tests", host)
	}
	dialer := &net.Dialer{Timeout: time.Second}
	opts.CallbackClient = &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if ip, perr := netip.ParseAddr(host); err != nil || perr != nil || !ip.Unmap().IsLoopback() {
				tb.Errorf("a callback was dialled at %s, off this machine", addr)
				return nil, fmt.Errorf("dial %s: refused in tests", addr)
			}
			return dialer.DialContext(ctx, network, addr)
		},
	}}
	return opts
}

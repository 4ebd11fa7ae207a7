package mock_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v4"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

// Tools fed openapi.yaml (Portman, Dredd, Prism, fuzzers) read its examples in the order written: the first
// example of an answer is the one they expect, the first request example the one they send, and they lengthen
// and drop its fields to fuzz. These tests hold the mock to those readings of the document.

// examples returns the named examples under the media type at path (keys of openapi.yaml, in order), in the
// order the document writes them.
func examples(t *testing.T, path ...string) (names []string, values []any) {
	t.Helper()
	var root yaml.Node
	if err := yaml.Unmarshal(lumamock.Document, &root); err != nil {
		t.Fatal(err)
	}
	n := root.Content[0]
	for _, key := range append(path, "examples") {
		var next *yaml.Node
		for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			t.Fatalf("openapi.yaml has no %s", strings.Join(append(path, "examples"), " › "))
		}
		n = next
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		var ex struct {
			Value any `yaml:"value"`
		}
		if err := n.Content[i+1].Decode(&ex); err != nil {
			t.Fatal(err)
		}
		names = append(names, n.Content[i].Value)
		values = append(values, ex.Value)
	}
	if len(names) == 0 {
		t.Fatalf("openapi.yaml has no examples at %s", strings.Join(path, " › "))
	}
	return names, values
}

var (
	createRequest = []string{"paths", lumamock.PathGenerations, "post", "requestBody", "content", "application/json"}
	createAnswer  = []string{"paths", lumamock.PathGenerations, "post", "responses", "200", "content", "application/json"}
)

// consumerMock is a mock whose callbacks go nowhere: the document's example hook names a host on the network.
func consumerMock(t *testing.T) string {
	t.Helper()
	nowhere := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		return nil, errors.New("callbacks are not sent in this test")
	})}
	ts := newServer(t, mock.Options{
		CallbackClient: nowhere,
		Resolver: func(context.Context, string) ([]netip.Addr, error) {
			return []netip.Addr{netip.MustParseAddr("192.0.2.1")}, nil // TEST-NET-1, never dialled
		},
	})
	return ts.URL
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// submitJSON posts body to the mock with the test key and returns the status and decoded answer.
func submitJSON(t *testing.T, base string, body any, prefer string) (int, map[string]any) {
	t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, base+lumamock.PathGenerations, strings.NewReader(string(raw)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+testKey)
	if prefer != "" {
		req.Header.Set("Prefer", prefer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var answer map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		t.Fatalf("answer: %v", err)
	}
	return resp.StatusCode, answer
}

// shape is the layout of a JSON value: its type, and for an object its members' shapes (null matches any
// type: an example shows null where a task has no value yet).
func shapeDiff(want, got any, at string) []string {
	if want == nil || got == nil {
		return nil
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: the example shows an object, the mock answers %T", at, got)}
		}
		var out []string
		keys := map[string]bool{}
		for k := range w {
			keys[k] = true
		}
		for k := range g {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			wv, inW := w[k]
			gv, inG := g[k]
			switch {
			case !inG:
				out = append(out, fmt.Sprintf("%s/%s: in the example, not in the mock's answer", at, k))
			case !inW:
				out = append(out, fmt.Sprintf("%s/%s: in the mock's answer, not in the example", at, k))
			default:
				out = append(out, shapeDiff(wv, gv, at+"/"+k)...)
			}
		}
		return out
	case string:
		if _, ok := got.(string); !ok {
			return []string{fmt.Sprintf("%s: the example shows a string, the mock answers %T", at, got)}
		}
	case bool:
		if _, ok := got.(bool); !ok {
			return []string{fmt.Sprintf("%s: the example shows a boolean, the mock answers %T", at, got)}
		}
	default: // numbers: YAML decodes int, JSON float64
		if _, ok := got.(float64); !ok {
			return []string{fmt.Sprintf("%s: the example shows a number, the mock answers %T", at, got)}
		}
	}
	return nil
}

// jsonValue turns a value decoded from YAML into the one JSON decoding gives.
func jsonValue(t *testing.T, v any) any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// The first example of the submit's 200 answer is the shape the mock answers by default, and every example
// is a shape the mock answers when asked for it.
func TestFirstAnswerExampleIsTheMocksDefaultAnswer(t *testing.T) {
	base := consumerMock(t)
	_, requests := examples(t, createRequest...)
	names, answers := examples(t, createAnswer...)
	shapes := map[string]string{} // example → the Prefer schema= that answers it
	for i, name := range names {
		example := jsonValue(t, answers[i])
		var tried []string
		for _, shape := range []lumamock.Shape{lumamock.ShapeEnvelope, lumamock.ShapeLuma} {
			prefer := ""
			if i > 0 {
				prefer = "schema=" + string(shape)
			}
			status, answer := submitJSON(t, base, requests[0], prefer)
			if status != http.StatusOK {
				t.Fatalf("the first request example: status %d %v", status, answer)
			}
			diff := shapeDiff(example, answer, "")
			if len(diff) == 0 {
				shapes[name] = string(shape)
				break
			}
			tried = append(tried, fmt.Sprintf("%q: %s", prefer, strings.Join(diff, "; ")))
			if i == 0 {
				break // the first example must be the default answer
			}
		}
		if shapes[name] == "" {
			if i == 0 {
				t.Errorf("the first example of the 200 answer, %q, is not the mock's default answer: %s", name, strings.Join(tried, " | "))
			} else {
				t.Errorf("example %q of the 200 answer is no shape the mock answers: %s", name, strings.Join(tried, " | "))
			}
		}
	}
	if shapes[names[0]] == "" {
		return
	}
	if got := shapes[names[0]]; got != string(lumamock.ShapeEnvelope) {
		t.Errorf("the first example of the 200 answer is the %s shape, the mock's default is the envelope", got)
	}
}

// The first request example is admitted, carries a notify_hook for fuzzers to lengthen, and the variants a
// fuzzer makes of it are refused where the document says: without the required user_prompt, and with the
// notify_hook past its maxLength (and admitted at it).
func TestFirstRequestExampleIsAdmittedAndFuzzable(t *testing.T) {
	base := consumerMock(t)
	_, requests := examples(t, createRequest...)
	first, ok := jsonValue(t, requests[0]).(map[string]any)
	if !ok {
		t.Fatalf("the first request example is not an object: %v", requests[0])
	}
	hook, _ := first["notify_hook"].(string)
	if hook == "" {
		t.Fatalf("the first request example has no notify_hook: %v", first)
	}
	if status, answer := submitJSON(t, base, first, ""); status != http.StatusOK {
		t.Fatalf("the first request example: status %d %v", status, answer)
	}

	doc := lumamock.MustLoad()
	props := doc.Components.Schemas["GenerationRequest"].Value
	maxLen := int(*props.Properties["notify_hook"].Value.MaxLength)
	with := func(k string, v any) map[string]any {
		out := map[string]any{}
		for key, val := range first {
			out[key] = val
		}
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
		return out
	}
	long := func(n int) string { return hook + "/" + strings.Repeat("a", n-len(hook)-1) }
	tests := []struct {
		name        string
		body        map[string]any
		status      int
		field, rule string
	}{
		{"without user_prompt", with("user_prompt", nil), http.StatusBadRequest, "/user_prompt", "required"},
		{"notify_hook at its maxLength", with("notify_hook", long(maxLen)), http.StatusOK, "", ""},
		{"notify_hook past its maxLength", with("notify_hook", long(maxLen+1)), http.StatusBadRequest, "/notify_hook", "maxLength"},
	}
	for _, required := range props.Required {
		if required != "user_prompt" {
			t.Errorf("GenerationRequest requires %s; this test drops only user_prompt", required)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, answer := submitJSON(t, base, tt.body, "")
			if status != tt.status {
				t.Fatalf("status %d, want %d: %v", status, tt.status, answer)
			}
			if tt.field == "" {
				return
			}
			errs, _ := answer["errors"].([]any)
			if !slices.ContainsFunc(errs, func(e any) bool {
				m, _ := e.(map[string]any)
				return m["field"] == tt.field && m["rule"] == tt.rule
			}) {
				t.Errorf("the 400 does not name %s (%s): %v", tt.field, tt.rule, answer)
			}
		})
	}
}

// The callback's documented answers decide delivery: a receiver answering a status the document accepts
// (200, or any 2xx under '2XX') has the callback delivered; any other answer is retried.
func TestCallbackAnswersTheDocumentAccepts(t *testing.T) {
	doc := lumamock.MustLoad()
	cb := doc.Paths.Value(lumamock.PathGenerations).Post.Callbacks[lumamock.CallbackNotify].Value
	var accepts *openapi3.Responses
	for _, item := range cb.Map() {
		accepts = item.Post.Responses
	}
	if accepts == nil || accepts.Len() == 0 {
		t.Fatal("the notify callback documents no answer")
	}
	for _, status := range []int{200, 201, 202, 204, 299, 400, 404, 500, 503} {
		accepted := accepts.Status(status) != nil
		t.Run(fmt.Sprintf("%d", status), func(t *testing.T) {
			srv := mocktest.NewServer(t, mock.Options{Pending: mock.Immediate, Processing: time.Hour})
			hook := mocktest.NewHookReceiver(t)
			hook.Respond(status)
			code, answer := submitJSON(t, srv.URL, map[string]any{"user_prompt": "wind", "notify_hook": hook.URL}, "")
			if code != http.StatusOK {
				t.Fatalf("submit: %d %v", code, answer)
			}
			srv.Advance(0)
			calls := srv.Mock.Callbacks()
			if len(calls) == 0 {
				t.Fatal("no callback attempt journaled")
			}
			got := calls[0].Outcome
			want := mock.OutcomeDelivered
			if !accepted {
				want = mock.OutcomeRetrying
			}
			if got != want {
				t.Errorf("a receiver answering %d (the document accepts it: %v): outcome %s, want %s", status, accepted, got, want)
			}
		})
	}
}

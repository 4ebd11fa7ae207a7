package admission_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"testing"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/internal/requestcases"
	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/proxy"
)

// answer is what a server said of one request: the status and the violated fields its error body names.
type answer struct {
	Status int
	Fields []string // "in field", sorted
}

func ask(t *testing.T, base string, c requestcases.Case) answer {
	t.Helper()
	req, err := c.Request(base)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	a := answer{Status: resp.StatusCode}
	var body struct {
		Errors []lumamock.Violation `json:"errors"`
	}
	if json.Unmarshal(data, &body) == nil {
		for _, v := range body.Errors {
			a.Fields = append(a.Fields, v.In+" "+v.Field)
		}
	}
	sort.Strings(a.Fields)
	a.Fields = slices.Compact(a.Fields)
	return a
}

// TestMockAndStrictProxyAgree sends every request the document refuses, and valid controls, to the mock and to
// lumamock proxy --strict in front of an upstream that accepts everything: both must answer the same status and
// name the same violated fields, since both judge with package admission.
func TestMockAndStrictProxyAgree(t *testing.T) {
	m, err := mock.New(mock.Options{MaxBody: requestcases.MaxBody, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	direct := httptest.NewServer(m)
	t.Cleanup(func() { direct.Close(); m.Close() })

	var forwarded int
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		forwarded++
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"code":200,"message":"success","request_id":"r-1","data":{"task_id":"t-1","task_status":"pending","created_at":1,"updated_at":1}}`)
	}))
	t.Cleanup(upstream.Close)
	p, err := proxy.New(proxy.Options{Upstream: upstream.URL, Strict: true, MaxBody: requestcases.MaxBody})
	if err != nil {
		t.Fatal(err)
	}
	proxied := httptest.NewServer(p)
	t.Cleanup(proxied.Close)

	cases := append(requestcases.Refused(), requestcases.Admitted()...)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			before := forwarded
			fromMock, fromProxy := ask(t, direct.URL, c), ask(t, proxied.URL, c)
			if fromMock.Status != c.Status {
				t.Errorf("mock: status %d, want %d", fromMock.Status, c.Status)
			}
			if fromProxy.Status != fromMock.Status || !slices.Equal(fromProxy.Fields, fromMock.Fields) {
				t.Errorf("the mock and the strict proxy disagree:\n mock:  %d %q\n proxy: %d %q", fromMock.Status, fromMock.Fields, fromProxy.Status, fromProxy.Fields)
			}
			if refused := c.Status >= 400; refused && forwarded != before {
				t.Errorf("the strict proxy forwarded a request the document refuses")
			}
		})
	}
}

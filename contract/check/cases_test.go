package check_test

import (
	"context"
	"io"
	"net/http"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/contract"
	"github.com/lumamock/lumamock/contract/check"
)

// TestCasesFollowTheDocument proves every case means what it says: requests of billable cases are valid, every
// negative body case breaks the document at the field it names, and every request schema property gets cases.
func TestCasesFollowTheDocument(t *testing.T) {
	doc := lumamock.MustLoad()
	cases, err := check.Cases(doc)
	if err != nil {
		t.Fatal(err)
	}
	checker, err := contract.NewChecker(doc, contract.CheckerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, c := range cases {
		if names[c.Name] {
			t.Errorf("case name %s is not unique", c.Name)
		}
		names[c.Name] = true
		if c.Billable == c.Negative {
			t.Errorf("case %s: billable %v, negative %v; want exactly one", c.Name, c.Billable, c.Negative)
		}
		for _, s := range c.Expect {
			if !slices.Contains(c.Allowed, s) {
				t.Errorf("case %s expects %d, which the document does not list (%v)", c.Name, s, c.Allowed)
			}
		}
		req, err := c.NewRequest(context.Background(), "http://127.0.0.1:1", testKey)
		if err != nil {
			t.Fatal(err)
		}
		var body []byte
		if req.Body != nil {
			body, _ = io.ReadAll(req.Body)
		}
		findings, err := checker.CheckRequest(context.Background(), req, body)
		if err != nil {
			t.Fatalf("case %s: %v", c.Name, err)
		}
		switch {
		case c.Billable && len(findings) > 0:
			t.Errorf("billable case %s breaks the document: %+v", c.Name, findings)
		case c.Negative && c.Method == http.MethodPost && c.Name != "not-acceptable" && len(findings) == 0:
			// (OpenAPI has no request rule for Accept; the document states the 406 in its responses.)
			t.Errorf("negative case %s is valid, so it cannot fail", c.Name)
		case c.Pointer != "" && !slices.ContainsFunc(findings, func(f contract.Finding) bool { return f.Pointer == c.Pointer }):
			t.Errorf("case %s names %s, but the violations are %+v", c.Name, c.Pointer, findings)
		}
	}
	schema := doc.Components.Schemas["GenerationRequest"].Value
	for prop := range schema.Properties {
		if !names["wrong-type-"+prop] {
			t.Errorf("no wrong-type case for %s", prop)
		}
		if len(schema.Properties[prop].Value.Enum) > 0 && !names["bad-enum-"+prop] {
			t.Errorf("no bad-enum case for %s", prop)
		}
	}
	for _, want := range []string{"missing-user_prompt", "empty-user_prompt", "malformed-json", "auth-missing", "auth-wrong-key",
		"wrong-content-type", "get-unknown-task", "create-source-example", "create-required-only"} {
		if !names[want] {
			t.Errorf("no case %s", want)
		}
	}
	// Free cases come first, billable ones in priority order, so --billable N runs the most telling N.
	var billable []string
	for i, c := range cases {
		if c.Billable {
			billable = append(billable, c.Name)
		} else if len(billable) > 0 {
			t.Errorf("free case %s (#%d) after a billable one", c.Name, i)
		}
	}
	if diff := cmp.Diff([]string{"create-source-example", "create-required-only"}, billable[:2]); diff != "" {
		t.Errorf("first billable cases (-want +got):\n%s", diff)
	}
}

func TestPlanHonoursBillable(t *testing.T) {
	for _, n := range []int{0, 1, 3} {
		run, skipped, err := check.Plan(check.Config{Billable: n})
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for _, c := range run {
			if c.Billable {
				got++
			}
		}
		if got != n || len(skipped) == 0 {
			t.Errorf("Billable %d: %d billable cases run, %d skipped", n, got, len(skipped))
		}
	}
}

func TestBaselineFormats(t *testing.T) {
	for name, data := range map[string]string{
		"report": `{"findings":[{"id":"a.body.undocumented-field#/x"},{"id":"b.status.slow#"}]}`,
		"ids":    `["a.body.undocumented-field#/x", "b.status.slow#"]`,
		"lines":  "# known drift\na.body.undocumented-field#/x\n\nb.status.slow#\n",
	} {
		b, err := check.ParseBaseline([]byte(data))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !b.Has("a.body.undocumented-field#/x") || !b.Has("b.status.slow#") || len(b) != 2 {
			t.Errorf("%s: baseline %v", name, b)
		}
	}
	if _, err := check.ParseBaseline([]byte(`{"findings": 3}`)); err == nil {
		t.Error("a malformed JSON baseline: want an error")
	}
}

package diff_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/lumamock/lumamock/contract/diff"
)

// A revision of the contract that requires a field clients could omit before is a breaking change.
func Example() {
	ctx := context.Background()
	base, err := diff.Read(ctx, "../../openapi.yaml", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	text, _ := os.ReadFile("../../openapi.yaml")
	changed := strings.Replace(string(text), "      required:\n        - user_prompt\n", "      required:\n        - user_prompt\n        - model_name\n", 1)
	revision, err := diff.Load(ctx, "changed.yaml", []byte(changed))
	if err != nil {
		fmt.Println(err)
		return
	}
	report := diff.Compare(base, revision)
	for _, f := range report.Findings {
		fmt.Println(f.Class, f.Rule, f.Pointer)
		fmt.Println(f.Reason)
	}
	fmt.Println("exit", report.ExitCode())
	// Output:
	// breaking request-property-required-added /components/schemas/GenerationRequest/properties/model_name
	// GenerationRequest.model_name became required: clients that omit it are refused
	// exit 1
}

// An Apifox page export is compared with openapi.yaml as far as the page says anything: the source page
// differs only where openapi.yaml settled a conflict on purpose.
func ExampleCompare_apifoxPage() {
	ctx := context.Background()
	doc, _ := diff.Read(ctx, "../../openapi.yaml", nil)
	page, err := diff.Read(ctx, "../../internal/apifox/testdata/luma-generations.apifox.txt", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(page.Format)
	report := diff.Compare(doc, page)
	for _, f := range report.Findings {
		fmt.Println(f.Rule, f.Settled)
	}
	fmt.Println(report.Summary())
	// Output:
	// apifox
	// known-settled /components/schemas/GenerationRequest/x-settled/required
	// known-settled /components/schemas/TaskResponse/x-settled/shape
	// known-settled /paths/~1luma~1generations/post/x-settled/headers
	// 0 breaking, 0 warning, 0 info; 3 known, settled
}

// Load refuses a $ref to another document: it is never fetched.
func ExampleLoad_remoteRef() {
	doc := "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    A:\n      $ref: 'https://example.com/a.yaml'\n"
	_, err := diff.Load(context.Background(), "doc.yaml", []byte(doc))
	fmt.Println(err)
	// Output:
	// doc.yaml: line 7: /components/schemas/A/$ref: $ref "https://example.com/a.yaml" is outside the document: refused, never fetched (inline it)
}

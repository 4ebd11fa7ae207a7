package diff

import (
	"context"
	"os"
	"strings"
	"testing"
)

// BenchmarkCompare measures Load of both sides and Compare: openapi.yaml against itself, against a changed
// copy, and against the Apifox source page.
func BenchmarkCompare(b *testing.B) {
	doc, err := os.ReadFile("../../openapi.yaml")
	if err != nil {
		b.Fatal(err)
	}
	changed := strings.NewReplacer(
		"      required:\n        - user_prompt\n", "      required:\n        - user_prompt\n        - model_name\n",
		"      enum: [pending, processing, completed, failed]\n", "      enum: [pending, processing, completed, failed, cancelled]\n",
	).Replace(string(doc))
	page, err := os.ReadFile("../../internal/apifox/testdata/luma-generations.apifox.txt")
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name     string
		revision []byte
	}{{"itself", doc}, {"changed", []byte(changed)}, {"apifox", page}} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				base, err := Load(ctx, "base", doc)
				if err != nil {
					b.Fatal(err)
				}
				rev, err := Load(ctx, "revision", bc.revision)
				if err != nil {
					b.Fatal(err)
				}
				if r := Compare(base, rev); bc.name == "changed" && len(r.Findings) == 0 {
					b.Fatal("no change found")
				}
			}
		})
	}
}

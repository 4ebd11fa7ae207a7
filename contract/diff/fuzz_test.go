package diff

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
)

// FuzzLoad: Load never panics; what it refuses is an *InputError of one line; what it accepts compares with
// itself as no change.
func FuzzLoad(f *testing.F) {
	for _, path := range []string{"testdata/corpus/base.yaml", "../../internal/apifox/testdata/luma-generations.apifox.txt"} {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(withComponents("    A:\n      $ref: '#/components/schemas/B'\n    B:\n      $ref: '#/components/schemas/A'\n")))
	f.Add([]byte(`{"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Load(context.Background(), "fuzz", data)
		if err != nil {
			var input *InputError
			if !errors.As(err, &input) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q: want an *InputError of one line", err)
			}
			return
		}
		if r := Compare(d, d); len(r.Findings) != 0 {
			t.Fatalf("a document compared with itself: %v", r.Findings)
		}
	})
}

// FuzzCompare: any document or page the fuzzer makes from the corpus base or the source page compares with
// the corpus base and with openapi.yaml, both ways, without a panic, and every finding has a rule's class, a
// pointer and a one-line reason.
func FuzzCompare(f *testing.F) {
	var sides []*Document
	for _, path := range []string{"testdata/corpus/base.yaml", "../../openapi.yaml", "../../internal/apifox/testdata/luma-generations.apifox.txt"} {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		d, err := Load(context.Background(), path, data)
		if err != nil {
			f.Fatal(err)
		}
		if d.Format == FormatOpenAPI {
			sides = append(sides, d)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Load(context.Background(), "fuzz", data)
		if err != nil {
			return
		}
		for _, b := range sides {
			for _, report := range []*Report{Compare(b, r), Compare(r, b)} {
				for _, f := range report.Findings {
					if f.Class != ruleClass[f.Rule] || !strings.HasPrefix(f.Pointer, "/") || f.Reason == "" || strings.Contains(f.Reason, "\n") {
						t.Fatalf("finding %+v", f)
					}
				}
			}
		}
	})
}

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

package diff

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const miniDoc = `openapi: 3.0.3
info: {title: t, version: "1"}
paths: {}
`

// withComponents is a minimal document with the given schemas (YAML, indented under components.schemas).
func withComponents(schemas string) string {
	return miniDoc + "components:\n  schemas:\n" + schemas
}

// TestBadInput: each input that cannot be compared is an *InputError whose message says, on one line, what is
// wrong and where.
func TestBadInput(t *testing.T) {
	tests := []struct {
		name, data string
		want       []string // substrings of the error
	}{
		{"empty", "", []string{"neither an OpenAPI document", "nor an Apifox page export"}},
		{"prose", "hello\nworld\n", []string{"neither an OpenAPI document"}},
		{"binary", "\x00\xff\xfe", []string{"not UTF-8"}},
		{"go.mod", "module x\n\ngo 1.25\n", []string{"neither an OpenAPI document"}},
		{"not YAML", "openapi: 3.0.3\ninfo: [\n", []string{"not YAML or JSON", "line"}},
		{"a list", "openapi:\n- 1\n", []string{"openapi"}},
		{"swagger 2", "openapi: 2.0\ninfo: {title: t, version: '1'}\npaths: {}\n", []string{"line 1", "only OpenAPI 3"}},
		{"invalid document", "openapi: 3.0.3\ninfo: {version: '1'}\npaths: {}\n", []string{"invalid OpenAPI document", "title"}},
		{"remote ref", withComponents("    A:\n      $ref: 'https://example.com/schemas.yaml#/A'\n"),
			[]string{"line 7", "/components/schemas/A/$ref", "outside the document", "never fetched"}},
		{"file ref", withComponents("    A:\n      type: object\n      properties:\n        b:\n          $ref: '../secrets.yaml'\n"),
			[]string{"line 10", "/components/schemas/A/properties/b/$ref", "refused"}},
		{"dangling ref", withComponents("    A:\n      $ref: '#/components/schemas/B'\n"), []string{"line 7", "points to nothing"}},
		{"ref cycle", withComponents("    A:\n      $ref: '#/components/schemas/B'\n    B:\n      $ref: '#/components/schemas/A'\n"),
			[]string{"line 7", "$ref cycle", "#/components/schemas/B → #/components/schemas/A → #/components/schemas/B"}},
		{"recursive schema", withComponents("    Node:\n      type: object\n      properties:\n        child:\n          $ref: '#/components/schemas/Node'\n"),
			[]string{"line 10", "$ref cycle #/components/schemas/Node → #/components/schemas/Node:"}},
		{"broken JSON", "{\"openapi\": \"3.0.3\",\n \"info\": {]\n}", []string{"line 2", "not JSON", "invalid character"}},
		{"page without JSON", "title\nPOST /x\n参数\nnot json\n", []string{"line 4", "参数", "not JSON"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := Load(context.Background(), "doc.yaml", []byte(tc.data))
			var input *InputError
			if !errors.As(err, &input) {
				t.Fatalf("err = %v, want an *InputError", err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "doc.yaml: ") || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line naming the input", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("took %s", d)
			}
		})
	}
}

// TestAliasBomb: a YAML alias bomb is refused before anything expands it, quickly and in bounded memory.
func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\nx-a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 12; i++ {
		b.WriteString("x-a" + itoa(i) + ": &a" + itoa(i) + " [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + itoa(i-1))
		}
		b.WriteString("]\n")
	}
	start := time.Now()
	_, err := Load(context.Background(), "bomb.yaml", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "YAML nodes") {
		t.Fatalf("err = %v, want a refusal", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %s", d)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestLargeInput: a file over MaxDocumentSize is refused unread (a 100 MB one allocates no more than a small one
// would), standard input is read only up to the cap, and inputs up to 10 MB that are not documents are refused
// with work bounded by the node cap, not by their size: at most maxAllocPerNode bytes allocated per node of
// maxNodes (and, without the race detector, at most a second of CPU).
func TestLargeInput(t *testing.T) {
	dir := t.TempDir()
	huge := filepath.Join(dir, "huge.yaml")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(100 << 20); err != nil { // sparse: 100 MB of zeros without writing them
		t.Fatal(err)
	}
	f.Close()
	if n := allocated(func() { _, err = Read(context.Background(), huge, nil) }); n > 1<<20 {
		t.Errorf("refusing the 100 MB file allocated %d MiB: it was read", n>>20)
	}
	if err == nil || !strings.Contains(err.Error(), "larger than 10 MiB") || !strings.Contains(err.Error(), "100.0 MiB") {
		t.Fatalf("err = %v", err)
	}
	// The same through a pipe (standard input): read only up to the cap.
	stdin := &endless{}
	_, err = Read(context.Background(), "-", stdin)
	if err == nil || !strings.Contains(err.Error(), "larger than 10 MiB") {
		t.Fatalf("stdin: err = %v", err)
	}
	if stdin.n > MaxDocumentSize+1 {
		t.Errorf("read %d bytes of standard input, want at most the cap and one byte (%d)", stdin.n, MaxDocumentSize+1)
	}

	for name, data := range map[string][]byte{
		"10 MB of text":           bytes.Repeat([]byte("lorem ipsum dolor sit amet\n"), (10<<20)/27),
		"10 MB YAML list":         append([]byte("openapi: 3.0.3\nx-list:\n"), bytes.Repeat([]byte("  - {a: 1, b: [2, 3]}\n"), (10<<20)/23)...),
		"10 MB broken JSON":       append([]byte(`{"openapi": "3.0.3", "x": [`), bytes.Repeat([]byte(`{"a": 1}, `), (10<<20)/11)...),
		"the most nodes, invalid": append([]byte("openapi: 3.0.3\npaths: {}\nx-list:\n"), bytes.Repeat([]byte("  - {a: 1}\n"), maxNodes/2-10)...),
		"the most nodes, bad ref": append([]byte("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\nx-list:\n"), append(bytes.Repeat([]byte("  - {a: 1}\n"), maxNodes/2-10), []byte("x-b: {$ref: 'http://example.com/x'}\n")...)...),
		"10 MB page, bad JSON":    append([]byte("t\nPOST /x\n参数\n{\"query\": ["), bytes.Repeat([]byte(`{"name": "q"}, `), (10<<20)/16)...),
	} {
		t.Run(name, func(t *testing.T) {
			var err error
			cpu := cpuTime()
			n := allocated(func() { _, err = Load(context.Background(), "big", data) })
			used := cpuTime() - cpu
			if err == nil {
				t.Fatal("accepted")
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %.200q", err)
			}
			t.Logf("%s: %s of CPU, %d MiB allocated: %.120s", name, used, n>>20, err)
			// Work, counted in bytes allocated: the same on a loaded machine, with or without the race detector.
			if limit := uint64(maxNodes * maxAllocPerNode); n > limit {
				t.Errorf("allocated %d MiB, more than %d MiB (%d bytes for each of the %d nodes allowed)", n>>20, limit>>20, maxAllocPerNode, maxNodes)
			}
			// CPU time, not the wall clock: a loaded machine must not fail the test, a slow parser must.
			if used > time.Second && !raceEnabled {
				t.Errorf("took %s of CPU", used)
			}
		})
	}
}

// maxAllocPerNode bounds what refusing an input may allocate for each YAML node of the cap: the inputs at the cap
// take about 1 KiB a node (91 MiB for 100,000 nodes); a parse of all 2 million nodes of a 10 MB list would take
// twenty times the bound.
const maxAllocPerNode = 2 << 10

// allocated returns how many bytes f allocates on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// endless is a reader that never ends; n counts the bytes read from it.
type endless struct{ n int64 }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	e.n += int64(len(p))
	return len(p), nil
}

// TestGitSides: REF:PATH reads from git, refusing refs that could be options or ranges; a missing ref or path
// is one line.
func TestGitSides(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	dir := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q", "-b", "main")
	if err := os.WriteFile(filepath.Join(dir, "openapi.yaml"), []byte(miniDoc), 0o644); err != nil {
		t.Fatal(err)
	}
	git("add", "openapi.yaml")
	git("commit", "-q", "-m", "one")
	t.Chdir(dir)

	d, err := Read(context.Background(), "main:openapi.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.File != "openapi.yaml" || d.Name != "main:openapi.yaml" || d.Format != FormatOpenAPI {
		t.Errorf("document = %q %q %q", d.Name, d.File, d.Format)
	}
	if _, err := Read(context.Background(), "HEAD~0:./openapi.yaml", nil); err != nil {
		t.Errorf("HEAD~0:./openapi.yaml: %v", err)
	}
	for arg, want := range map[string]string{
		"nosuch:openapi.yaml":     `no commit "nosuch"`,
		"main:missing.yaml":       `no file "missing.yaml" at main`,
		"--output=x:openapi.yaml": "no such file",
		"main..HEAD:openapi.yaml": "no such file",
		"-c:openapi.yaml":         "no such file",
		"main:\x00openapi.yaml":   "invalid argument",
	} {
		_, err := Read(context.Background(), arg, nil)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: err = %v, want one line with %q", arg, err, want)
		}
	}
	// An existing file named like REF:PATH is read as the file.
	if err := os.WriteFile(filepath.Join(dir, "main:openapi.yaml"), []byte("not a document"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(context.Background(), "main:openapi.yaml", nil); err == nil || !strings.Contains(err.Error(), "neither") {
		t.Errorf("a file named main:openapi.yaml: err = %v, want the file read", err)
	}
}

// TestLoaderNeverFetches: the loader behind Load, given a document with remote and file $refs directly (as
// if checkRefs had missed them), reads neither: the server sees no request and the file is not opened.
func TestLoaderNeverFetches(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte("type: string\n"))
	}))
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "schema.yaml")
	if err := os.WriteFile(file, []byte("type: string\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{srv.URL + "/schema.yaml", file, "schema.yaml"} {
		doc := withComponents("    A:\n      $ref: '" + ref + "'\n")
		_, err := newLoader(context.Background()).LoadFromData([]byte(doc))
		if err == nil || !strings.Contains(err.Error(), "never fetches") {
			t.Errorf("$ref %s: err = %v, want the loader's refusal", ref, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the server got %d requests", n)
	}
}

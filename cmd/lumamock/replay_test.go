package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// copyCassette copies the proxy's recorded cassette (a submission and two polls) into dir.
func copyCassette(t *testing.T, dir string) {
	t.Helper()
	src := filepath.Join("..", "..", "proxy", "testdata", "cassette")
	files, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(src, f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// serve --replay says how much it loaded, and refuses a directory that holds no recorded answer, naming the
// cassettes under it when there are some.
func TestServeReplaySaysWhatItLoaded(t *testing.T) {
	root := t.TempDir()
	happy := filepath.Join(root, "cassettes", "happy-path")
	copyCassette(t, happy)
	if err := os.MkdirAll(filepath.Join(root, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "empty", "notes.txt"), []byte("not a cassette"), 0o644); err != nil {
		t.Fatal(err)
	}

	ready := regexp.MustCompile(`(?m)^(replaying .*)$`)
	line, _, stop := startCommand(t, nil, "serve", ready, "--replay", happy)
	if want := "replaying 3 answers and 0 callbacks recorded in " + happy + "; the mock answers the rest"; line != want {
		t.Errorf("serve --replay printed %q, want %q", line, want)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	tests := []struct{ name, dir, want string }{
		{"an empty directory", filepath.Join(root, "empty"), "--replay " + filepath.Join(root, "empty") + ": no recorded answer there"},
		{"the directory of the cassettes", filepath.Join(root, "cassettes"), "did you mean --replay " + happy + "?"},
		{"a mistyped directory", filepath.Join(root, "cassettes", "happy-pth"), "no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, _ := runCLI(t, nil, "serve", "--addr", "127.0.0.1:0", "--replay", tt.dir)
			if code != 2 || !strings.Contains(out, tt.want) {
				t.Errorf("serve --replay %s: exit %d, output %q; want exit 2 and %q", tt.dir, code, out, tt.want)
			}
			if strings.Contains(out, "serving") {
				t.Errorf("serve --replay %s started serving:\n%s", tt.dir, out)
			}
		})
	}
}

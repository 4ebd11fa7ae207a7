//go:build unix

// Package scripts_test tests the scripts of this directory.
package scripts_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeBuilder is a buildah or docker that builds nothing: each call succeeds, and inspecting an image finds
// none.
const fakeBuilder = `#!/bin/sh
case "$1" in
  inspect|image) exit 1 ;;
esac
exit 0
`

// image.sh ends by printing the command that runs what it built, for the builder it used: buildah's images
// are podman's, named localhost/NAME when NAME has no registry.
func TestImageScriptPrintsHowToRunTheImage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the static binary")
	}
	bin := t.TempDir()
	for _, name := range []string{"buildah", "docker"} {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(fakeBuilder), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct{ builder, image, want string }{
		{"buildah", "", "run it: podman run --rm -p 8080:8080 localhost/lumamock:dev\n"},
		{"buildah", "ci/lumamock:1", "run it: podman run --rm -p 8080:8080 localhost/ci/lumamock:1\n"},
		{"buildah", "ghcr.io/acme/lumamock:1", "run it: podman run --rm -p 8080:8080 ghcr.io/acme/lumamock:1\n"},
		{"buildah", "localhost:5000/lumamock", "run it: podman run --rm -p 8080:8080 localhost:5000/lumamock\n"},
		{"docker", "", "run it: docker run --rm -p 8080:8080 lumamock:dev\n"},
	}
	for _, tt := range tests {
		t.Run(tt.builder+" "+tt.image, func(t *testing.T) {
			cmd := exec.Command("bash", "image.sh")
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "IMAGE=") && !strings.HasPrefix(kv, "PATH=") {
					cmd.Env = append(cmd.Env, kv)
				}
			}
			cmd.Env = append(cmd.Env, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "BUILDER="+tt.builder, "VERSION=1.2.3")
			if tt.image != "" { // else the default, lumamock:dev
				cmd.Env = append(cmd.Env, "IMAGE="+tt.image)
			}
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("image.sh: %v\n%s", err, out)
			}
			if !strings.HasSuffix(string(out), tt.want) {
				t.Errorf("image.sh ends with\n%s\nwant its last line %q", out, tt.want)
			}
		})
	}
}

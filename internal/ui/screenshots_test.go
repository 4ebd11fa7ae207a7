package ui_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestScreenshotsScriptRunsEveryShot: scripts/screenshots.sh, which refreshes docs/ui-*.png, runs every browser
// test that writes one, so no screenshot of the docs is left behind as the page changes.
func TestScreenshotsScriptRunsEveryShot(t *testing.T) {
	script, err := os.ReadFile(filepath.Join("..", "..", "scripts", "screenshots.sh"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`-run '([^']+)'`).FindSubmatch(script)
	if m == nil {
		t.Fatal("scripts/screenshots.sh has no -run '…' pattern")
	}
	runs := regexp.MustCompile(string(m[1]))
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	shots := 0
	for _, f := range files {
		if f == "screenshots_test.go" {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, fn := range strings.Split(string(src), "\nfunc ")[1:] {
			name, _, _ := strings.Cut(fn, "(")
			if !strings.HasPrefix(name, "Test") || !strings.Contains(fn, "shoot(t, ctx, ") {
				continue
			}
			shots++
			if !runs.MatchString(name) {
				t.Errorf("%s: %s writes a screenshot of the docs, but scripts/screenshots.sh does not run it", f, name)
			}
		}
	}
	if shots < 5 {
		t.Errorf("found %d tests writing screenshots; the test no longer finds them", shots)
	}
}

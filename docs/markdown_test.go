// Package docs_test holds the user documentation's tests: every shell example of README.md and docs/*.md runs
// against the lumamock binary built from this checkout, the flag tables equal each command's --help, and code
// blocks that mirror a file of the repository equal it.
//
// # How a page is read
//
// Every fenced code block names its language. Blocks in sh (or bash, shell, console) are commands: they run,
// one after the other in page order, each in a fresh `bash -eo pipefail`, in a scratch directory the page's
// blocks share, with the binary first on PATH. A json or text block directly after a command (nothing but
// blank lines between) is that command's standard output, checked loosely:
//
//   - text: each non-blank line, in order, matches a line of the output (other lines may come between);
//     "…" in a line matches any text.
//   - json: the output is the same JSON values. A string "…" matches any value; "…" inside a string matches
//     any text there; a member "…": "…" allows members not shown; a last array element "…" allows more
//     elements; a number from 1000000000 up (a Unix time) matches any such number.
//
// Examples say what a user types: 127.0.0.1:8080 for the mock, 127.0.0.1:9000 for lumamock hooks. The test
// moves every loopback port a page names (127.0.0.1:P, localhost:P, [::1]:P), in commands and in expected
// output, to a free port of its own, and sets LUMAMOCK_ADDR and LUMAMOCK_LISTEN to the ports standing for
// 8080 and 9000, so a bare `lumamock` or `lumamock hooks` listens there too. Commands may reach loopback
// addresses only, and `jq` is not on their PATH (users may not have it).
//
// An HTML comment on the line before a block (blank lines aside), or on the line right after its closing
// fence, tells the test more, directives separated by ";":
//
//	<!-- test: skip: REASON -->  the block is not run (a live API, a container runtime, the network); the
//	                             reason, the rest of the comment, is required
//	<!-- test: background -->    a server: it runs until the page ends, and is ready once it prints its first
//	                             line on stdout; an output block after it is checked when the page's other
//	                             blocks have run
//	<!-- test: exit N -->        the exit status the block ends with (default 0)
//	<!-- test: checkout -->      run in a clone of the repository at HEAD (made in the scratch directory, so
//	                             what the block writes stays there), for examples reading the repository's
//	                             files or its git history
//	<!-- test: timeout 2m -->    the block's time limit (default 30s)
//	<!-- test: file PATH -->     the block is the file PATH of the repository, exactly
//
// A block that is neither marked nor able to run fails the test.
package docs_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// repoRoot is the checkout's root, seen from this package's directory.
const repoRoot = ".."

// shellLangs are the languages of blocks that are commands.
var shellLangs = map[string]bool{"sh": true, "bash": true, "shell": true, "console": true}

// outputLangs are the languages of blocks that show a command's output when they follow it.
var outputLangs = map[string]bool{"text": true, "json": true}

// otherLangs are the languages of blocks that are neither commands nor output (nothing runs them).
var otherLangs = map[string]bool{
	"go": true, "yaml": true, "yml": true, "js": true, "javascript": true, "ts": true, "typescript": true,
	"http": true, "diff": true, "dockerfile": true, "toml": true, "ini": true, "html": true, "markdown": true,
}

// block is one fenced code block of a page.
type block struct {
	page  string // path relative to the repository's root
	line  int    // line of the opening fence, 1-based
	lang  string
	text  string // content, without the fence lines and the list indentation
	after int    // 1-based line of the directive comment, 0 when none

	skip       string        // skip: the reason
	background bool          // background
	exit       int           // exit N
	checkout   bool          // checkout
	timeout    time.Duration // timeout D
	file       string        // file PATH

	output *block // the output block that follows a command
	isOut  bool   // this block is a command's output
}

func (b *block) String() string { return fmt.Sprintf("%s:%d", b.page, b.line) }

func (b *block) shell() bool { return shellLangs[b.lang] }

var (
	fenceRE     = regexp.MustCompile("^( *)(```+|~~~+)\\s*([^\\s`]*)")
	directiveRE = regexp.MustCompile(`^\s*<!--\s*test:\s*(.*?)\s*-->\s*$`)
)

// pages are the documentation's pages: README.md and docs/*.md, relative to the repository's root.
func pages(t *testing.T) []string {
	t.Helper()
	docs, err := filepath.Glob(filepath.Join(repoRoot, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	out := []string{"README.md"}
	for _, d := range docs {
		out = append(out, filepath.ToSlash(strings.TrimPrefix(d, repoRoot+string(filepath.Separator))))
	}
	sort.Strings(out[1:])
	return out
}

// parsePage reads a page's fenced code blocks and their directives.
func parsePage(page string) ([]*block, error) {
	f, err := os.Open(filepath.Join(repoRoot, page))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", page, err)
	}
	var blocks []*block
	var errs []string
	fail := func(line int, format string, args ...any) {
		errs = append(errs, fmt.Sprintf("%s:%d: %s", page, line, fmt.Sprintf(format, args...)))
	}
	prevEnd := -1 // index of the closing fence of the previous block
	for i := 0; i < len(lines); i++ {
		m := fenceRE.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		indent, fence, lang := len(m[1]), m[2], strings.ToLower(m[3])
		b := &block{page: page, line: i + 1, lang: lang, timeout: 30 * time.Second}
		var body []string
		j := i + 1
		for ; j < len(lines); j++ {
			l := lines[j]
			if trimmed := strings.TrimLeft(l, " "); strings.HasPrefix(trimmed, fence[:1]) && strings.Trim(strings.TrimSpace(trimmed), fence[:1]) == "" && len(strings.TrimSpace(trimmed)) >= len(fence) {
				break
			}
			n := 0
			for n < indent && n < len(l) && l[n] == ' ' {
				n++
			}
			body = append(body, l[n:])
		}
		if j == len(lines) {
			fail(i+1, "code block never closed")
			break
		}
		b.text = strings.Join(body, "\n") + "\n"
		// The directive: on the last non-blank line before the fence, or on the line right after the closing
		// fence.
		k := i - 1
		for k > prevEnd && strings.TrimSpace(lines[k]) == "" {
			k--
		}
		for _, at := range []int{k, j + 1} {
			if at <= prevEnd || at >= len(lines) {
				continue
			}
			if dm := directiveRE.FindStringSubmatch(lines[at]); dm != nil {
				if b.after != 0 {
					fail(at+1, "a second directive for the block of line %d: put them in one comment, separated by ;", i+1)
				}
				b.after = at + 1
				if err := b.directives(dm[1]); err != nil {
					fail(at+1, "%v", err)
				}
			} else if strings.Contains(lines[at], "<!--") && strings.Contains(lines[at], "test") {
				fail(at+1, "a comment next to a code block that is not a directive: write <!-- test: DIRECTIVE -->")
			}
		}
		switch {
		case lang == "":
			fail(i+1, "a code block without a language: write sh for commands (they run), text or json for their output, or the language of the code")
		case !shellLangs[lang] && !outputLangs[lang] && !otherLangs[lang]:
			fail(i+1, "code block language %q is not known here: sh for commands (they run), text or json for output, or one of %s", lang, strings.Join(sortedKeys(otherLangs), ", "))
		}
		if b.background && !b.shell() {
			fail(i+1, "background applies to commands (sh) only")
		}
		// An output block: directly after a command, blank lines aside, with no directive of its own.
		if outputLangs[lang] && len(blocks) > 0 && b.after == 0 {
			prev := blocks[len(blocks)-1]
			between := true
			for _, l := range lines[prevEnd+1 : i] {
				if strings.TrimSpace(l) != "" {
					between = false
				}
			}
			if prev.shell() && between {
				prev.output, b.isOut = b, true
			}
		}
		blocks = append(blocks, b)
		prevEnd = j
		if b.after == j+2 { // the directive after the fence is this block's
			prevEnd = j + 1
		}
		i = j
	}
	if len(errs) > 0 {
		return blocks, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return blocks, nil
}

// directives reads the text of a <!-- test: ... --> comment into b.
func (b *block) directives(s string) error {
	for s != "" {
		var d string
		d, s, _ = strings.Cut(s, ";")
		d = strings.TrimSpace(d)
		word, arg, _ := strings.Cut(d, " ")
		arg = strings.TrimSpace(arg)
		switch {
		case strings.HasPrefix(d, "skip"): // the reason is the rest of the comment, ";" included
			reason := strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(d, "skip"), ":"))
			if s != "" {
				reason += ";" + s
				s = ""
			}
			if reason == "" {
				return fmt.Errorf("skip needs a reason: <!-- test: skip: why it cannot run -->")
			}
			b.skip = reason
		case d == "background":
			b.background = true
		case d == "checkout":
			b.checkout = true
		case word == "exit":
			n, err := strconv.Atoi(arg)
			if err != nil {
				return fmt.Errorf("exit %q: want a number", arg)
			}
			b.exit = n
		case word == "timeout":
			dur, err := time.ParseDuration(arg)
			if err != nil || dur <= 0 {
				return fmt.Errorf("timeout %q: want a duration such as 2m", arg)
			}
			b.timeout = dur
		case word == "file":
			if arg == "" {
				return fmt.Errorf("file needs the path of the file the block equals")
			}
			b.file = arg
		default:
			return fmt.Errorf("unknown directive %q: want skip: REASON, background, exit N, checkout, timeout D or file PATH", d)
		}
	}
	return nil
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestPagesParse fails on a code block without a language, an unknown language or directive, or a skip without
// its reason, in any page.
func TestPagesParse(t *testing.T) {
	for _, page := range pages(t) {
		if _, err := parsePage(page); err != nil {
			t.Error(err)
		}
	}
}

// TestCodeBlocksEqualTheirFiles holds every block marked <!-- test: file PATH --> to the file it copies.
func TestCodeBlocksEqualTheirFiles(t *testing.T) {
	n := 0
	for _, page := range pages(t) {
		blocks, _ := parsePage(page)
		for _, b := range blocks {
			if b.file == "" {
				continue
			}
			n++
			want, err := os.ReadFile(filepath.Join(repoRoot, filepath.FromSlash(b.file)))
			if err != nil {
				t.Errorf("%s: %v", b, err)
				continue
			}
			if b.text != string(want) {
				t.Errorf("%s: the block is not %s as it is: copy the file into the block again\n%s", b, b.file, lineDiff(string(want), b.text))
			}
		}
	}
	if n == 0 {
		t.Error("no block is marked <!-- test: file PATH -->: the README's mocktest example should be")
	}
}

// lineDiff shows the first line where got leaves want.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("first difference at line %d:\n  file:  %q\n  block: %q", i+1, wl, gl)
		}
	}
	return ""
}

func TestParsePage(t *testing.T) {
	dir := t.TempDir()
	page := filepath.Join(dir, "p.md")
	text := "# p\n\n<!-- test: background -->\n```sh\nlumamock\n```\n\n```text\nlumamock … serving\n```\n\nprose\n\n```json\n{}\n```\n\n" +
		"- item:\n\n  <!-- test: exit 1; skip: needs a live API; and a key -->\n  ```sh\n  lumamock check\n  ```\n"
	if err := os.WriteFile(page, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(root, page)
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := parsePage(rel)
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 4 {
		t.Fatalf("got %d blocks, want 4", len(blocks))
	}
	if b := blocks[0]; !b.background || b.output != blocks[1] || b.text != "lumamock\n" {
		t.Errorf("block 1: %+v", b)
	}
	if blocks[2].isOut {
		t.Error("a json block after prose was read as output")
	}
	if b := blocks[3]; b.skip != "needs a live API; and a key" || b.exit != 1 || b.text != "lumamock check\n" {
		t.Errorf("block 4: skip %q exit %d text %q", b.skip, b.exit, b.text)
	}

	// A directive right after the closing fence is the block's; the next block's comes before it.
	after := "```sh\ngo test ./...\n```\n<!-- test: skip: runs the tests -->\n\n<!-- test: exit 2 -->\n```sh\nlumamock x\n```\n"
	if err := os.WriteFile(page, []byte(after), 0o644); err != nil {
		t.Fatal(err)
	}
	if blocks, err = parsePage(rel); err != nil || len(blocks) != 2 || blocks[0].skip != "runs the tests" || blocks[1].skip != "" || blocks[1].exit != 2 {
		t.Errorf("directives after a fence: %v, %+v", err, blocks)
	}

	for _, bad := range []string{"```\nx\n```\n", "```shellscript\nx\n```\n", "<!-- test: skip -->\n```sh\nx\n```\n", "<!-- test: backgrund -->\n```sh\nx\n```\n"} {
		if err := os.WriteFile(page, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := parsePage(rel); err == nil {
			t.Errorf("%q parsed without an error", bad)
		}
	}
}

// The README is the front door: short, and opening with the two commands a checkout needs.
func TestReadmeIsTheFrontDoor(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	if len(lines) > 200 {
		t.Errorf("README.md has %d lines, more than 200: move the detail to a page of docs/ and link it", len(lines))
	}
	want := []string{
		"# lumamock",
		"",
		"```sh",
		"go run ./cmd/lumamock     # the mock, on http://127.0.0.1:8080, no configuration needed",
		"go test ./...             # the tests",
		"```",
	}
	if len(lines) < len(want) || strings.Join(lines[:len(want)], "\n") != strings.Join(want, "\n") {
		t.Errorf("README.md does not open with the set-up commands:\n%s", strings.Join(want, "\n"))
	}
	if !strings.Contains(string(raw), "\n## Documentation\n") {
		t.Error("README.md has no Documentation list for the docs/ pages")
	}
	for _, page := range pages(t)[1:] {
		if !strings.Contains(string(raw), "("+page+")") {
			t.Errorf("README.md's Documentation list does not link %s", page)
		}
	}
}

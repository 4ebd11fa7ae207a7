//go:build unix

package docs_test

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the flag tables of docs/ from each command's --help")

// refresh is how to bring the flag tables in line with --help.
const refresh = "go test ./docs -run TestFlagTables -update"

var (
	commandRE    = regexp.MustCompile(`(?m)^  lumamock \[?([a-z]+)\b`)
	flagsBeginRE = regexp.MustCompile(`^<!-- flags: lumamock ([a-z]+) -->$`)
	flagsEnd     = "<!-- end of flags -->"
	helpFlagRE   = regexp.MustCompile(`^  -([a-z0-9-]+)(?: (\S+))?(?:\t(.*))?$`)
	defaultRE    = regexp.MustCompile(` \(default (.*)\)$`)
)

// helpOf runs "lumamock ARGS" and returns what it printed on stdout and stderr.
func helpOf(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(filepath.Join(bin, "lumamock"), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("lumamock %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// flagTable renders the flags a command's --help lists as a Markdown table.
func flagTable(help string) (string, error) {
	_, flags, ok := strings.Cut(help, "\nFlags:\n")
	if !ok {
		return "", nil
	}
	var b strings.Builder
	b.WriteString("| flag | default | meaning |\n|---|---|---|\n")
	sc := bufio.NewScanner(strings.NewReader(flags))
	var name, kind string
	var usage []string
	emit := func() {
		if name == "" {
			return
		}
		text := strings.Join(usage, " ")
		def := ""
		if m := defaultRE.FindStringSubmatch(text); m != nil {
			text = strings.TrimSuffix(text, m[0])
			def = m[1]
			if u, err := strconv.Unquote(def); err == nil {
				def = u
			}
		}
		f := "--" + name
		if kind != "" {
			f += " " + kind
		}
		if def != "" {
			def = "`" + def + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", f, def, escapeCell(text))
		name, kind, usage = "", "", nil
	}
	for sc.Scan() {
		line := sc.Text()
		if m := helpFlagRE.FindStringSubmatch(line); m != nil {
			emit()
			name, kind = m[1], m[2]
			if m[3] != "" {
				usage = append(usage, strings.TrimSpace(m[3]))
			}
			continue
		}
		if strings.HasPrefix(line, "    \t") && name != "" {
			usage = append(usage, strings.TrimSpace(line))
			continue
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		return "", fmt.Errorf("a --help line this test does not read: %q", line)
	}
	emit()
	return b.String(), nil
}

// escapeCell keeps text literal in a Markdown table cell.
func escapeCell(s string) string {
	return strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;", "*", `\*`, "`", "\\`").Replace(s)
}

// TestFlagTables holds each command's flag table in docs/ to the command's --help. With -update it writes the
// tables from --help.
func TestFlagTables(t *testing.T) {
	bin := lumamockBin(t)
	want := map[string]string{} // command → its table
	for _, m := range commandRE.FindAllStringSubmatch(helpOf(t, bin, "help"), -1) {
		table, err := flagTable(helpOf(t, bin, m[1], "--help"))
		if err != nil {
			t.Fatalf("lumamock %s --help: %v", m[1], err)
		}
		if table != "" {
			want[m[1]] = table
		}
	}
	if len(want) < 5 {
		t.Fatalf("only %d commands with flags in lumamock help; the test no longer reads its list", len(want))
	}
	found := map[string]string{} // command → the page that has its table
	for _, page := range pages(t) {
		path := filepath.Join(repoRoot, page)
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitAfter(string(raw), "\n")
		var out []string
		changed := false
		for i := 0; i < len(lines); i++ {
			out = append(out, lines[i])
			m := flagsBeginRE.FindStringSubmatch(strings.TrimSpace(lines[i]))
			if m == nil {
				continue
			}
			cmd := m[1]
			end := i + 1
			for end < len(lines) && strings.TrimSpace(lines[end]) != flagsEnd {
				end++
			}
			if end == len(lines) {
				t.Errorf("%s:%d: the flags of lumamock %s have no %s line", page, i+1, cmd, flagsEnd)
				break
			}
			got := strings.Join(lines[i+1:end], "")
			table, ok := want[cmd]
			switch {
			case !ok:
				t.Errorf("%s:%d: lumamock %s has no flags in --help (or is no command)", page, i+1, cmd)
				table = got
			case found[cmd] != "":
				t.Errorf("%s:%d: a second table of lumamock %s's flags (the first is in %s): keep one", page, i+1, cmd, found[cmd])
			}
			found[cmd] = page
			if got != table {
				if *update {
					changed = true
				} else {
					t.Errorf("%s:%d: the flags table of lumamock %s is not what `lumamock %s --help` says; refresh the tables with\n\t%s\n%s", page, i+1, cmd, cmd, refresh, lineDiff(table, got))
				}
			}
			out = append(out, table)
			i = end - 1
		}
		if changed {
			if err := os.WriteFile(path, []byte(strings.Join(out, "")), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("rewrote the flag tables of %s", page)
		}
	}
	for cmd := range want {
		if found[cmd] == "" {
			t.Errorf("no page in docs/ has the flags of lumamock %s: add the lines\n\t<!-- flags: lumamock %s -->\n\t%s\nwhere they belong and run\n\t%s", cmd, cmd, flagsEnd, refresh)
		}
	}
}

func TestFlagTable(t *testing.T) {
	help := "Usage: x\n\nFlags:\n  -addr address\n    \tlisten address (default \"127.0.0.1:8080\")\n  -strict\n    \tanswer a | b with <code>\n  -n int\n    \tcount (default 3)\n"
	got, err := flagTable(help)
	if err != nil {
		t.Fatal(err)
	}
	want := "| flag | default | meaning |\n|---|---|---|\n" +
		"| `--addr address` | `127.0.0.1:8080` | listen address |\n" +
		"| `--strict` |  | answer a \\| b with &lt;code&gt; |\n" +
		"| `--n int` | `3` | count |\n"
	if got != want {
		t.Errorf("flagTable:\n%s\nwant:\n%s", got, want)
	}
	if _, err := flagTable(help + "  something else\n"); err == nil {
		t.Error("a line the test cannot read went unnoticed")
	}
}

// otherTools are the flags the pages name that belong to other programs, with whose they are.
var otherTools = map[string]string{
	"help":                 "every command's --help (package flag)",
	"default-non-nullable": "openapi-typescript",
	"skip":                 "goreleaser release",
	"verify":               "scripts/image.sh",
}

// proseFlagRE finds a flag named in a page's text: a code span that starts with --NAME. A NAME ending in "-"
// names a family (`--fault-…`).
var proseFlagRE = regexp.MustCompile("`--([a-z][a-z0-9-]*)")

// TestFlagsNamedInProseExist checks that every flag the pages' text names (outside code blocks, which
// TestShellExamples runs) is a flag of some lumamock command, or of another tool the page is about: a page
// must not promise a flag no command has.
func TestFlagsNamedInProseExist(t *testing.T) {
	bin := lumamockBin(t)
	known := map[string]bool{}
	for _, m := range commandRE.FindAllStringSubmatch(helpOf(t, bin, "help"), -1) {
		help := helpOf(t, bin, m[1], "--help")
		for _, line := range strings.Split(help, "\n") {
			if f := helpFlagRE.FindStringSubmatch(line); f != nil {
				known[f[1]] = true
			}
		}
	}
	if len(known) < 50 {
		t.Fatalf("only %d flags in the commands' --help; the test no longer reads them", len(known))
	}
	for _, page := range pages(t) {
		raw, err := os.ReadFile(filepath.Join(repoRoot, page))
		if err != nil {
			t.Fatal(err)
		}
		fenced := false
		for i, line := range strings.Split(string(raw), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "```") {
				fenced = !fenced
				continue
			}
			if fenced {
				continue
			}
			for _, m := range proseFlagRE.FindAllStringSubmatch(line, -1) {
				name := m[1]
				if known[name] || otherTools[name] != "" {
					continue
				}
				if strings.HasSuffix(name, "-") && hasPrefix(known, name) {
					continue
				}
				t.Errorf("%s:%d: `--%s` is no flag of any lumamock command (nor of the other tools in otherTools)", page, i+1, name)
			}
		}
	}
}

// hasPrefix reports whether a name in set starts with prefix.
func hasPrefix(set map[string]bool, prefix string) bool {
	for name := range set {
		if strings.HasPrefix(name, prefix) {
			return true
		}
	}
	return false
}

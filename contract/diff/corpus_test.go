package diff

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the want sections of testdata/corpus and the golden reports in testdata/")

// archive is a txtar file: a comment, then "-- name --" sections.
type archive struct {
	comment  string
	sections []section
}

type section struct {
	name string
	data string
}

func parseArchive(data string) archive {
	var a archive
	marker := regexp.MustCompile(`(?m)^-- (.+) --$`)
	locs := marker.FindAllStringSubmatchIndex(data, -1)
	if len(locs) == 0 {
		return archive{comment: data}
	}
	a.comment = data[:locs[0][0]]
	for i, loc := range locs {
		end := len(data)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		body := data[loc[1]:end]
		body = strings.TrimPrefix(body, "\n")
		a.sections = append(a.sections, section{name: data[loc[2]:loc[3]], data: body})
	}
	return a
}

func (a archive) format() string {
	var b strings.Builder
	b.WriteString(a.comment)
	for _, s := range a.sections {
		fmt.Fprintf(&b, "-- %s --\n%s", s.name, s.data)
	}
	return b.String()
}

func (a archive) get(name string) (string, bool) {
	for _, s := range a.sections {
		if s.name == name {
			return s.data, true
		}
	}
	return "", false
}

// pair builds the two sides of a corpus archive. base is base.yaml unless a "base" section names another file
// (relative to the archive), edited by its base-old/base-new sections; the revision is a "revision"
// section's file, else the base with each "old" section replaced by the "new" section after it.
func pair(t *testing.T, path string, a archive) (base, revision *Document) {
	t.Helper()
	dir := filepath.Dir(path)
	ctx := context.Background()
	read := func(name string) (string, []byte) {
		p := filepath.Join(dir, strings.TrimSpace(name))
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return p, data
	}
	baseName := "base.yaml"
	if n, ok := a.get("base"); ok {
		baseName = n
	}
	basePath, baseData := read(baseName)
	baseData = []byte(edit(t, string(baseData), a, "base-old", "base-new"))
	base, err := Load(ctx, basePath, baseData)
	if err != nil {
		t.Fatalf("base: %v", err)
	}
	if n, ok := a.get("revision"); ok {
		revPath, revData := read(n)
		if revision, err = Load(ctx, revPath, revData); err != nil {
			t.Fatalf("revision: %v", err)
		}
		return base, revision
	}
	text := edit(t, string(baseData), a, "old", "new")
	if revision, err = Load(ctx, path+" (revision)", []byte(text)); err != nil {
		t.Fatalf("revision: %v", err)
	}
	return base, revision
}

// edit replaces, in text, each section named old by the section named new that follows it; each old text
// must occur exactly once.
func edit(t *testing.T, text string, a archive, old, new string) string {
	t.Helper()
	for i, s := range a.sections {
		if s.name != old {
			continue
		}
		if i+1 >= len(a.sections) || a.sections[i+1].name != new {
			t.Fatalf("a %s section without a %s section after it", old, new)
		}
		if n := strings.Count(text, s.data); n != 1 {
			t.Fatalf("%s text occurs %d times, want once:\n%s", old, n, s.data)
		}
		text = strings.Replace(text, s.data, a.sections[i+1].data, 1)
	}
	return text
}

// wantLines renders findings as the corpus writes them: mark, rule, pointer and subject.
func wantLines(r *Report) string {
	var lines []string
	for _, f := range r.Findings {
		line := f.mark() + " " + f.Rule + " " + orRoot(f.Pointer)
		if f.Subject != "" {
			line += " " + f.Subject
		}
		lines = append(lines, line)
	}
	sort.Strings(lines)
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}

// TestCorpus: every document pair in testdata/corpus is classified as its want section says, and each rule of
// Rules is shown by at least one pair.
func TestCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/corpus/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	covered := map[string]bool{}
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			a := parseArchive(string(data))
			base, revision := pair(t, path, a)
			r := Compare(base, revision)
			for _, f := range r.Findings {
				covered[f.Rule] = true
				if f.Class != ruleClass[f.Rule] {
					t.Errorf("%s: class %s, the rule's is %s", f.ID, f.Class, ruleClass[f.Rule])
				}
				if f.Reason == "" || strings.Contains(f.Reason, "\n") {
					t.Errorf("%s: reason %q is not one line", f.ID, f.Reason)
				}
				if !strings.HasPrefix(f.Pointer, "/") {
					t.Errorf("%s: pointer %q", f.ID, f.Pointer)
				}
				switch doc := map[string]*Document{InBase: base, InRevision: revision}[f.In]; {
				case doc.root != nil && !doc.has(f.Pointer):
					t.Errorf("%s: the pointer names nothing in the %s", f.ID, f.In)
				case doc.Format == FormatApifox && !strings.HasPrefix(f.Pointer, "/paths/"):
					t.Errorf("%s: the pointer is not into the %s, a page's fragment", f.ID, f.In)
				}
			}
			got := wantLines(r)
			if *update {
				for i := range a.sections {
					if a.sections[i].name == "want" {
						a.sections[i].data = got
					}
				}
				if _, ok := a.get("want"); !ok {
					a.sections = append(a.sections, section{"want", got})
				}
				if err := os.WriteFile(path, []byte(a.format()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, ok := a.get("want")
			if !ok {
				t.Fatal("no want section (go test ./contract/diff -run TestCorpus -update writes it; check it by hand)")
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s\nreport:\n%s", diff, reportText(t, r))
			}
		})
	}
	var missing []string
	for _, rule := range Rules {
		if !covered[rule.ID] {
			missing = append(missing, rule.ID)
		}
	}
	if len(missing) > 0 && !t.Failed() {
		t.Errorf("rules no corpus pair shows: %s", strings.Join(missing, ", "))
	}
}

func reportText(t *testing.T, r *Report) string {
	var buf bytes.Buffer
	if err := r.Write(&buf, "text"); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestIdenticalDocuments: a document compared with itself has no change.
func TestIdenticalDocuments(t *testing.T) {
	for _, path := range []string{"../../openapi.yaml", "testdata/corpus/base.yaml", "../../internal/apifox/testdata/luma-generations.apifox.txt"} {
		d, err := Read(context.Background(), path, nil)
		if err != nil {
			t.Fatal(err)
		}
		r := Compare(d, d)
		if len(r.Findings) != 0 || r.ExitCode() != ExitOK {
			t.Errorf("%s against itself:\n%s", path, reportText(t, r))
		}
	}
}

// TestRulesDocumented: docs/contract-changes.md lists every rule with its class, and nothing else.
func TestRulesDocumented(t *testing.T) {
	data, err := os.ReadFile("../../docs/contract-changes.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `([a-z-]+)` \\| (breaking|warning|info) \\|")
	documented := map[string]Class{}
	for _, m := range row.FindAllStringSubmatch(string(data), -1) {
		documented[m[1]] = Class(m[2])
	}
	for _, rule := range Rules {
		if c, ok := documented[rule.ID]; !ok {
			t.Errorf("rule %s is not in the docs' table", rule.ID)
		} else if c != rule.Class {
			t.Errorf("rule %s: the docs say %s, the rule is %s", rule.ID, c, rule.Class)
		}
		delete(documented, rule.ID)
	}
	for id := range documented {
		t.Errorf("the docs list %s, which is not a rule", id)
	}
}

package diff

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v4"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/internal/apifox"
)

// MaxDocumentSize bounds what one side of a comparison may be; a larger input is refused unread.
const MaxDocumentSize = 10 << 20

// maxNodes bounds the YAML nodes of a document, aliases expanded, so that an alias bomb is refused before
// anything expands it, and so that parsing (which costs about a microsecond and 200 bytes per node) stays
// well under a second. openapi.yaml has about 3,000.
const maxNodes = 100_000

// Format says what a side of a comparison was read as.
type Format string

// The formats Load recognises.
const (
	FormatOpenAPI Format = "openapi" // an OpenAPI 3 document, YAML or JSON
	FormatApifox  Format = "apifox"  // an Apifox page export, one endpoint
)

// Document is one side of a comparison: an OpenAPI document, or an Apifox page read as an OpenAPI fragment
// (which says only what the page says).
type Document struct {
	// Name is the side as given: a file path, "-" for standard input, or REF:PATH.
	Name string
	// File is the path annotations name (the PATH of REF:PATH), "" for standard input.
	File   string
	Format Format
	// T is the document (for an Apifox page, its fragment). Treat it as read-only.
	T *openapi3.T

	root *yaml.Node   // the OpenAPI text's tree, for lines; nil for a page
	page *apifox.Page // the page, for an Apifox side
}

// InputError says why a side could not be read; lumamock diff exits 2 on it.
type InputError struct {
	Name string // the side as given
	Err  error
}

func (e *InputError) Error() string { return e.Name + ": " + e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// Read reads one side given as a command-line argument: "-" reads stdin, an existing file is read as a file,
// and REF:PATH (when no such file exists) is read from git with `git cat-file blob REF:PATH` in the current
// directory. At most MaxDocumentSize bytes are read. Errors are *InputError.
func Read(ctx context.Context, arg string, stdin io.Reader) (*Document, error) {
	var data []byte
	var err error
	file := arg
	switch {
	case arg == "-":
		file = ""
		data, err = readCapped(stdin)
	default:
		if ref, path, ok := gitSpec(arg); ok {
			if _, statErr := os.Stat(arg); statErr != nil {
				file = path
				data, err = gitShow(ctx, ref, path)
				break
			}
		}
		data, err = readFile(arg)
	}
	if err != nil {
		return nil, &InputError{Name: arg, Err: err}
	}
	d, err := Load(ctx, arg, data)
	if d != nil {
		d.File = file
	}
	return d, err
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > MaxDocumentSize {
		return nil, fmt.Errorf("%s: larger than %d MiB, not read", size(fi.Size()), MaxDocumentSize>>20)
	} else if err == nil && fi.IsDir() {
		return nil, errors.New("is a directory")
	}
	return readCapped(f)
}

// readCapped reads r to its end, refusing more than MaxDocumentSize bytes.
func readCapped(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxDocumentSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxDocumentSize {
		return nil, fmt.Errorf("larger than %d MiB, not read", MaxDocumentSize>>20)
	}
	return data, nil
}

func size(n int64) string {
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
}

// Load reads data as an OpenAPI 3 document (YAML or JSON) or an Apifox page export, recognised by content.
// An OpenAPI document must load and validate with kin-openapi; $refs outside it are refused (never fetched),
// and so are $ref cycles. name says where data came from, in errors. Errors are *InputError.
func Load(ctx context.Context, name string, data []byte) (*Document, error) {
	d, err := load(ctx, data)
	if err != nil {
		return nil, &InputError{Name: name, Err: err}
	}
	d.Name, d.File = name, name
	return d, nil
}

func load(ctx context.Context, data []byte) (*Document, error) {
	if len(data) > MaxDocumentSize {
		return nil, fmt.Errorf("larger than %d MiB, not read", MaxDocumentSize>>20)
	}
	if !utf8.Valid(data) {
		return nil, errors.New("neither an OpenAPI document nor an Apifox page export: not UTF-8 text")
	}
	if apifox.Recognize(data) {
		page, err := apifox.Parse(data)
		if err != nil {
			return nil, err
		}
		t, err := page.OpenAPI()
		if err != nil {
			return nil, err
		}
		return &Document{Format: FormatApifox, T: t, page: page}, nil
	}
	if !looksLikeOpenAPI(data) {
		return nil, errors.New("neither an OpenAPI document (no top-level \"openapi\" key) nor an Apifox page export (no \"METHOD /path\" line and 参数/请求体/响应 sections)")
	}
	// Bounds before any parser runs: an estimate of the nodes (line breaks, commas and colons: a node
	// follows most of them), and JSON's syntax, which encoding/json checks a hundred times faster than a YAML
	// parser.
	if n := bytes.Count(data, []byte("\n")) + bytes.Count(data, []byte(",")) + bytes.Count(data, []byte(":")); n > maxNodes {
		return nil, fmt.Errorf("too large to compare: about %d YAML nodes (at most %d)", n, maxNodes)
	}
	if trimmed := bytes.TrimLeft(data, "\ufeff \t\r\n"); bytes.HasPrefix(trimmed, []byte("{")) {
		var v any
		if err := json.Unmarshal(trimmed, &v); err != nil {
			var syntax *json.SyntaxError
			if errors.As(err, &syntax) {
				off := int(syntax.Offset) + len(data) - len(trimmed)
				return nil, fmt.Errorf("line %d: not JSON: %s", 1+bytes.Count(data[:min(off, len(data))], []byte("\n")), syntax.Error())
			}
			return nil, fmt.Errorf("not JSON: %s", oneLine(err.Error()))
		}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("not YAML or JSON: %s", oneLine(err.Error()))
	}
	top := document(&root)
	if top == nil || top.Kind != yaml.MappingNode {
		return nil, errors.New("not an OpenAPI document: the top level is not a mapping")
	}
	version := child(top, "openapi")
	if version == nil {
		return nil, errors.New("not an OpenAPI document: no top-level \"openapi\" key")
	}
	if !strings.HasPrefix(version.Value, "3.") {
		return nil, fmt.Errorf("line %d: openapi %q: only OpenAPI 3 is read", version.Line, version.Value)
	}
	if err := checkRefs(top); err != nil {
		return nil, err
	}
	t, err := newLoader(ctx).LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("invalid OpenAPI document: %s", oneLine(err.Error()))
	}
	if err := t.Validate(ctx); err != nil {
		msg := err.Error()
		if i := strings.Index(msg, "\nSchema:\n"); i >= 0 {
			msg = msg[:i]
		}
		return nil, fmt.Errorf("invalid OpenAPI document: %s", oneLine(msg))
	}
	if _, _, err := lumamock.ReadLifecycle(t); err != nil {
		return nil, fmt.Errorf("invalid task lifecycle: %s", oneLine(err.Error()))
	}
	return &Document{Format: FormatOpenAPI, T: t, root: top}, nil
}

// newLoader returns a kin-openapi loader that cannot read anything but the data it is given: checkRefs
// refuses a $ref outside the document first, and this is the second line.
func newLoader(ctx context.Context) *openapi3.Loader {
	loader := openapi3.NewLoader()
	loader.Context = ctx
	loader.IsExternalRefsAllowed = false
	loader.ReadFromURIFunc = refuseURI // never fetch, whatever the flag above means in a future kin-openapi
	return loader
}

// refuseURI is the loader's only way to read another document: it refuses.
func refuseURI(_ *openapi3.Loader, location *url.URL) ([]byte, error) {
	return nil, fmt.Errorf("$ref to %q refused: lumamock diff never fetches another document", location.Redacted())
}

// looksLikeOpenAPI reports whether a top-level "openapi" key appears in data, as YAML or JSON, without
// parsing it.
func looksLikeOpenAPI(data []byte) bool {
	trimmed := bytes.TrimLeft(data, "\ufeff \t\r\n")
	if bytes.HasPrefix(trimmed, []byte("{")) {
		return bytes.Contains(data, []byte(`"openapi"`))
	}
	for len(data) > 0 {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte("\n"))
		line = bytes.TrimPrefix(line, []byte("\ufeff"))
		if bytes.HasPrefix(line, []byte("openapi:")) || bytes.HasPrefix(line, []byte(`"openapi":`)) || bytes.HasPrefix(line, []byte("'openapi':")) {
			return true
		}
	}
	return false
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	return s
}

// document returns the content of a YAML document node.
func document(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		return n.Content[0]
	}
	return nil
}

// child returns the value of key in mapping m, or nil.
func child(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// docRef is a $ref of a document: the pointer of the element that holds it, its target and its line.
type docRef struct {
	from, to string
	line     int
}

// checkRefs refuses a document whose $refs leave it (remote or file references: never fetched), point
// nowhere, or form a cycle, and one whose aliases would expand past maxNodes. It names the first offender
// by line and JSON pointer.
func checkRefs(top *yaml.Node) error {
	type ref = docRef
	var refs []ref
	nodes := 0
	var walk func(n *yaml.Node, pointer string) error
	walk = func(n *yaml.Node, pointer string) error {
		nodes++
		if nodes > maxNodes {
			return fmt.Errorf("line %d: more than %d YAML nodes, not read", n.Line, maxNodes)
		}
		switch n.Kind {
		case yaml.AliasNode:
			if n.Alias != nil {
				return walk(n.Alias, pointer) // counted again each time it is used: an alias bomb ends at maxNodes
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := pointer + "/" + escape(k.Value)
				if k.Value == "$ref" && v.Kind == yaml.ScalarNode {
					if !strings.HasPrefix(v.Value, "#") {
						return fmt.Errorf("line %d: %s: $ref %q is outside the document: refused, never fetched (inline it)", v.Line, p, v.Value)
					}
					refs = append(refs, ref{from: pointer, to: strings.TrimPrefix(v.Value, "#"), line: v.Line})
					continue
				}
				if err := walk(v, p); err != nil {
					return err
				}
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				if err := walk(c, pointer+"/"+strconv.Itoa(i)); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(top, ""); err != nil {
		return err
	}
	// The graph of references: from the referring element's pointer to the target's. A target that is (or is
	// inside) an element that refers on makes an edge; a path back to the start is a cycle.
	targets := map[string]bool{}
	for _, r := range refs {
		if nodeAt(top, r.to) == nil {
			return fmt.Errorf("line %d: %s/$ref: %q points to nothing in the document", r.line, orRoot(r.from), "#"+r.to)
		}
		targets[r.to] = true
	}
	sort.SliceStable(refs, func(i, j int) bool { return refs[i].line < refs[j].line })
	// next lists, for each ref target, the refs made inside it.
	next := map[string][]ref{}
	for t := range targets {
		for _, r := range refs {
			if r.from == t || strings.HasPrefix(r.from, t+"/") {
				next[t] = append(next[t], r)
			}
		}
	}
	const (
		visiting = 1
		done     = 2
	)
	state := map[string]int{}
	var path []ref
	// visit returns the refs of a cycle reachable from r, or nil.
	var visit func(r ref) []ref
	visit = func(r ref) []ref {
		switch state[r.to] {
		case visiting:
			i := len(path) - 1
			for i > 0 && path[i].from != r.to && !strings.HasPrefix(path[i].from, r.to+"/") {
				i--
			}
			cycle := append([]ref(nil), path[i:]...)
			if cycle[0] != r {
				cycle = append(cycle, r) // r closes it; a ref to its own container is the whole cycle
			}
			return cycle
		case done:
			return nil
		}
		state[r.to] = visiting
		path = append(path, r)
		for _, n := range next[r.to] {
			if cycle := visit(n); cycle != nil {
				return cycle
			}
		}
		path = path[:len(path)-1]
		state[r.to] = done
		return nil
	}
	for _, r := range refs {
		if cycle := visit(r); cycle != nil {
			steps := []string{"#" + cycle[len(cycle)-1].to}
			for _, c := range cycle {
				steps = append(steps, "#"+c.to)
			}
			last := cycle[len(cycle)-1]
			return fmt.Errorf("line %d: %s/$ref: $ref cycle %s: refused (recursive schemas are not compared)", last.line, orRoot(last.from), strings.Join(steps, " → "))
		}
	}
	return nil
}

func orRoot(pointer string) string {
	if pointer == "" {
		return "/"
	}
	return pointer
}

// nodeAt returns the node at a JSON pointer in n, or nil.
func nodeAt(n *yaml.Node, pointer string) *yaml.Node {
	if pointer == "" {
		return n
	}
	if !strings.HasPrefix(pointer, "/") {
		return nil
	}
	for _, tok := range strings.Split(pointer[1:], "/") {
		tok = unescape(tok)
		switch n.Kind {
		case yaml.MappingNode:
			n = child(n, tok)
		case yaml.SequenceNode:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n.Content) {
				return nil
			}
			n = n.Content[i]
		default:
			return nil
		}
		if n == nil {
			return nil
		}
	}
	return n
}

// Line returns the line of the element at pointer in d's text: for an OpenAPI document the line of that
// element or of its nearest ancestor present; for a page, the line of the section that describes it. 0 when
// unknown.
func (d *Document) Line(pointer string) int {
	if d == nil {
		return 0
	}
	if d.page != nil {
		return d.page.Line(pointer)
	}
	if d.root == nil {
		return 0
	}
	for {
		if n := nodeAt(d.root, pointer); n != nil {
			return n.Line
		}
		i := strings.LastIndex(pointer, "/")
		if i < 0 {
			return 0
		}
		pointer = pointer[:i]
	}
}

// has reports whether pointer names an element of d's text.
func (d *Document) has(pointer string) bool {
	return d.root != nil && nodeAt(d.root, pointer) != nil
}

func escape(token string) string {
	return strings.ReplaceAll(strings.ReplaceAll(token, "~", "~0"), "/", "~1")
}

func unescape(token string) string {
	return strings.ReplaceAll(strings.ReplaceAll(token, "~1", "/"), "~0", "~")
}

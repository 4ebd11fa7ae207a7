package check

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/google/go-cmp/cmp"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/contract"
	"github.com/lumamock/lumamock/internal/sanitize"
	"github.com/lumamock/lumamock/internal/snip"
)

// Fixture is a golden response: its status and its sanitized body.
type Fixture struct {
	Status int `json:"status"`
	Body   any `json:"body"`
}

// Placeholders that stand for volatile values in fixtures.
const (
	PlaceholderID   = sanitize.PlaceholderID
	PlaceholderTime = sanitize.PlaceholderTime
	PlaceholderURL  = sanitize.PlaceholderURL
	PlaceholderKey  = sanitize.PlaceholderKey
)

// Sanitize returns a copy of a decoded JSON value with volatile values replaced by placeholders: ids (UUIDs and
// members named id or *_id) by <id>, timestamps (RFC 3339 strings and members named *_at) by <time>, URLs by
// <url>, any string holding a secret by [redacted] (redact.Placeholder), and the credentials of URLs inside
// other strings by [redacted] too.
func Sanitize(v any, secrets ...string) any { return sanitize.Value(v, secrets...) }

// fixtureFile is the file of fixture name in dir.
func fixtureFile(dir, name string) string { return filepath.Join(dir, "check-"+name+".json") }

// WriteFixture writes f as indented, key-sorted JSON to dir.
func WriteFixture(dir, name string, f Fixture) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("check: fixtures: %w", err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(f); err != nil { // encoding/json sorts map keys
		return fmt.Errorf("check: fixture %s: %w", name, err)
	}
	return os.WriteFile(fixtureFile(dir, name), buf.Bytes(), 0o644)
}

// ReadFixture reads fixture name from dir; ok is false when there is none.
func ReadFixture(dir, name string) (f Fixture, ok bool, err error) {
	data, err := os.ReadFile(fixtureFile(dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return Fixture{}, false, nil
	}
	if err != nil {
		return Fixture{}, false, fmt.Errorf("check: fixture %s: %w", name, err)
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return Fixture{}, false, fmt.Errorf("check: fixture %s: %w", name, err)
	}
	return f, true, nil
}

// volatileKeys are members whose values vary between runs of the same API (wording of messages, queue
// estimates); fixtures compare their presence and type only. Numbers are compared by type too: sizes and counts
// of generated assets vary.
var volatileKeys = map[string]bool{"message": true, "reason": true, "prompt": true, "estimate_wait_seconds": true, "queue_state": true}

// DiffFixture compares a sanitized response with its golden fixture and reports each field-level change: a
// field removed, added, or of another type, a stable value changed, or another status.
func DiffFixture(want, got Fixture) []contract.Finding {
	var out []contract.Finding
	if want.Status != got.Status {
		out = append(out, contract.NewFinding(CheckFixture, contract.KindFixtureStatusChanged, "", strconv.Itoa(want.Status), strconv.Itoa(got.Status),
			"the status differs from the golden response"))
	}
	var rep diffReporter
	cmp.Equal(want.Body, got.Body, cmp.Reporter(&rep), cmp.FilterPath(volatile, cmp.Comparer(sameKind)))
	return append(out, rep.findings...)
}

// volatile selects the values compared by type only.
func volatile(p cmp.Path) bool {
	last := p.Last()
	if mi, ok := last.(cmp.MapIndex); ok && volatileKeys[mi.Key().String()] {
		return true
	}
	vx, vy := last.Values()
	if !vx.IsValid() || !vy.IsValid() || !vx.CanInterface() || !vy.CanInterface() {
		return false
	}
	_, xn := vx.Interface().(float64)
	_, yn := vy.Interface().(float64)
	return xn && yn
}

func sameKind(x, y any) bool { return jsonKind(x) == jsonKind(y) }

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64, json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// diffReporter turns go-cmp's differences into findings with JSON pointers.
type diffReporter struct {
	path     cmp.Path
	findings []contract.Finding
}

func (r *diffReporter) PushStep(ps cmp.PathStep) { r.path = append(r.path, ps) }
func (r *diffReporter) PopStep()                 { r.path = r.path[:len(r.path)-1] }

func (r *diffReporter) Report(rs cmp.Result) {
	if rs.Equal() {
		return
	}
	vx, vy := r.path.Last().Values()
	ptr := cmpPointer(r.path)
	var x, y any
	if vx.IsValid() && vx.CanInterface() {
		x = vx.Interface()
	}
	if vy.IsValid() && vy.CanInterface() {
		y = vy.Interface()
	}
	switch {
	case !vy.IsValid():
		r.findings = append(r.findings, contract.NewFinding(CheckFixture, contract.KindFixtureRemoved, ptr, snip.JSON(x), "absent", "a field of the golden response is gone"))
	case !vx.IsValid():
		r.findings = append(r.findings, contract.NewFinding(CheckFixture, contract.KindFixtureAdded, ptr, "absent", snip.JSON(y), "a field the golden response did not have"))
	case jsonKind(x) != jsonKind(y):
		r.findings = append(r.findings, contract.NewFinding(CheckFixture, contract.KindFixtureTypeChanged, ptr, jsonKind(x), jsonKind(y), "a field changed type since the golden response"))
	default:
		r.findings = append(r.findings, contract.NewFinding(CheckFixture, contract.KindFixtureValueChanged, ptr, snip.JSON(x), snip.JSON(y), "a value changed since the golden response"))
	}
}

// cmpPointer renders a go-cmp path over decoded JSON as a JSON pointer.
func cmpPointer(p cmp.Path) string {
	var b strings.Builder
	for _, step := range p {
		switch s := step.(type) {
		case cmp.MapIndex:
			b.WriteString(lumamock.JSONPointer(s.Key().String()))
		case cmp.SliceIndex:
			x, y := s.SplitKeys()
			i := x
			if i < 0 {
				i = y
			}
			b.WriteString("/" + strconv.Itoa(i))
		}
	}
	return b.String()
}

// fixture records or compares the sanitized response of a case, as Config asks.
func (r *runner) fixture(name string, resp contract.Response, checked contract.Result, out *[]contract.Finding) {
	if r.cfg.Fixtures == "" || checked.Value == nil {
		return
	}
	got := Fixture{Status: resp.Status, Body: Sanitize(checked.Value, r.secrets...)}
	if r.cfg.UpdateFixtures {
		err := WriteFixture(r.cfg.Fixtures, name, got)
		r.fixtureDone(name, err == nil, err)
		return
	}
	want, ok, err := ReadFixture(r.cfg.Fixtures, name)
	r.fixtureDone(name, ok, err)
	if !ok {
		return
	}
	// Compare keys in a stable order so the findings are.
	fs := DiffFixture(want, got)
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Pointer < fs[j].Pointer })
	*out = append(*out, fs...)
}

// fixtureDone counts fixture name as compared or recorded (ok), or as missing, and keeps err as a failure of
// the run.
func (r *runner) fixtureDone(name string, ok bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case err != nil:
		r.errs = append(r.errs, err)
	case ok:
		r.fixtures.done++
	default:
		r.fixtures.missing = append(r.fixtures.missing, name)
	}
}

// fixturesFact says what the fixtures did: how many answers were compared (or recorded), and which had no
// fixture to compare with, so that a comparison that did not happen is seen. r.mu is held.
func (r *runner) fixturesFact() string {
	verb := "compared"
	if r.cfg.UpdateFixtures {
		verb = "recorded"
	}
	v := fmt.Sprintf("%d %s in %s", r.fixtures.done, verb, r.cfg.Fixtures)
	if m := r.fixtures.missing; len(m) > 0 {
		slices.Sort(m)
		v += fmt.Sprintf("; %d without a fixture, not compared: %s", len(m), strings.Join(m, ", "))
	}
	return v
}

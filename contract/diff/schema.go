package diff

import (
	"encoding/json"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/lumamock/lumamock"
)

// schema compares two schemas of values sent in dir, each reached at a pointer (a $ref moves the pointer to
// its target). A pair compared before (a shared component) only adds where to what it found then.
func (c *comparer) schema(dir direction, where string, b, r *openapi3.SchemaRef, bp, rp string) {
	if b == nil || r == nil || b.Value == nil || r.Value == nil {
		return
	}
	bp, rp = refPointer(b.Ref, bp), refPointer(r.Ref, rp)
	key := memoKey{b.Value, r.Value, dir}
	if ids, ok := c.memo[key]; ok {
		for _, id := range ids {
			f := c.findings[id]
			if where != "" && !slices.Contains(f.Where, where) {
				f.Where = append(f.Where, where)
			}
		}
		if n := len(c.collect); n > 0 {
			c.collect[n-1] = append(c.collect[n-1], ids...)
		}
		return
	}
	c.memo[key] = nil // a pair met again while it is compared adds nothing (cycles are refused on load)
	c.collect = append(c.collect, nil)
	c.schemaValue(dir, where, b, r, bp, rp)
	ids := c.collect[len(c.collect)-1]
	c.collect = c.collect[:len(c.collect)-1]
	c.memo[key] = ids
	if n := len(c.collect); n > 0 {
		c.collect[n-1] = append(c.collect[n-1], ids...)
	}
}

// name describes the element at pointer for a reason: Schema.field.sub, or the last tokens.
func name(pointer string) string {
	toks := strings.Split(strings.TrimPrefix(pointer, "/"), "/")
	var parts []string
	for i := 0; i < len(toks); i++ {
		switch t := unescape(toks[i]); {
		case t == "schemas" && i > 0 && toks[i-1] == "components" && i+1 < len(toks):
			parts = append(parts[:0], unescape(toks[i+1]))
			i++
		case t == "properties" && i+1 < len(toks):
			parts = append(parts, unescape(toks[i+1]))
			i++
		case t == "items":
			parts = append(parts, "[]")
		}
	}
	if len(parts) == 0 {
		return "the body"
	}
	return strings.ReplaceAll(strings.Join(parts, "."), ".[]", "[]")
}

// types is a schema's type set; empty means any.
func types(s *openapi3.Schema) []string {
	if s.Type == nil {
		return nil
	}
	return s.Type.Slice()
}

// covers reports whether the type set a accepts every value of b.
func covers(a, b []string) bool {
	if len(a) == 0 {
		return true
	}
	if len(b) == 0 {
		return false
	}
	for _, t := range b {
		if !slices.Contains(a, t) && !(t == "integer" && slices.Contains(a, "number")) {
			return false
		}
	}
	return true
}

func typeText(t []string) string {
	if len(t) == 0 {
		return "any"
	}
	return strings.Join(t, "|")
}

// pageSide returns which of b and r is the page's schema, when partial.
func (c *comparer) pageSide(b, r *openapi3.Schema) (page, doc *openapi3.Schema) {
	if c.pageIsBase {
		return b, r
	}
	return r, b
}

func (c *comparer) schemaValue(dir direction, where string, bref, rref *openapi3.SchemaRef, bp, rp string) {
	b, r := bref.Value, rref.Value
	// Alternatives.
	balts, ralts := alternatives(b), alternatives(r)
	switch {
	case len(balts) > 0 && len(ralts) > 0:
		c.alternatives(dir, where, bref, rref, bp, rp)
		return
	case len(balts) > 0:
		i := bestBranch(balts, r)
		if !c.partial {
			c.branchesGone(dir, where, bref, bp, i)
		}
		c.schema(dir, where, balts[i], rref, bp+"/"+altKey(b)+"/"+strconv.Itoa(i), rp)
		return
	case len(ralts) > 0:
		i := bestBranch(ralts, b)
		if !c.partial {
			if dir == response {
				c.emit("response-oneof-changed", InRevision, rp+"/"+altKey(r), "", where, "%s may now be one of %d shapes: clients that parse only the old one fail on the others", name(rp), len(ralts))
			} else {
				c.emit("request-constraint-widened", InRevision, rp+"/"+altKey(r), "", where, "%s accepts %d shapes now", name(rp), len(ralts))
			}
		}
		c.schema(dir, where, bref, ralts[i], bp, rp+"/"+altKey(r)+"/"+strconv.Itoa(i))
		return
	}

	// Types.
	bt, rt := types(b), types(r)
	if !(c.partial && (len(bt) == 0 || len(rt) == 0)) && !slices.Equal(bt, rt) {
		switch {
		case dir == request && covers(rt, bt):
			c.emit("request-constraint-widened", InRevision, rp+"/type", "type", where, "%s accepts %s, was %s", name(rp), typeText(rt), typeText(bt))
		case dir == request:
			c.emit("request-type-narrowed", InRevision, rp+"/type", "type", where, "%s must be %s, was %s: clients sending the old type are refused", name(rp), typeText(rt), typeText(bt))
		case !covers(bt, rt):
			c.emit("response-type-changed", InRevision, rp+"/type", "type", where, "%s is %s, was %s: clients parsing the old type fail", name(rp), typeText(rt), typeText(bt))
		}
		if len(bt) > 0 && len(rt) > 0 && !covers(bt, rt) && !covers(rt, bt) {
			return // nothing below compares across unrelated types
		}
	}
	if !c.partial && b.Nullable != r.Nullable {
		switch {
		case dir == request && b.Nullable:
			c.emit("request-type-narrowed", InRevision, rp, "nullable", where, "%s no longer accepts null", name(rp))
		case dir == request:
			c.emit("request-constraint-widened", InRevision, rp+"/nullable", "nullable", where, "%s accepts null", name(rp))
		case r.Nullable:
			c.emit("response-type-changed", InRevision, rp+"/nullable", "nullable", where, "%s may now be null: clients that do not expect null fail", name(rp))
		}
	}

	c.enum(dir, where, b, r, bp, rp)
	if !c.partial {
		c.constraints(dir, where, b, r, rp)
	}
	c.properties(dir, where, b, r, bp, rp)
	if b.Items != nil && r.Items != nil {
		c.schema(dir, where, b.Items, r.Items, bp+"/items", rp+"/items")
	}
	for i := range min(len(b.AllOf), len(r.AllOf)) {
		c.schema(dir, where, b.AllOf[i], r.AllOf[i], bp+"/allOf/"+strconv.Itoa(i), rp+"/allOf/"+strconv.Itoa(i))
	}
}

// alternatives returns a schema's oneOf, else its anyOf.
func alternatives(s *openapi3.Schema) openapi3.SchemaRefs {
	if len(s.OneOf) > 0 {
		return s.OneOf
	}
	return s.AnyOf
}

func altKey(s *openapi3.Schema) string {
	if len(s.OneOf) > 0 {
		return "oneOf"
	}
	return "anyOf"
}

// bestBranch returns the index of the alternative most like s: the most property names in common, then the
// same type.
func bestBranch(alts openapi3.SchemaRefs, s *openapi3.Schema) int {
	best, score := 0, -1
	for i, a := range alts {
		if a == nil || a.Value == nil {
			continue
		}
		n := 0
		for p := range s.Properties {
			if a.Value.Properties[p] != nil {
				n += 2
			}
		}
		if slices.Equal(types(a.Value), types(s)) {
			n++
		}
		if n > score {
			best, score = i, n
		}
	}
	return best
}

// branchKey identifies an alternative across documents: its $ref's name, else its position.
func branchKey(ref *openapi3.SchemaRef, i int) string {
	if ref.Ref != "" {
		return ref.Ref
	}
	return "#" + strconv.Itoa(i)
}

// taskShapes are the component schemas the mock serves as response shapes (Prefer: schema=…, --schema).
var taskShapes = map[string]lumamock.Shape{
	"#/components/schemas/" + lumamock.ShapeEnvelope.TaskSchema(): lumamock.ShapeEnvelope,
	"#/components/schemas/" + lumamock.ShapeLuma.TaskSchema():     lumamock.ShapeLuma,
}

// branchesGone reports the alternatives of b (all but keep) that a plain revision schema dropped.
func (c *comparer) branchesGone(dir direction, where string, bref *openapi3.SchemaRef, bp string, keep int) {
	alts := alternatives(bref.Value)
	for i, a := range alts {
		if i != keep {
			c.branchGone(dir, where, a, bp+"/"+altKey(bref.Value)+"/"+strconv.Itoa(i))
		}
	}
}

func (c *comparer) branchGone(dir direction, where string, a *openapi3.SchemaRef, p string) {
	what := branchKey(a, 0)
	if dir == request {
		c.emit("request-oneof-changed", InBase, p, what, where, "%s is no longer accepted as a shape: clients sending it are refused", what)
		return
	}
	c.emit("response-oneof-branch-removed", InBase, p, what, where, "%s is no longer a shape of the response", what)
	if shape, ok := taskShapes[a.Ref]; ok {
		c.emit("prefer-schema-removed", InBase, p, string(shape), where, "the mock can no longer answer in the %s shape: Prefer: schema=%s and --schema %s are refused", shape, shape, shape)
	}
}

func (c *comparer) alternatives(dir direction, where string, bref, rref *openapi3.SchemaRef, bp, rp string) {
	b, r := bref.Value, rref.Value
	balts, ralts := alternatives(b), alternatives(r)
	rindex := map[string]int{}
	for i, a := range ralts {
		rindex[branchKey(a, i)] = i
	}
	bindex := map[string]int{}
	for i, a := range balts {
		bindex[branchKey(a, i)] = i
	}
	for i, a := range balts {
		bpi := bp + "/" + altKey(b) + "/" + strconv.Itoa(i)
		j, ok := rindex[branchKey(a, i)]
		if !ok {
			c.branchGone(dir, where, a, bpi)
			continue
		}
		c.schema(dir, where, a, ralts[j], bpi, rp+"/"+altKey(r)+"/"+strconv.Itoa(j))
	}
	for j, a := range ralts {
		if _, ok := bindex[branchKey(a, j)]; ok {
			continue
		}
		p := rp + "/" + altKey(r) + "/" + strconv.Itoa(j)
		what := branchKey(a, j)
		if dir == request {
			c.emit("request-constraint-widened", InRevision, p, what, where, "%s is accepted as a shape too", what)
		} else {
			c.emit("response-oneof-changed", InRevision, p, what, where, "%s is a new shape of the response: clients that parse only the others fail on it", what)
		}
	}
}

func enumText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	data, _ := json.Marshal(v)
	return string(data)
}

// lifecycleSchema reports whether s is a task state: its enum is the lifecycle's states.
func lifecycleSchema(s *openapi3.Schema) bool {
	_, ok := s.Extensions["x-transitions"]
	return ok
}

func (c *comparer) enum(dir direction, where string, b, r *openapi3.Schema, bp, rp string) {
	if c.partial && (len(b.Enum) == 0 || len(r.Enum) == 0) {
		return // a page says values in descriptions and examples (see pageDescription, pageExamples)
	}
	if len(b.Enum) == 0 && len(r.Enum) == 0 {
		return
	}
	has := func(list []any, v any) bool {
		return slices.ContainsFunc(list, func(e any) bool { return reflect.DeepEqual(e, v) || enumText(e) == enumText(v) })
	}
	if len(b.Enum) == 0 {
		if dir == request {
			c.emit("request-enum-value-removed", InRevision, rp+"/enum", "", where, "%s is limited to %s now: clients sending other values are refused", name(rp), enumList(r.Enum))
		}
		return
	}
	if len(r.Enum) == 0 {
		if dir == response {
			c.emit("response-enum-value-added", InRevision, rp, "*", where, "%s is no longer limited to %s: clients switching on its value meet others", name(rp), enumList(b.Enum))
		} else {
			c.emit("request-constraint-widened", InRevision, rp, "enum", where, "%s is no longer limited to %s", name(rp), enumList(b.Enum))
		}
		return
	}
	for _, v := range b.Enum {
		if !has(r.Enum, v) {
			c.enumRemoved(dir, where, bp+"/enum", enumText(v), name(rp), InBase)
		}
	}
	for _, v := range r.Enum {
		if !has(b.Enum, v) {
			c.enumAdded(dir, where, rp+"/enum", enumText(v), name(rp), lifecycleSchema(r) || lifecycleSchema(b), InRevision)
		}
	}
}

func (c *comparer) enumRemoved(dir direction, where, pointer, value, field, in string) {
	if dir == request {
		c.emit("request-enum-value-removed", in, pointer, value, where, "%s no longer accepts %q: clients sending it are refused", field, value)
	} else {
		c.emit("response-enum-value-removed", in, pointer, value, where, "%s is no longer %q", field, value)
	}
}

func (c *comparer) enumAdded(dir direction, where, pointer, value, field string, state bool, in string) {
	switch {
	case dir == request:
		c.emit("request-enum-value-added", in, pointer, value, where, "%s accepts %q too", field, value)
	case state:
		c.emit("response-state-value-added", in, pointer, value, where, "%s may be %q: a task state clients do not know, so their state machines fail on it", field, value)
	default:
		c.emit("response-enum-value-added", in, pointer, value, where, "%s may be %q: clients switching on its value meet one they do not know", field, value)
	}
}

func enumList(vs []any) string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = enumText(v)
	}
	return "[" + strings.Join(out, ", ") + "]"
}

// constraints compares patterns, formats, lengths and ranges.
func (c *comparer) constraints(dir direction, where string, b, r *openapi3.Schema, rp string) {
	field := name(rp)
	narrowed := func(rule, keyword, format string, args ...any) {
		if dir == request {
			c.emit(rule, InRevision, rp+"/"+keyword, keyword, where, format, args...)
		}
	}
	// widened reports a keyword that accepts more; gone says it was removed (the pointer is then the schema's).
	widened := func(keyword string, gone bool, format string, args ...any) {
		p := rp + "/" + keyword
		if gone {
			p = rp
		}
		if dir == request {
			c.emit("request-constraint-widened", InRevision, p, keyword, where, format, args...)
		} else {
			c.emit("response-constraint-widened", InRevision, p, keyword, where, format+": clients validating the value may refuse new ones", args...)
		}
	}
	switch {
	case b.Pattern == r.Pattern:
	case r.Pattern == "":
		widened("pattern", true, "%s no longer has a pattern (was %s)", field, b.Pattern)
	case dir == request:
		narrowed("request-pattern-narrowed", "pattern", "%s must match %s now (was %s): clients sending other values are refused", field, r.Pattern, orNone(b.Pattern))
	case b.Pattern != "":
		widened("pattern", false, "%s has another pattern, %s (was %s)", field, r.Pattern, b.Pattern)
	}
	switch {
	case b.Format == r.Format:
	case r.Format == "":
		widened("format", true, "%s no longer has a format (was %s)", field, b.Format)
	case dir == request:
		narrowed("request-pattern-narrowed", "format", "%s must be of format %s now (was %s): clients sending other values are refused", field, r.Format, orNone(b.Format))
	case b.Format != "":
		widened("format", false, "%s has another format, %s (was %s)", field, r.Format, b.Format)
	}
	upper := func(keyword string, bv, rv *uint64) {
		switch {
		case equalPtr(bv, rv):
		case rv == nil || bv != nil && *rv > *bv:
			widened(keyword, rv == nil, "%s %s is %s (was %s)", field, keyword, uintText(rv), uintText(bv))
		default:
			narrowed("request-length-narrowed", keyword, "%s %s is %s (was %s): clients sending longer values are refused", field, keyword, uintText(rv), uintText(bv))
		}
	}
	lower := func(keyword string, bv, rv uint64) {
		switch {
		case bv == rv:
		case rv < bv:
			widened(keyword, rv == 0, "%s %s is %d (was %d)", field, keyword, rv, bv)
		default:
			narrowed("request-length-narrowed", keyword, "%s %s is %d (was %d): clients sending shorter values are refused", field, keyword, rv, bv)
		}
	}
	upper("maxLength", b.MaxLength, r.MaxLength)
	lower("minLength", b.MinLength, r.MinLength)
	upper("maxItems", b.MaxItems, r.MaxItems)
	lower("minItems", b.MinItems, r.MinItems)
	switch {
	case equalPtr(b.Max, r.Max):
	case r.Max == nil || b.Max != nil && *r.Max > *b.Max:
		widened("maximum", r.Max == nil, "%s maximum is %s (was %s)", field, floatText(r.Max), floatText(b.Max))
	default:
		narrowed("request-range-narrowed", "maximum", "%s maximum is %s (was %s): clients sending larger values are refused", field, floatText(r.Max), floatText(b.Max))
	}
	switch {
	case equalPtr(b.Min, r.Min):
	case r.Min == nil || b.Min != nil && *r.Min < *b.Min:
		widened("minimum", r.Min == nil, "%s minimum is %s (was %s)", field, floatText(r.Min), floatText(b.Min))
	default:
		narrowed("request-range-narrowed", "minimum", "%s minimum is %s (was %s): clients sending smaller values are refused", field, floatText(r.Min), floatText(b.Min))
	}
}

func equalPtr[T comparable](a, b *T) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

func uintText(v *uint64) string {
	if v == nil {
		return "unlimited"
	}
	return strconv.FormatUint(*v, 10)
}

func floatText(v *float64) string {
	if v == nil {
		return "none"
	}
	return strconv.FormatFloat(*v, 'g', -1, 64)
}

// inferred reports whether the property p of s is one the document marks as not from the source (x-inferred
// on the property, or naming it in its schema's x-inferred): a page is silent about it.
func inferred(s *openapi3.Schema, p string) bool {
	if ref := s.Properties[p]; ref != nil && ref.Ref == "" && ref.Value != nil {
		if _, ok := ref.Value.Extensions["x-inferred"]; ok {
			return true
		}
	}
	text, _ := s.Extensions["x-inferred"].(string)
	return text != "" && regexp.MustCompile(`\b`+regexp.QuoteMeta(p)+`\b`).MatchString(text)
}

func (c *comparer) properties(dir direction, where string, b, r *openapi3.Schema, bp, rp string) {
	if len(b.Properties) == 0 && len(r.Properties) == 0 {
		return
	}
	breq, rreq := set(b.Required), set(r.Required)
	var removed, added []string
	for _, p := range sortedKeys(b.Properties) {
		if r.Properties[p] == nil {
			if c.partial && !c.pageIsBase && inferred(b, p) {
				continue
			}
			removed = append(removed, p)
		}
	}
	for _, p := range sortedKeys(r.Properties) {
		if b.Properties[p] == nil {
			if c.partial && c.pageIsBase && inferred(r, p) {
				continue
			}
			added = append(added, p)
		}
	}
	if dir == response && len(removed) == 1 && len(added) == 1 &&
		slices.Equal(types(b.Properties[removed[0]].Value), types(r.Properties[added[0]].Value)) {
		from, to := removed[0], added[0]
		c.emit("response-property-renamed", InRevision, rp+"/properties/"+escape(to), from+" → "+to, where, "%s is gone and %s, of the same type, is new: renamed, so clients reading %s get nothing", join(name(bp), from), to, from)
		removed, added = nil, nil
	}
	for _, p := range removed {
		pp := bp + "/properties/" + escape(p)
		if dir == request {
			c.emit("request-property-removed", InBase, pp, "", where, "%s is gone: what clients send in it is ignored, or refused", name(pp))
		} else {
			c.emit("response-property-removed", InBase, pp, "", where, "%s is gone: clients reading it get nothing", name(pp))
		}
	}
	for _, p := range added {
		pp := rp + "/properties/" + escape(p)
		switch {
		case dir == request && rreq[p]:
			c.emit("request-property-required-added", InRevision, pp, "", where, "a new required field %s: clients that do not send it are refused", name(pp))
		case dir == request:
			c.emit("request-property-added", InRevision, pp, "", where, "a new optional field %s", name(pp))
		default:
			c.emit("response-property-added", InRevision, pp, "", where, "a new field %s", name(pp))
		}
	}
	var settled []string
	for _, p := range sortedKeys(b.Properties) {
		rs := r.Properties[p]
		if rs == nil {
			continue
		}
		bpp, rpp := bp+"/properties/"+escape(p), rp+"/properties/"+escape(p)
		switch {
		case breq[p] == rreq[p]:
		case c.partial && c.settledRequired(b, r, p):
			settled = append(settled, p)
		case rreq[p] && dir == request:
			c.emit("request-property-required-added", InRevision, rpp, "", where, "%s became required: clients that omit it are refused", name(rpp))
		case breq[p] && dir == request:
			c.emit("request-property-became-optional", InRevision, rpp, "", where, "%s became optional", name(rpp))
		case breq[p]:
			c.emit("response-property-became-optional", InRevision, rpp, "", where, "%s is no longer required: clients that read it unconditionally fail when it is absent", name(rpp))
		}
		if c.partial {
			c.pageDescription(dir, where, b.Properties[p], rs, bpp, rpp)
		}
		c.schema(dir, where, b.Properties[p], rs, bpp, rpp)
	}
	if len(settled) > 0 {
		_, doc := c.pageSide(b, r)
		docPointer := bp
		if c.pageIsBase {
			docPointer = rp
		}
		reason, _ := settledNote(doc, "required")
		c.knownSettled(docPointer+"/x-settled/required", "", "the page requires %s; the OpenAPI document requires %s (x-settled: %s)",
			strings.Join(settled, ", "), orNone(strings.Join(doc.Required, ", ")), firstSentence(reason))
	}
}

func join(parent, field string) string {
	if parent == "the body" {
		return field
	}
	return parent + "." + field
}

func set(list []string) map[string]bool {
	m := make(map[string]bool, len(list))
	for _, s := range list {
		m[s] = true
	}
	return m
}

// settledNote returns the text of s's x-settled entry key (or its whole x-settled when it is text).
func settledNote(s *openapi3.Schema, key string) (string, bool) {
	return noteOf(s.Extensions, key)
}

func noteOf(ext map[string]any, key string) (string, bool) {
	switch v := ext["x-settled"].(type) {
	case string:
		return v, true
	case map[string]any:
		text, ok := v[key].(string)
		return text, ok
	}
	return "", false
}

func firstSentence(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if i := strings.Index(s, ". "); i > 0 {
		return s[:i+1]
	}
	return s
}

// settledRequired reports whether a page and an OpenAPI document disagree on whether p is required because
// the document settled it: the page requires p, the document keeps the page's list in x-source-required
// and explains it in x-settled.
func (c *comparer) settledRequired(b, r *openapi3.Schema, p string) bool {
	page, doc := c.pageSide(b, r)
	if !slices.Contains(page.Required, p) || slices.Contains(doc.Required, p) {
		return false
	}
	if _, ok := settledNote(doc, "required"); !ok {
		return false
	}
	src, _ := doc.Extensions["x-source-required"].([]any)
	return slices.ContainsFunc(src, func(v any) bool { return v == p })
}

// enumToken finds value-like words in a description.
var enumToken = regexp.MustCompile(`[A-Za-z0-9][A-Za-z0-9._-]*`)

// shapeOf turns an enum value into a pattern for words of the same form: digits may vary (ray-v2 → ray-v\d+).
func shapeOf(v string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	digits := false
	for _, r := range v {
		if r >= '0' && r <= '9' {
			if !digits {
				b.WriteString(`\d+`)
			}
			digits = true
			continue
		}
		digits = false
		b.WriteString(regexp.QuoteMeta(string(r)))
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// pageDescription compares a field's description on the page with the document's, and reads values the page
// names in it that the document's enum lacks.
func (c *comparer) pageDescription(dir direction, where string, b, r *openapi3.SchemaRef, bp, rp string) {
	if b.Value == nil || r.Value == nil {
		return
	}
	page, doc := c.pageSide(b.Value, r.Value)
	docPointer, docIn := refPointer(b.Ref, bp), InBase
	if c.pageIsBase {
		docPointer, docIn = refPointer(r.Ref, rp), InRevision
	}
	text := strings.TrimSpace(page.Description)
	if text != "" && !strings.HasPrefix(strings.TrimSpace(doc.Description), text) {
		c.emit("page-description-changed", docIn, docPointer+"/description", "", where, "%s: the page says %q", name(docPointer), firstLine(text))
	}
	if len(doc.Enum) == 0 || len(page.Enum) > 0 || text == "" {
		return
	}
	known := map[string]bool{}
	var shapes []*regexp.Regexp
	for _, v := range doc.Enum {
		s := enumText(v)
		known[s] = true
		shapes = append(shapes, shapeOf(s))
	}
	if names, ok := doc.Extensions["x-upstream-names"].(map[string]any); ok {
		for _, v := range names {
			known[enumText(v)] = true
		}
	}
	seen := map[string]bool{}
	for _, word := range enumToken.FindAllString(text, -1) {
		if known[word] || seen[word] || !slices.ContainsFunc(shapes, func(re *regexp.Regexp) bool { return re.MatchString(word) }) {
			continue
		}
		seen[word] = true
		if c.pageIsBase {
			c.enumRemoved(dir, where, docPointer+"/enum", word, name(docPointer)+" (the page's description names it)", docIn)
		} else {
			c.enumAdded(dir, where, docPointer+"/enum", word, name(docPointer)+" (named in the page's description)", lifecycleSchema(doc), InBase)
		}
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// sortedStrings returns the keys of a set, sorted.
func sortedStrings(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

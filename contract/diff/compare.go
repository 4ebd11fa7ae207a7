package diff

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"

	"github.com/getkin/kin-openapi/openapi3"
)

// Finding is one change between the base and the revision.
type Finding struct {
	// ID is stable across runs (rule, pointer and subject); baselines list ids.
	ID    string `json:"id"`
	Rule  string `json:"rule"`
	Class Class  `json:"class"`
	// Pointer is the RFC 6901 JSON pointer of the element concerned, in the document In names: the revision
	// for what is new or changed, the base for what is gone.
	Pointer string `json:"pointer"`
	In      string `json:"in"` // "base" or "revision"
	// Subject is the value, field, status or state concerned, when the pointer alone does not say.
	Subject string `json:"subject,omitempty"`
	// Where lists the operations, responses and callbacks that see the change.
	Where []string `json:"where,omitempty"`
	// Reason says what changed and what it means for a client, in one line.
	Reason string `json:"reason"`
	// File and Line locate the change in the revision's text when known: for what is gone, where it stood
	// (its nearest ancestor still there). When the revision is an Apifox page and the pointer is into the
	// base, they are the base's.
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	// Settled is the pointer of the x-settled note that makes the difference known (rule known-settled).
	Settled string `json:"settled,omitempty"`
	// Accepted is true when a baseline lists the finding; accepted findings do not fail a run.
	Accepted bool `json:"accepted,omitempty"`
}

// Counts is how many findings there are per class, neither settled nor accepted.
func (f Finding) counts() bool { return f.Settled == "" && !f.Accepted }

// Sides of a finding's pointer.
const (
	InBase     = "base"
	InRevision = "revision"
)

// direction says who sends a schema's values: the client (request) or the server (response).
type direction int

const (
	request direction = iota
	response
)

// comparer holds one comparison.
type comparer struct {
	base, rev *Document
	// partial is set when a side is an Apifox page: the page says only part of what a document does, and what
	// it does not say is not a change.
	partial bool
	// pageIsBase says which side the page is, when partial.
	pageIsBase bool

	findings map[string]*Finding
	order    []string
	// collect gathers the ids emitted while a schema pair is compared, so that a pair met again (a shared
	// component) only adds its new place to them.
	collect [][]string
	memo    map[memoKey][]string
	// settledOnce keeps the known-settled pointers already reported.
	settledOnce map[string]bool
}

type memoKey struct {
	b, r *openapi3.Schema
	dir  direction
}

// Compare reports every change from base to revision, classified for clients of the API. When either side is
// an Apifox page, the comparison covers only what the page says, and a difference the OpenAPI side settled on
// purpose (x-settled) is reported once as known-settled.
func Compare(base, revision *Document) *Report {
	c := &comparer{
		base: base, rev: revision,
		partial:     base.Format == FormatApifox || revision.Format == FormatApifox,
		pageIsBase:  base.Format == FormatApifox,
		findings:    map[string]*Finding{},
		memo:        map[memoKey][]string{},
		settledOnce: map[string]bool{},
	}
	if c.partial && base.Format == revision.Format {
		c.partial = false // two pages: each says the same kind of thing
	}
	c.paths()
	if !c.partial {
		c.lifecycle()
		c.settled()
	}
	r := &Report{Base: base.Name, Revision: revision.Name}
	for _, id := range c.order {
		f := c.findings[id]
		// Lines are the revision's where it can say (a removed element: where it stood, its nearest
		// ancestor still there), so that annotations land on the file under review.
		doc := c.rev
		if f.In == InBase && c.rev.Format != c.base.Format {
			doc = c.base // a pointer into an OpenAPI document is no place in a page, nor the reverse
		}
		f.File, f.Line = doc.File, doc.Line(f.Pointer)
		sort.Strings(f.Where)
		r.Findings = append(r.Findings, *f)
	}
	slices.SortStableFunc(r.Findings, compareFindings)
	return r
}

// compareFindings orders findings: settled ones last, then the most severe class first, then by pointer.
func compareFindings(a, b Finding) int {
	return cmp.Or(
		cmp.Compare(boolRank(a.Settled != ""), boolRank(b.Settled != "")),
		cmp.Compare(a.Class.rank(), b.Class.rank()),
		cmp.Compare(a.Pointer, b.Pointer),
		cmp.Compare(a.Rule, b.Rule),
		cmp.Compare(a.Subject, b.Subject),
	)
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// emit records a finding of rule at pointer (in side), seen from where. The same rule, pointer and subject
// met again only adds where.
func (c *comparer) emit(rule, in, pointer, subject, where, format string, args ...any) {
	class, ok := ruleClass[rule]
	if !ok {
		panic("diff: unknown rule " + rule)
	}
	id := rule + "#" + pointer
	if subject != "" {
		id += "@" + subject
	}
	if n := len(c.collect); n > 0 {
		c.collect[n-1] = append(c.collect[n-1], id)
	}
	if f := c.findings[id]; f != nil {
		if where != "" && !slices.Contains(f.Where, where) {
			f.Where = append(f.Where, where)
		}
		return
	}
	f := &Finding{ID: id, Rule: rule, Class: class, Pointer: pointer, In: in, Subject: subject, Reason: oneLineReason(fmt.Sprintf(format, args...))}
	if where != "" {
		f.Where = []string{where}
	}
	c.findings[id] = f
	c.order = append(c.order, id)
}

// oneLineReason keeps a reason on one line: control characters a document's names or texts bring in are
// written as escapes.
func oneLineReason(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			fmt.Fprintf(&b, "\\x%02x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// knownSettled records, once per note, a difference the OpenAPI side settled on purpose.
func (c *comparer) knownSettled(note, subject, format string, args ...any) {
	if c.settledOnce[note] {
		return
	}
	c.settledOnce[note] = true
	in := InRevision
	if !c.pageIsBase {
		in = InBase
	}
	c.emit("known-settled", in, note, subject, "", "known, settled: "+format, args...)
	c.findings["known-settled#"+note+subjectSuffix(subject)].Settled = note
}

func subjectSuffix(subject string) string {
	if subject == "" {
		return ""
	}
	return "@" + subject
}

// silent reports whether the document of side in is a page that does not say anything about what is absent
// from it (operations, statuses, callbacks, response headers it does not list).
func (c *comparer) silent(in string) bool {
	return c.partial && (in == InBase) == c.pageIsBase
}

// pathKey normalises a path template: parameter names do not matter.
var pathParam = regexp.MustCompile(`\{[^}]*\}`)

func pathKey(p string) string { return pathParam.ReplaceAllString(p, "{}") }

func (c *comparer) paths() {
	type op struct {
		path, method, pointer string
		op                    *openapi3.Operation
		item                  *openapi3.PathItem
	}
	collect := func(d *Document) (map[string]op, []string) {
		m := map[string]op{}
		var keys []string
		if d.T.Paths == nil {
			return m, nil
		}
		for _, path := range d.T.Paths.InMatchingOrder() {
			item := d.T.Paths.Value(path)
			for method, o := range item.Operations() {
				k := method + " " + pathKey(path)
				m[k] = op{path, method, "/paths/" + escape(path) + "/" + strings.ToLower(method), o, item}
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		return m, keys
	}
	bops, bkeys := collect(c.base)
	rops, rkeys := collect(c.rev)
	for _, k := range bkeys {
		b := bops[k]
		r, ok := rops[k]
		if !ok {
			if !c.silent(InRevision) {
				c.emit("operation-removed", InBase, b.pointer, "", "", "%s %s is gone: clients calling it fail", b.method, b.path)
			}
			continue
		}
		c.operation(b.method+" "+r.path, side{b.path, b.item, b.op, b.pointer}, side{r.path, r.item, r.op, r.pointer})
	}
	for _, k := range rkeys {
		if _, ok := bops[k]; !ok && !c.silent(InBase) {
			r := rops[k]
			c.emit("operation-added", InRevision, r.pointer, "", "", "%s %s is new", r.method, r.path)
		}
	}
}

// side is an operation as one document has it: its path template, path item, operation and pointer.
type side struct {
	path    string
	item    *openapi3.PathItem
	op      *openapi3.Operation
	pointer string
}

// operation compares one operation present on both sides.
func (c *comparer) operation(name string, bs, rs side) {
	b, r, bp, rp := bs.op, rs.op, bs.pointer, rs.pointer
	c.parameters(name, bs, rs)
	c.requestBody(name, b.RequestBody, r.RequestBody, bp+"/requestBody", rp+"/requestBody")
	c.security(name, b, r, bp, rp)
	c.responses(name, name, b.Responses, r.Responses, bp+"/responses", rp+"/responses", false)
	if !c.partial {
		c.callbacks(name, b.Callbacks, r.Callbacks, bp+"/callbacks", rp+"/callbacks")
	}
	if c.partial {
		c.pageHeaders(name, b, r, bp, rp)
	}
}

// refPointer is the pointer an element is defined at: its $ref's target, or where it stands.
func refPointer(ref, at string) string {
	if strings.HasPrefix(ref, "#") {
		return ref[1:]
	}
	return at
}

// pageHeaderParam reports whether a header parameter is one the page states and OpenAPI expresses otherwise.
func (c *comparer) pageHeaderParam(p *openapi3.Parameter) bool {
	if !c.partial || p.In != openapi3.ParameterInHeader {
		return false
	}
	switch strings.ToLower(p.Name) {
	case "content-type", "accept", "authorization":
		return true
	}
	return false
}

func (c *comparer) parameters(name string, bs, rs side) {
	type param struct {
		p       *openapi3.Parameter
		pointer string
	}
	// index keys the parameters in force for an operation: its own, and its path item's that it does not
	// override. A path parameter is keyed by its place in the template: its name is not sent.
	index := func(s side) (map[string]param, []string) {
		m := map[string]param{}
		var keys []string
		add := func(params openapi3.Parameters, at string) {
			for i, ref := range params {
				if ref == nil || ref.Value == nil || c.pageHeaderParam(ref.Value) {
					continue
				}
				p := ref.Value
				k := p.In + " " + p.Name
				switch p.In {
				case openapi3.ParameterInHeader:
					k = p.In + " " + strings.ToLower(p.Name)
				case openapi3.ParameterInPath:
					k = fmt.Sprintf("path #%d", strings.Index(pathParam.ReplaceAllStringFunc(s.path, func(v string) string {
						if v == "{"+p.Name+"}" {
							return "\x00"
						}
						return "{}"
					}), "\x00"))
				}
				if _, ok := m[k]; ok {
					continue // the operation's own overrides its path item's
				}
				m[k] = param{p, refPointer(ref.Ref, fmt.Sprintf("%s/parameters/%d", at, i))}
				keys = append(keys, k)
			}
		}
		add(s.op.Parameters, s.pointer)
		if s.item != nil {
			add(s.item.Parameters, s.pointer[:strings.LastIndex(s.pointer, "/")])
		}
		sort.Strings(keys)
		return m, keys
	}
	bm, bkeys := index(bs)
	rm, rkeys := index(rs)
	for _, k := range bkeys {
		bq := bm[k]
		rq, ok := rm[k]
		if !ok {
			c.emit("request-parameter-removed", InBase, bq.pointer, "", name, "the %s parameter %q is no longer read: what clients send in it is ignored", bq.p.In, bq.p.Name)
			continue
		}
		if rq.p.Required && !bq.p.Required {
			c.emit("request-parameter-required-added", InRevision, rq.pointer+"/required", "", name, "the %s parameter %q became required: clients that omit it are refused", rq.p.In, rq.p.Name)
		}
		if bq.p.Schema != nil && rq.p.Schema != nil {
			c.schema(request, name, bq.p.Schema, rq.p.Schema, bq.pointer+"/schema", rq.pointer+"/schema")
		}
	}
	for _, k := range rkeys {
		if _, ok := bm[k]; ok {
			continue
		}
		rq := rm[k]
		if rq.p.Required {
			what := "parameter"
			if rq.p.In == openapi3.ParameterInHeader {
				what = "header"
			}
			c.emit("request-parameter-required-added", InRevision, rq.pointer, "", name, "a new required %s %q (in %s): clients that do not send it are refused", what, rq.p.Name, rq.p.In)
		} else {
			c.emit("request-parameter-added", InRevision, rq.pointer, "", name, "a new optional %s parameter %q", rq.p.In, rq.p.Name)
		}
	}
}

// security compares the credentials an operation asks for (the schemes' kinds, not their names).
func (c *comparer) security(name string, b, r *openapi3.Operation, bp, rp string) {
	if c.partial {
		return // pages state credentials as an Authorization header: see pageHeaders
	}
	bs, rs := schemes(c.base.T, b), schemes(c.rev.T, r)
	if bs != rs {
		c.emit("request-security-changed", InRevision, rp, "", name, "the operation asks for other credentials: was %s, now %s", orNone(bs), orNone(rs))
	}
}

// schemes describes the security an operation requires, as text that compares across documents.
func schemes(t *openapi3.T, op *openapi3.Operation) string {
	reqs := t.Security
	if op.Security != nil {
		reqs = *op.Security
	}
	var alts []string
	for _, req := range reqs {
		var all []string
		for name := range req {
			s := "?"
			if t.Components != nil {
				if ref := t.Components.SecuritySchemes[name]; ref != nil && ref.Value != nil {
					v := ref.Value
					s = v.Type
					switch v.Type {
					case "http":
						s += " " + strings.ToLower(v.Scheme)
					case "apiKey":
						s += " " + v.In + " " + v.Name
					}
				}
			}
			all = append(all, s)
		}
		sort.Strings(all)
		alts = append(alts, strings.Join(all, " + "))
	}
	sort.Strings(alts)
	return strings.Join(alts, " or ")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func mediaKey(m string) string {
	m, _, _ = strings.Cut(m, ";")
	return strings.ToLower(strings.TrimSpace(m))
}

// content pairs the media types of two content maps.
func contentPairs(b, r openapi3.Content) (both [][2]string, onlyB, onlyR []string) {
	rkeys := map[string]string{}
	for k := range r {
		rkeys[mediaKey(k)] = k
	}
	bkeys := map[string]string{}
	for k := range b {
		bkeys[mediaKey(k)] = k
	}
	for _, k := range sortedKeys(b) {
		if rk, ok := rkeys[mediaKey(k)]; ok {
			both = append(both, [2]string{k, rk})
		} else {
			onlyB = append(onlyB, k)
		}
	}
	for _, k := range sortedKeys(r) {
		if _, ok := bkeys[mediaKey(k)]; !ok {
			onlyR = append(onlyR, k)
		}
	}
	return both, onlyB, onlyR
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (c *comparer) requestBody(name string, b, r *openapi3.RequestBodyRef, bp, rp string) {
	if b != nil {
		bp = refPointer(b.Ref, bp)
	}
	if r != nil {
		rp = refPointer(r.Ref, rp)
	}
	switch {
	case r == nil || r.Value == nil:
		if b != nil && b.Value != nil && !c.silent(InRevision) {
			c.emit("request-media-type-removed", InBase, bp, "", name, "the request body is gone: what clients send is no longer read")
		}
		return
	case b == nil || b.Value == nil:
		if r.Value.Required {
			c.emit("request-body-required-added", InRevision, rp, "", name, "a request body is now required: clients that send none are refused")
		}
		return
	}
	if r.Value.Required && !b.Value.Required && !c.partial { // a page does not say whether its body is required
		c.emit("request-body-required-added", InRevision, rp+"/required", "", name, "the request body became required: clients that send none are refused")
	}
	both, onlyB, onlyR := contentPairs(b.Value.Content, r.Value.Content)
	for _, k := range onlyB {
		c.emit("request-media-type-removed", InBase, bp+"/content/"+escape(k), "", name, "request bodies of type %s are no longer accepted", k)
	}
	for _, k := range onlyR {
		c.emit("request-media-type-added", InRevision, rp+"/content/"+escape(k), "", name, "request bodies of type %s are accepted too", k)
	}
	for _, pair := range both {
		bm, rm := b.Value.Content[pair[0]], r.Value.Content[pair[1]]
		bmp, rmp := bp+"/content/"+escape(pair[0]), rp+"/content/"+escape(pair[1])
		if bm.Schema != nil && rm.Schema != nil {
			c.schema(request, name+" request", bm.Schema, rm.Schema, bmp+"/schema", rmp+"/schema")
		}
		if c.partial {
			c.pageExamples(request, name+" request", bm, rm, bmp, rmp)
		}
	}
}

// success reports whether a status key is a 2xx.
func success(status string) bool { return strings.HasPrefix(status, "2") }

// statusRange is the range key that covers a status key ("2XX" for "204"), or the key itself when it is not a
// status.
func statusRange(status string) string {
	if len(status) != 3 || status[0] < '1' || status[0] > '5' || strings.Trim(status[1:], "0123456789") != "" {
		return status
	}
	return status[:1] + "XX"
}

// responses compares the responses of an operation (callback false) or the answers a callback expects of
// the client's receiver (callback true).
func (c *comparer) responses(name, opName string, b, r *openapi3.Responses, bp, rp string, callback bool) {
	var bm, rm map[string]*openapi3.ResponseRef
	if b != nil {
		bm = b.Map()
	}
	if r != nil {
		rm = r.Map()
	}
	for _, status := range sortedKeys(bm) {
		bref := bm[status]
		rstatus := status
		rref, ok := rm[status]
		if !ok && statusRange(status) != status { // 200 → 2XX: the revision still documents it, in a range
			rstatus = statusRange(status)
			rref, ok = rm[rstatus]
		}
		p := bp + "/" + escape(status)
		if !ok {
			switch {
			case c.silent(InRevision):
			case callback:
				c.emit("callback-answer-removed", InBase, p, status, name, "the receiver's answer %s is no longer accepted: receivers that answer it see their callbacks retried", status)
			case success(status):
				c.emit("response-success-status-removed", InBase, p, status, name, "%s no longer answers %s: clients expecting it fail", opName, status)
			default:
				c.emit("response-error-status-removed", InBase, p, status, name, "%s no longer documents %s: a client's handling of it stays unused", opName, status)
				c.emit("prefer-code-removed", InBase, p, status, name, "the mock answers Prefer: code=%s on %s with a 400 now (it forces documented statuses only): tests that ask for it fail", status, opName)
			}
			continue
		}
		rp := rp + "/" + escape(rstatus)
		if bref.Value == nil || rref.Value == nil {
			continue
		}
		dir := response
		if callback {
			dir = request // the client's receiver sends the answer
		}
		c.response(dir, name+" "+status, bref, rref, refPointer(bref.Ref, p), refPointer(rref.Ref, rp))
	}
	for _, status := range sortedKeys(rm) {
		if _, ok := bm[status]; ok || c.silent(InBase) {
			continue
		}
		p := rp + "/" + escape(status)
		if callback {
			c.emit("callback-answer-added", InRevision, p, status, name, "the receiver may also answer %s", status)
		} else {
			c.emit("response-status-added", InRevision, p, status, name, "%s may answer %s: clients that do not handle it fail on it", opName, status)
		}
	}
}

func (c *comparer) response(dir direction, where string, b, r *openapi3.ResponseRef, bp, rp string) {
	if !c.partial {
		for _, h := range sortedKeys(b.Value.Headers) {
			if _, ok := r.Value.Headers[h]; !ok && r.Value.Headers[strings.ToLower(h)] == nil {
				c.emit("response-header-removed", InBase, bp+"/headers/"+escape(h), h, where, "the response header %s is gone: clients reading it get nothing", h)
			}
		}
	}
	both, onlyB, onlyR := contentPairs(b.Value.Content, r.Value.Content)
	for _, k := range onlyB {
		if dir == request {
			c.emit("callback-answer-removed", InBase, bp+"/content/"+escape(k), k, where, "answers of type %s are no longer accepted", k)
			continue
		}
		c.emit("response-media-type-removed", InBase, bp+"/content/"+escape(k), k, where, "responses of type %s are gone: clients parsing them fail", k)
	}
	for _, k := range onlyR {
		if dir == request {
			c.emit("callback-answer-added", InRevision, rp+"/content/"+escape(k), k, where, "answers of type %s are accepted too", k)
			continue
		}
		c.emit("response-media-type-added", InRevision, rp+"/content/"+escape(k), k, where, "responses may be of type %s: clients that parse only the others fail on them", k)
	}
	for _, pair := range both {
		bm, rm := b.Value.Content[pair[0]], r.Value.Content[pair[1]]
		bmp, rmp := bp+"/content/"+escape(pair[0]), rp+"/content/"+escape(pair[1])
		if bm.Schema != nil && rm.Schema != nil {
			c.schema(dir, where, bm.Schema, rm.Schema, bmp+"/schema", rmp+"/schema")
		}
		if c.partial {
			c.pageExamples(dir, where, bm, rm, bmp, rmp)
		}
	}
}

func (c *comparer) callbacks(opName string, b, r openapi3.Callbacks, bp, rp string) {
	for _, name := range sortedKeys(b) {
		bcb, rcb := b[name], r[name]
		bcp := refPointer(bcb.Ref, bp+"/"+escape(name))
		if rcb == nil || rcb.Value == nil {
			c.emit("callback-removed", InBase, bcp, name, opName, "the %q callback of %s is gone: receivers waiting for it never hear", name, opName)
			continue
		}
		if bcb.Value == nil {
			continue
		}
		rcp := refPointer(rcb.Ref, rp+"/"+escape(name))
		bexprs, rexprs := bcb.Value.Map(), rcb.Value.Map()
		bkeys, rkeys := sortedKeys(bexprs), sortedKeys(rexprs)
		if len(bkeys) == 1 && len(rkeys) == 1 && bkeys[0] != rkeys[0] {
			c.emit("callback-url-changed", InRevision, rcp+"/"+escape(rkeys[0]), rkeys[0], opName, "the %q callback goes to %s, no longer to %s: clients that set the old field are not called", name, rkeys[0], bkeys[0])
			c.callbackItem(opName, name, bexprs[bkeys[0]], rexprs[rkeys[0]], bcp+"/"+escape(bkeys[0]), rcp+"/"+escape(rkeys[0]))
			continue
		}
		for _, expr := range bkeys {
			ri := rexprs[expr]
			if ri == nil {
				c.emit("callback-url-changed", InBase, bcp+"/"+escape(expr), expr, opName, "the %q callback no longer goes to %s", name, expr)
				continue
			}
			c.callbackItem(opName, name, bexprs[expr], ri, bcp+"/"+escape(expr), rcp+"/"+escape(expr))
		}
	}
	for _, name := range sortedKeys(r) {
		if b[name] == nil {
			c.emit("callback-added", InRevision, refPointer(r[name].Ref, rp+"/"+escape(name)), name, opName, "a new %q callback of %s", name, opName)
		}
	}
}

// callbackItem compares the operations a callback sends: the body as a response the client receives, the
// expected answer as a request it sends.
func (c *comparer) callbackItem(opName, name string, b, r *openapi3.PathItem, bp, rp string) {
	bops, rops := b.Operations(), r.Operations()
	for _, method := range sortedKeys(bops) {
		bo := bops[method]
		ro := rops[method]
		m := strings.ToLower(method)
		where := fmt.Sprintf("callback %s of %s", name, opName)
		if ro == nil {
			c.emit("callback-removed", InBase, bp+"/"+m, name, opName, "the %q callback of %s no longer sends a %s: receivers waiting for it never hear", name, opName, method)
			continue
		}
		if bo.RequestBody != nil && ro.RequestBody != nil && bo.RequestBody.Value != nil && ro.RequestBody.Value != nil {
			bb := refPointer(bo.RequestBody.Ref, bp+"/"+m+"/requestBody")
			rb := refPointer(ro.RequestBody.Ref, rp+"/"+m+"/requestBody")
			body := func(rb *openapi3.RequestBodyRef) *openapi3.ResponseRef {
				return &openapi3.ResponseRef{Value: &openapi3.Response{Content: rb.Value.Content}}
			}
			c.response(response, where, body(bo.RequestBody), body(ro.RequestBody), bb, rb)
		}
		c.responses(where+" answer", where, bo.Responses, ro.Responses, bp+"/"+m+"/responses", rp+"/"+m+"/responses", true)
	}
	for _, method := range sortedKeys(rops) {
		if bops[method] == nil {
			c.emit("callback-added", InRevision, rp+"/"+strings.ToLower(method), name, opName, "the %q callback of %s also sends a %s", name, opName, method)
		}
	}
}

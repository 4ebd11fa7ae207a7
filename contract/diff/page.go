package diff

import (
	"errors"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// pageHeaders compares the headers a page lists as parameters (Content-Type, Accept, Authorization) with how
// the OpenAPI document expresses them: the media types and the security scheme.
func (c *comparer) pageHeaders(name string, b, r *openapi3.Operation, bp, rp string) {
	pageOp, docOp, docPointer, docIn, docT := r, b, bp, InBase, c.base.T
	if c.pageIsBase {
		pageOp, docOp, docPointer, docIn, docT = b, r, rp, InRevision, c.rev.T
	}
	var listed []string
	for _, ref := range pageOp.Parameters {
		if ref == nil || ref.Value == nil || !c.pageHeaderParam(ref.Value) {
			continue
		}
		p := ref.Value
		listed = append(listed, p.Name)
		if strings.EqualFold(p.Name, "Authorization") {
			sample, _ := p.Example.(string)
			bearer := strings.HasPrefix(strings.ToLower(sample), "bearer")
			docSchemes := schemes(docT, docOp)
			if bearer != strings.Contains(docSchemes, "http bearer") {
				c.emit("request-security-changed", docIn, docPointer, "Authorization", name, "the page sends Authorization: %q; the OpenAPI document asks for %s", sample, orNone(docSchemes))
			}
		}
	}
	if len(listed) == 0 {
		return
	}
	if note, ok := noteOf(docOp.Extensions, "headers"); ok {
		c.knownSettled(docPointer+"/x-settled/headers", "", "the page lists %s as required headers; the OpenAPI document expresses them as media types and a security scheme (x-settled: %s)",
			strings.Join(listed, ", "), firstSentence(note))
	}
}

// pageExamples holds the examples of the page's media type to the OpenAPI document's schema: values its enum
// lacks, fields it does not have or that the example lacks, and the shape the example takes.
func (c *comparer) pageExamples(dir direction, where string, bm, rm *openapi3.MediaType, bmp, rmp string) {
	page, doc, pagePointer, docPointer, docIn := rm, bm, rmp, bmp, InBase
	if c.pageIsBase {
		page, doc, pagePointer, docPointer, docIn = bm, rm, bmp, rmp, InRevision
	}
	if doc.Schema == nil || doc.Schema.Value == nil {
		return
	}
	type example struct {
		value   any
		pointer string
	}
	var examples []example
	if page.Example != nil {
		examples = append(examples, example{page.Example, pagePointer + "/example"})
	}
	for _, k := range sortedKeys(page.Examples) {
		if e := page.Examples[k]; e != nil && e.Value != nil {
			examples = append(examples, example{e.Value.Value, pagePointer + "/examples/" + escape(k) + "/value"})
		}
	}
	for _, ex := range examples {
		target, tp := doc.Schema, refPointer(doc.Schema.Ref, docPointer+"/schema")
		if alts := alternatives(target.Value); len(alts) > 0 {
			matched := -1
			for i, a := range alts {
				if a.Value != nil && a.Value.VisitJSON(ex.value) == nil {
					matched = i
					break
				}
			}
			if matched < 0 {
				matched = closestBranch(alts, ex.value)
			}
			if page.Schema != nil && page.Schema.Value != nil {
				if schemaBranch := bestBranch(alts, page.Schema.Value); schemaBranch != matched {
					if note, ok := noteOf(target.Value.Extensions, "shape"); ok {
						c.knownSettled(tp+"/x-settled/shape", "", "the page's schema is %s while its example is %s; the OpenAPI document accepts either (x-settled: %s)",
							branchName(alts[schemaBranch]), branchName(alts[matched]), firstSentence(note))
					}
				}
			}
			tp = refPointer(alts[matched].Ref, tp+"/"+altKey(target.Value)+"/"+strconv.Itoa(matched))
			target = alts[matched]
		}
		c.exampleFields(dir, where, target, ex.value, tp, ex.pointer, docIn)
		err := target.Value.VisitJSON(ex.value, openapi3.MultiErrors())
		var errs openapi3.MultiError
		if !errors.As(err, &errs) {
			if err != nil {
				errs = openapi3.MultiError{err}
			}
		}
		for _, e := range flatten(errs) {
			c.exampleError(dir, where, target, tp, ex.pointer, docIn, e)
		}
	}
}

func branchName(ref *openapi3.SchemaRef) string {
	if i := strings.LastIndex(ref.Ref, "/"); i >= 0 {
		return ref.Ref[i+1:]
	}
	return "an inline schema"
}

// closestBranch returns the alternative whose properties share the most names with an object value.
func closestBranch(alts openapi3.SchemaRefs, v any) int {
	obj, _ := v.(map[string]any)
	best, score := 0, -1
	for i, a := range alts {
		if a == nil || a.Value == nil {
			continue
		}
		n := 0
		for k := range obj {
			if a.Value.Properties[k] != nil {
				n++
			}
		}
		if n > score {
			best, score = i, n
		}
	}
	return best
}

func flatten(errs openapi3.MultiError) []*openapi3.SchemaError {
	var out []*openapi3.SchemaError
	for _, err := range errs {
		var multi openapi3.MultiError
		var se *openapi3.SchemaError
		switch {
		case errors.As(err, &multi):
			out = append(out, flatten(multi)...)
		case errors.As(err, &se):
			out = append(out, se)
		}
	}
	return out
}

// schemaAt follows a path of value keys through a schema: properties, items and $refs. It returns the schema
// reached and its pointer, or nil.
func schemaAt(s *openapi3.SchemaRef, pointer string, path []string) (*openapi3.SchemaRef, string) {
	for _, key := range path {
		if s == nil || s.Value == nil {
			return nil, ""
		}
		switch {
		case s.Value.Properties[key] != nil:
			s, pointer = s.Value.Properties[key], pointer+"/properties/"+escape(key)
		case s.Value.Items != nil:
			if _, err := strconv.Atoi(key); err != nil {
				return nil, ""
			}
			s, pointer = s.Value.Items, pointer+"/items"
		default:
			return nil, ""
		}
		pointer = refPointer(s.Ref, pointer)
	}
	return s, pointer
}

// exampleFields reports the fields of an example value that the schema does not have.
func (c *comparer) exampleFields(dir direction, where string, s *openapi3.SchemaRef, v any, sp, vp, docIn string) {
	obj, ok := v.(map[string]any)
	if !ok || s == nil || s.Value == nil || len(s.Value.Properties) == 0 {
		return
	}
	for _, k := range sortedKeys(obj) {
		prop := s.Value.Properties[k]
		if prop == nil {
			switch {
			case c.pageIsBase && dir == request:
				c.emit("request-property-removed", InBase, vp+"/"+escape(k), "", where, "%s (in the page's example) is not in the OpenAPI document", join(name(sp), k))
			case c.pageIsBase:
				c.emit("response-property-removed", InBase, vp+"/"+escape(k), "", where, "%s (in the page's example) is not in the OpenAPI document: clients reading it get nothing", join(name(sp), k))
			case dir == request:
				c.emit("request-property-added", InRevision, vp+"/"+escape(k), "", where, "a field %s in the page's example that the OpenAPI document does not have", join(name(sp), k))
			default:
				c.emit("response-property-added", InRevision, vp+"/"+escape(k), "", where, "a field %s in the page's example that the OpenAPI document does not have", join(name(sp), k))
			}
			continue
		}
		c.exampleFields(dir, where, prop, obj[k], refPointer(prop.Ref, sp+"/properties/"+escape(k)), vp+"/"+escape(k), docIn)
	}
}

// exampleError classifies one way the page's example breaks the document's schema.
func (c *comparer) exampleError(dir direction, where string, root *openapi3.SchemaRef, rootPointer, vp, docIn string, e *openapi3.SchemaError) {
	path := e.JSONPointer()
	at := vp
	for _, k := range path {
		at += "/" + escape(k)
	}
	s, sp := schemaAt(root, rootPointer, path)
	switch e.SchemaField {
	case "enum":
		if s == nil {
			break
		}
		value := enumText(e.Value)
		if c.pageIsBase {
			c.enumRemoved(dir, where, sp+"/enum", value, name(sp)+" (the page's example uses it)", docIn)
		} else {
			c.enumAdded(dir, where, sp+"/enum", value, name(sp)+" (in the page's example)", lifecycleSchema(s.Value), docIn)
		}
		return
	case "required":
		if dir == response && !c.pageIsBase && s != nil {
			c.emit("response-property-removed", docIn, sp, "", where, "%s is required by the OpenAPI document, and the page's example lacks it: clients reading it get nothing", name(sp))
			return
		}
	case "additionalProperties":
		return // exampleFields says which field
	}
	c.emit("page-example-invalid", docIn, orRoot(sp), pathText(path), where, "the page's example at %s breaks the OpenAPI document: %s", orRoot(at), e.Reason)
}

func pathText(path []string) string {
	if len(path) == 0 {
		return ""
	}
	return "/" + strings.Join(path, "/")
}

package diff

import (
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v4"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/internal/snip"
)

// machine is the task lifecycle a document declares (lumamock.ReadLifecycle), with its states as strings.
type machine struct {
	name, pointer string
	states        []string
	transitions   map[string][]string
	terminal      []string
}

// machines returns the lifecycle of a document, if it declares one.
func machines(d *Document) []machine {
	lc, ok, err := lumamock.ReadLifecycle(d.T)
	if !ok || err != nil {
		return nil // Load refuses a malformed one
	}
	m := machine{name: lumamock.TaskStateSchema, pointer: "/components/schemas/" + escape(lumamock.TaskStateSchema), transitions: map[string][]string{}}
	for _, s := range lc.States {
		m.states = append(m.states, string(s))
		if lc.Terminal[s] {
			m.terminal = append(m.terminal, string(s))
		}
	}
	for from, to := range lc.Next {
		for _, s := range to {
			m.transitions[string(from)] = append(m.transitions[string(from)], string(s))
		}
	}
	return []machine{m}
}

// lifecycle compares the task lifecycles of the two documents: states, transitions and terminal states.
func (c *comparer) lifecycle() {
	bms, rms := machines(c.base), machines(c.rev)
	for _, b := range bms {
		i := slices.IndexFunc(rms, func(r machine) bool { return r.name == b.name })
		if i < 0 {
			c.emit("lifecycle-removed", InBase, b.pointer+"/x-transitions", b.name, "", "%s no longer describes its lifecycle (x-transitions): clients lose the documented states and moves", b.name)
			continue
		}
		c.machine(b, rms[i])
	}
}

func (c *comparer) machine(b, r machine) {
	bstates, rstates := b.states, r.states
	where := "lifecycle " + r.name
	// statePointer is where a state is declared: its x-transitions entry, else the enum.
	statePointer := func(d *Document, m machine, s string) string {
		if p := m.pointer + "/x-transitions/" + escape(s); d.root == nil || d.has(p) {
			return p
		}
		return m.pointer + "/enum"
	}
	for _, s := range rstates {
		if !slices.Contains(bstates, s) {
			c.emit("lifecycle-state-added", InRevision, statePointer(c.rev, r, s), s, where, "a new task state %q: clients' state machines do not know it", s)
		}
	}
	for _, s := range bstates {
		if slices.Contains(rstates, s) {
			continue
		}
		c.emit("lifecycle-state-removed", InBase, statePointer(c.base, b, s), s, where, "the task state %q is gone", s)
	}
	for _, from := range sortedKeys(b.transitions) {
		rto := r.transitions[from]
		if !slices.Contains(rstates, from) {
			continue // the state is gone: said above
		}
		for _, to := range b.transitions[from] {
			if !slices.Contains(rto, to) {
				c.emit("lifecycle-transition-removed", InBase, b.pointer+"/x-transitions/"+escape(from), from+" → "+to, where, "a task no longer moves %s → %s: clients waiting for that move wait forever", from, to)
			}
		}
	}
	for _, from := range sortedKeys(r.transitions) {
		bto := b.transitions[from]
		if !slices.Contains(bstates, from) {
			continue // a new state: said above
		}
		for _, to := range r.transitions[from] {
			if !slices.Contains(bto, to) {
				c.emit("lifecycle-transition-added", InRevision, r.pointer+"/x-transitions/"+escape(from), from+" → "+to, where, "a task may move %s → %s: clients that check moves refuse it", from, to)
			}
		}
	}
	for _, s := range b.terminal {
		if !slices.Contains(r.terminal, s) && slices.Contains(rstates, s) {
			c.emit("lifecycle-terminal-removed", InRevision, r.pointer+"/x-terminal", s, where, "%q is no longer terminal: clients stop following a task that still changes", s)
		}
	}
	for _, s := range r.terminal {
		if !slices.Contains(b.terminal, s) && slices.Contains(bstates, s) {
			c.emit("lifecycle-terminal-added", InRevision, r.pointer+"/x-terminal", s, where, "%q is terminal now: clients waiting for a task to move on from it wait forever", s)
		}
	}
}

// note is an x-settled entry (or an x-source-required list) at a pointer of a document's text.
type note struct {
	pointer, text string
}

// notes collects the x-settled entries and x-source-required lists of a document's text, by pointer.
func notes(root *yaml.Node) (settled, source map[string]note) {
	settled, source = map[string]note{}, map[string]note{}
	var walk func(n *yaml.Node, pointer string, depth int)
	walk = func(n *yaml.Node, pointer string, depth int) {
		if depth > 64 {
			return
		}
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i].Value, n.Content[i+1]
				p := pointer + "/" + escape(k)
				switch k {
				case "x-settled":
					if v.Kind == yaml.MappingNode {
						for j := 0; j+1 < len(v.Content); j += 2 {
							q := p + "/" + escape(v.Content[j].Value)
							settled[q] = note{q, text(v.Content[j+1])}
						}
					} else {
						settled[p] = note{p, text(v)}
					}
					continue
				case "x-source-required":
					source[p] = note{p, text(v)}
					continue
				}
				walk(v, p, depth+1)
			}
		case yaml.SequenceNode:
			for i, e := range n.Content {
				walk(e, pointer+"/"+strconv.Itoa(i), depth+1)
			}
		}
	}
	if root != nil {
		walk(root, "", 0)
	}
	return settled, source
}

// text is a node's text: a scalar's value, a sequence's items joined, normalised for comparison.
func text(n *yaml.Node) string {
	switch n.Kind {
	case yaml.ScalarNode:
		return strings.Join(strings.Fields(n.Value), " ")
	case yaml.SequenceNode:
		var items []string
		for _, e := range n.Content {
			items = append(items, text(e))
		}
		return "[" + strings.Join(items, ", ") + "]"
	}
	out, _ := yaml.Marshal(n)
	return strings.Join(strings.Fields(string(out)), " ")
}

// settled compares the x-settled notes and x-source-required lists of two OpenAPI documents.
func (c *comparer) settled() {
	bs, bsrc := notes(c.base.root)
	rs, rsrc := notes(c.rev.root)
	for _, p := range sortedKeys(bs) {
		r, ok := rs[p]
		switch {
		case !ok:
			c.emit("settled-removed", InBase, p, "", "", "the settled conflict %s is no longer explained: %q", settledName(p), snipText(bs[p].text))
		case r.text != bs[p].text:
			c.emit("settled-changed", InRevision, p, "", "", "the settled conflict %s says %q now", settledName(p), snipText(r.text))
		}
	}
	for _, p := range sortedKeys(rs) {
		if _, ok := bs[p]; !ok {
			c.emit("settled-added", InRevision, p, "", "", "a newly settled conflict %s: %q", settledName(p), snipText(rs[p].text))
		}
	}
	keys := map[string]bool{}
	for p := range bsrc {
		keys[p] = true
	}
	for p := range rsrc {
		keys[p] = true
	}
	for _, p := range sortedStrings(keys) {
		b, r := bsrc[p], rsrc[p]
		if b.text == r.text {
			continue
		}
		in := InRevision
		if r.pointer == "" {
			in = InBase
		}
		c.emit("source-required-changed", in, p, "", "", "the source's literal required list is %s, was %s", orNone(r.text), orNone(b.text))
	}
}

// settledName names the element a note is on.
func settledName(p string) string {
	before, key, _ := strings.Cut(p, "/x-settled")
	key = strings.TrimPrefix(key, "/")
	where := name(before)
	if where == "the body" {
		where = before
	}
	if key != "" {
		return where + " (" + unescape(key) + ")"
	}
	return where
}

func snipText(s string) string { return snip.Text(s) }

package check

import (
	"fmt"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/lumamock/lumamock"
)

// lifecycle is the task lifecycle a document declares (lumamock.ReadLifecycle). The checker judges polls and
// callbacks by it, so that a document given with --spec is held to its own lifecycle, not to the embedded one.
type lifecycle struct {
	states   []lumamock.TaskState                        // in the document's order
	next     map[lumamock.TaskState][]lumamock.TaskState // x-transitions
	terminal map[lumamock.TaskState]bool                 // x-terminal
}

// readLifecycle reads the lifecycle of doc's TaskState schema; ok is false when the schema or its x-transitions
// are missing or malformed. Without x-terminal, the states no transition leaves are terminal.
func readLifecycle(doc *openapi3.T) (lc lifecycle, ok bool, err error) {
	l, ok, err := lumamock.ReadLifecycle(doc)
	if err != nil {
		return lifecycle{}, false, fmt.Errorf("check: %w", err)
	}
	return lifecycle{states: l.States, next: l.Next, terminal: l.Terminal}, ok, nil
}

// documentLifecycle is the lifecycle doc declares, or the embedded document's when doc declares none.
func documentLifecycle(doc *openapi3.T) (lifecycle, error) {
	life, ok, err := readLifecycle(doc)
	if err != nil || ok {
		return life, err
	}
	life, _, err = readLifecycle(lumamock.MustLoad())
	return life, err
}

// known reports whether s is a state the document lists.
func (l lifecycle) known(s lumamock.TaskState) bool { return slices.Contains(l.states, s) }

// isTerminal reports whether the document says a task in state s will not change again.
func (l lifecycle) isTerminal(s lumamock.TaskState) bool { return l.terminal[s] }

// illegal reports whether a task seen in state from, then in state to, moved in a way the document forbids.
// Repeats, unread ("") and undocumented states are not moves it can judge (undocumented states are reported as
// new enum values where they are read).
func (l lifecycle) illegal(from, to lumamock.TaskState) bool {
	if from == to || !l.known(from) || !l.known(to) {
		return false
	}
	return !slices.Contains(l.next[from], to)
}

// moves says where the document lets a task in state s go, e.g. "processing → completed or failed".
func (l lifecycle) moves(s lumamock.TaskState) string {
	next := l.next[s]
	if len(next) == 0 {
		return string(s) + " → nothing (it is terminal)"
	}
	parts := make([]string, len(next))
	for i, n := range next {
		parts[i] = string(n)
	}
	return string(s) + " → " + strings.Join(parts, " or ")
}

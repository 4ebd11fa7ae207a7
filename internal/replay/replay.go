// Package replay connects lumamock serve --replay's replayer (package cassette) to the mock it stands in
// front of, without either package exporting what only the other needs: the mock registers, at init, how to
// judge and journal requests for a handler of its own; the replayer asks for its fallback's Judge.
package replay

import (
	"net/http"
	"sync"
)

// Judge is what a replayer asks of the handler it falls back to.
type Judge interface {
	// Admits reports whether the handler would accept r, with body, as valid: routed, authenticated and
	// matching the document. It creates nothing. A recorded success answers only a request it admits.
	Admits(r *http.Request, body []byte) bool
	// Journal records in the handler's request journal a request the replayer answered from the recording in
	// file, with status and the headers answered.
	Journal(r *http.Request, body []byte, status int, answered http.Header, file string)
}

var (
	mu     sync.RWMutex
	judges []func(http.Handler) (Judge, bool)
)

// Register adds of to what JudgeOf asks: it returns the Judge of a handler it knows. Call it from an init
// function.
func Register(of func(http.Handler) (Judge, bool)) {
	mu.Lock()
	defer mu.Unlock()
	judges = append(judges, of)
}

// JudgeOf returns the Judge of h, if a registered package knows h.
func JudgeOf(h http.Handler) (Judge, bool) {
	mu.RLock()
	defer mu.RUnlock()
	for _, of := range judges {
		if j, ok := of(h); ok {
			return j, true
		}
	}
	return nil, false
}

// Package adminpage reads the paging parameters of the admin API's list reads (since, before, limit), pages a
// numbered ring with them, and tells a reader, in two headers, which numbers the server still keeps.
package adminpage

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/lumamock/lumamock/internal/ring"
)

// Headers on a paged read: the numbers of the oldest and the newest record kept (see ring.Ring.Bounds). A reader
// drops what it holds numbered below the first: those records were forgotten, by eviction or a reset.
const (
	HeaderFirstSeq = "X-Lumamock-First-Seq"
	HeaderLastSeq  = "X-Lumamock-Last-Seq"
)

// Page is what one read asks for: the records numbered above Since, oldest first; or, when Before is not 0,
// the newest records numbered below Before (still listed oldest first). At most Limit of them; all when Limit is
// negative.
type Page struct {
	Since  int64
	Before int64
	Limit  int
}

// Parse reads since, before and limit from q. A limit not given is def; a limit above max is max (a negative max
// means no bound). since and before exclude each other, and none may be given twice. before=0 asks for the
// records numbered below 0: none, an empty page (Limit 0).
func Parse(q url.Values, def, max int) (Page, error) {
	since, err := Count(q, "since", 0)
	if err != nil {
		return Page{}, err
	}
	before, err := Count(q, "before", 0)
	if err != nil {
		return Page{}, err
	}
	if q.Has("since") && q.Has("before") {
		return Page{}, fmt.Errorf("query parameters since and before exclude each other: since pages forward, before pages back")
	}
	p := Page{Since: since, Before: before, Limit: def}
	if q.Has("limit") {
		n, err := Count(q, "limit", 0)
		if err != nil {
			return Page{}, err
		}
		p.Limit = int(min(n, math.MaxInt32))
	}
	if max >= 0 && (p.Limit < 0 || p.Limit > max) {
		p.Limit = max
	}
	if q.Has("before") && before == 0 {
		p.Limit = 0 // nothing is numbered below 0 (a Before of 0 means no before)
	}
	return p, nil
}

// One returns the value of the query parameter name, "" when it is absent. A parameter given more than once is
// an error naming it: reading only its first value would leave the others unchecked.
func One(q url.Values, name string) (string, error) {
	if n := len(q[name]); n > 1 {
		return "", fmt.Errorf("query parameter %s: given %d times; give it once", name, n)
	}
	return q.Get(name), nil
}

// Bool reads the optional query parameter name as true or false: nil when it is absent; given twice, or not a
// boolean, it is an error naming it.
func Bool(q url.Values, name string) (*bool, error) {
	if !q.Has(name) {
		return nil, nil
	}
	v, err := One(q, name)
	if err != nil {
		return nil, err
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return nil, fmt.Errorf("query parameter %s: %q is not true or false", name, v)
	}
	return &b, nil
}

// Count reads the query parameter name as a non-negative integer, def when it is absent; given twice it is an
// error. A number too large for an int64 reads as the largest one.
func Count(q url.Values, name string, def int64) (int64, error) {
	if !q.Has(name) {
		return def, nil
	}
	v, err := One(q, name)
	if err != nil {
		return 0, err
	}
	if v == "" || strings.TrimLeft(v, "0123456789") != "" {
		return 0, fmt.Errorf("query parameter %s: %q is not a non-negative integer", name, v)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil { // only digits: the number is out of range
		return math.MaxInt64, nil
	}
	return n, nil
}

// Read returns the page p of r, keeping only the values keep accepts (nil accepts all), and sets the bound
// headers of r on h when h is not nil.
func Read[T any](r *ring.Ring[T], p Page, keep func(*T) bool, h http.Header) []T {
	var out []T
	if p.Before != 0 {
		out = r.Before(p.Before, p.Limit, keep)
	} else {
		out = r.Since(p.Since, p.Limit, keep)
	}
	if h != nil {
		SetBounds(h, r)
	}
	return out
}

// SetBounds sets on h the headers naming the oldest and newest records r keeps.
func SetBounds[T any](h http.Header, r *ring.Ring[T]) {
	first, last := r.Bounds()
	h.Set(HeaderFirstSeq, strconv.FormatInt(first, 10))
	h.Set(HeaderLastSeq, strconv.FormatInt(last, 10))
}

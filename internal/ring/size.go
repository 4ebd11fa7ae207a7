package ring

import (
	"net/http"
	"unsafe"
)

// Memory estimates for the sizeOf function of a byte-bounded ring: what a string, a slice and an http.Header
// entry take beyond the bytes they hold.
const (
	StringHeader = int64(unsafe.Sizeof(""))
	SliceHeader  = int64(unsafe.Sizeof([]string(nil)))
	MapEntry     = 2 * (StringHeader + SliceHeader)
)

// HeaderSize estimates the memory h holds: its entries, names and values.
func HeaderSize(h http.Header) int64 {
	var n int64
	for k, vs := range h {
		n += MapEntry + int64(len(k))
		for _, v := range vs {
			n += StringHeader + int64(len(v))
		}
	}
	return n
}

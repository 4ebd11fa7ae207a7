package proxy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/contract"
	"github.com/lumamock/lumamock/internal/redact"
)

// Directions of a finding: which message broke the document.
const (
	DirRequest  = "request"
	DirResponse = "response"
	DirCallback = "callback"
)

// Kinds of finding the proxy adds to those of the contract package.
const (
	// KindUnknownOperation: no operation of the document matches the request's method and path.
	KindUnknownOperation contract.Kind = "unknown-operation"
	// KindUnchecked: a body was too large (or encoded in a way the proxy cannot read) to be checked; it was
	// forwarded unchecked.
	KindUnchecked contract.Kind = "unchecked"
)

// Finding is a contract finding and the message it concerns.
type Finding struct {
	Direction string `json:"direction"`
	contract.Finding
	// status is the 4xx the document implies for a violating request (strict mode answers it).
	status int
}

// HeaderViolations carries, on every answer whose exchange broke the document, a compact JSON array of
// Violation values.
const HeaderViolations = "X-Lumamock-Violations"

// MaxViolationsHeader bounds the X-Lumamock-Violations header in bytes; findings past it are counted in a
// final {"kind":"truncated"} element.
const MaxViolationsHeader = 4096

// Violation is one element of the X-Lumamock-Violations header.
type Violation struct {
	Direction string         `json:"direction"`
	Class     contract.Class `json:"class"`
	Kind      contract.Kind  `json:"kind"`
	Pointer   string         `json:"pointer,omitempty"`
	Message   string         `json:"message"`
}

// KindTruncated is the kind of the last element of a header that could not hold every finding; its message
// says how many were left out.
const KindTruncated contract.Kind = "truncated"

func newFinding(dir string, kind contract.Kind, class contract.Class, pointer, expected, actual, msg string) Finding {
	f := Finding{Direction: dir, Finding: contract.Finding{Class: class, Kind: kind, Check: dir, Pointer: pointer,
		Expected: expected, Actual: actual, Message: msg}}
	f.ID = findingID(dir, f.Finding)
	return f
}

// findingID is a finding's stable id: direction.check.kind#pointer.
func findingID(dir string, f contract.Finding) string {
	return dir + "." + f.Check + "." + string(f.Kind) + "#" + f.Pointer
}

func wrap(dir string, fs []contract.Finding) []Finding {
	out := make([]Finding, 0, len(fs))
	for _, f := range fs {
		if f.ID == "" {
			f.ID = findingID(dir, f)
		}
		out = append(out, Finding{Direction: dir, Finding: f})
	}
	return out
}

// violationsHeader renders findings as the X-Lumamock-Violations value: compact, ASCII-only JSON, at most
// MaxViolationsHeader bytes.
func violationsHeader(findings []Finding, secrets []string) string {
	if len(findings) == 0 {
		return ""
	}
	// Findings are rendered only while they may fit: a message with thousands of findings costs no more than
	// one with a few.
	var b bytes.Buffer
	b.WriteByte('[')
	shown := 0
	for i, f := range findings {
		// The pointer names a member of what the upstream sent, which can be anything, a key included.
		v := Violation{Direction: f.Direction, Class: f.Class, Kind: f.Kind, Pointer: redact.Text(f.Pointer, secrets...), Message: redact.Text(f.Message, secrets...)}
		data, _ := json.Marshal(v)
		p := asciiJSON(data)
		tail := 0
		if i < len(findings)-1 {
			tail = 160 // room for the truncation marker
		}
		if b.Len()+len(p)+2+tail > MaxViolationsHeader {
			break
		}
		if shown > 0 {
			b.WriteByte(',')
		}
		b.Write(p)
		shown++
	}
	if shown < len(findings) {
		marker, _ := json.Marshal(Violation{Kind: KindTruncated,
			Message: fmt.Sprintf("%d findings in all, %d not shown; the journal keeps the first %d", len(findings), len(findings)-shown, MaxJournalFindings)})
		if shown > 0 {
			b.WriteByte(',')
		}
		b.Write(marker)
	}
	b.WriteByte(']')
	return b.String()
}

// asciiJSON escapes every non-ASCII rune of JSON text as \uXXXX, so that it is a safe header value.
func asciiJSON(data []byte) []byte {
	var b bytes.Buffer
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r < utf8.RuneSelf {
			b.WriteByte(data[0])
		} else if r > 0xFFFF {
			r1, r2 := utf16Pair(r)
			fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
		} else {
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		data = data[size:]
	}
	return b.Bytes()
}

func utf16Pair(r rune) (rune, rune) {
	r -= 0x10000
	return 0xD800 + (r>>10)&0x3FF, 0xDC00 + r&0x3FF
}

// statusPriority orders the statuses a rejected request may get as the mock checks them: route, method,
// Accept, Content-Type, size, auth, then parameters and body.
var statusPriority = []int{404, 405, 406, 415, 413, 401, 400}

// impliedStatus picks the status a strict proxy answers a violating request with.
func impliedStatus(findings []Finding) int {
	best, rank := http.StatusBadRequest, len(statusPriority)
	for _, f := range findings {
		if f.Direction != DirRequest || f.status == 0 {
			continue
		}
		for i, s := range statusPriority {
			if s == f.status && i < rank {
				best, rank = s, i
			}
		}
	}
	return best
}

// apiViolations renders findings as the Violation list of the API's error bodies.
func apiViolations(findings []Finding, secrets []string) []lumamock.Violation {
	out := make([]lumamock.Violation, 0, len(findings))
	for _, f := range findings {
		if f.Kind == KindUnknownOperation {
			continue // no field of an operation is at fault: the message says which route and method
		}
		v := lumamock.Violation{In: lumamock.InBody, Field: f.Pointer, Rule: string(f.Kind), Message: redact.Text(f.Message, secrets...)}
		if f.Direction == DirRequest && f.Violation != nil {
			v.In, v.Field, v.Rule = f.Violation.In, f.Violation.Field, f.Violation.Rule
		}
		v.Field = redact.Text(v.Field, secrets...)
		out = append(out, v)
	}
	return out
}

// summary is a one-line account of findings for an error message.
func summary(findings []Finding, secrets []string) string {
	if len(findings) == 0 {
		return ""
	}
	f := findings[0]
	s := redact.Text(f.Message, secrets...)
	if f.Pointer != "" {
		s = redact.Text(f.Pointer, secrets...) + ": " + s
	}
	if len(findings) > 1 {
		s += " (and " + strconv.Itoa(len(findings)-1) + " more)"
	}
	return s
}

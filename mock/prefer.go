package mock

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/admission"
	"github.com/lumamock/lumamock/mock/internal/connfault"
)

// maxPreferDuration bounds every duration a Prefer header may ask for, so no request can park a handler for
// long.
const maxPreferDuration = time.Hour

// Preferences are the per-request controls read from the Prefer header (RFC 7240). Zero fields were not asked
// for.
type Preferences struct {
	// Code forces the response status (an error status the operation documents, or 200).
	Code int
	// Schema picks the response shape.
	Schema lumamock.Shape
	// Delay is the latency added before the response is written (see Latency); nil means the server's
	// (Options.Delay).
	Delay *Latency
	// Pending and Processing override the time a created task spends in each state; nil means the server's.
	Pending, Processing *time.Duration
	// Outcome overrides how a created task ends.
	Outcome lumamock.TaskState
	// Duplicate, Drop, Reorder and Late override the server's webhook Faults for a created task; nil means
	// the server's. A Drop of "" (drop=none) drops nothing.
	Duplicate *int
	Drop      *lumamock.TaskState
	Reorder   *bool
	Late      *time.Duration
	// Fault is the connection fault that breaks the answer (FaultReset, FaultStall, ...), or FaultNone to spare
	// it Options.APIFaults; empty means the server's.
	Fault string
	// Applied lists the preferences honoured, for the Preference-Applied response header.
	Applied []string
}

// PreferenceError says why a Prefer header could not be parsed.
type PreferenceError struct {
	// Preference is the preference's name, or empty when the header itself is malformed.
	Preference string
	// Reason says what is wrong.
	Reason string
}

func (e *PreferenceError) Error() string {
	if e.Preference == "" {
		return "Prefer header: " + e.Reason
	}
	return fmt.Sprintf("Prefer %s: %s", e.Preference, e.Reason)
}

// ParsePrefer reads every Prefer header of h. Unknown preferences are ignored and only the first of a repeated
// one counts, as RFC 7240 asks (later ones are ignored, without an error, whatever their value); a known one with
// a bad value, or a header that is not a list of preferences, is an error.
func ParsePrefer(h http.Header) (Preferences, error) {
	var p Preferences
	var seen map[string]bool
	for _, line := range h["Prefer"] { // h.Values("Prefer"), without canonicalizing the canonical key again
		prefs, err := splitPreferences(line)
		if err != nil {
			return Preferences{}, err
		}
		for _, kv := range prefs {
			if seen[kv[0]] {
				continue // only the first of a repeated preference counts (RFC 7240 §2)
			}
			if seen == nil {
				seen = make(map[string]bool)
			}
			seen[kv[0]] = true
			if err := p.apply(kv[0], kv[1]); err != nil {
				return Preferences{}, err
			}
		}
	}
	return p, nil
}

// createOnly are the preferences that shape a task being created: only the operation that creates one
// (lumamock.OpCreate) honours them.
var createOnly = map[string]bool{
	"pending": true, "processing": true, "outcome": true, "duplicate": true, "drop": true, "reorder": true, "late": true,
}

// appliedTo is what of p.Applied the request judged by v honours, for Preference-Applied and the journal: an
// admitted request to the operation creating a task honours them all; an admitted one to another operation
// only code, schema, delay and fault; a refused one (by the document, or asking for a code its operation does
// not document) only schema, delay and fault (its error answer is shaped, delayed and broken).
func (p Preferences) appliedTo(v *admission.Verdict) []string {
	refused := !v.Admitted() || v.Route == nil ||
		p.Code != 0 && p.Code != http.StatusOK && v.Route.Operation.Responses.Status(p.Code) == nil
	var out []string
	for _, a := range p.Applied {
		name, _, _ := strings.Cut(a, "=")
		honoured := true
		switch {
		case refused:
			honoured = name == "schema" || name == "delay" || name == "fault"
		case createOnly[name]:
			honoured = v.Route.Operation.OperationID == lumamock.OpCreate
		}
		if honoured {
			out = append(out, a)
		}
	}
	return out
}

func (p *Preferences) apply(name, value string) error {
	bad := func(format string, args ...any) error {
		return &PreferenceError{Preference: name, Reason: fmt.Sprintf(format, args...)}
	}
	switch name {
	case "code":
		code, err := strconv.Atoi(value)
		if err != nil || code < 100 || code > 599 || len(value) != 3 {
			return bad("%q is not an HTTP status (100-599)", value)
		}
		p.Code = code
	case "schema":
		shape, ok := lumamock.ParseShape(value)
		if !ok {
			return bad("%q is not a schema: use %s or %s", value, lumamock.ShapeEnvelope, lumamock.ShapeLuma)
		}
		p.Schema = shape
	case "outcome":
		s := lumamock.TaskState(value)
		if !s.Terminal() {
			return bad("%q is not an outcome: use %s or %s", value, lumamock.StateCompleted, lumamock.StateFailed)
		}
		p.Outcome = s
	case "delay":
		l, err := ParseLatency(value)
		if err != nil {
			return bad("%v", err)
		}
		p.Delay = &l
	case "pending", "processing":
		d, err := parsePreferDuration(value, maxPreferDuration)
		if err != nil {
			return bad("%v", err)
		}
		if name == "pending" {
			p.Pending = &d
		} else {
			p.Processing = &d
		}
	case "fault":
		if _, ok := connfault.Parse(value); !ok && value != FaultNone {
			return bad("%q is not a fault: use %s or %s", value, strings.Join(ConnectionFaults(), ", "), FaultNone)
		}
		p.Fault = value
	case "duplicate":
		n := 1
		if value != "" {
			var err error
			if n, err = strconv.Atoi(value); err != nil || n < 0 || n > MaxDuplicate || strconv.Itoa(n) != value {
				return bad("%q is not a count of extra deliveries (0-%d)", value, MaxDuplicate)
			}
		}
		p.Duplicate = &n
	case "drop":
		var s lumamock.TaskState
		switch v := lumamock.TaskState(value); {
		case v.Notified():
			s = v
		case value == "none":
		default:
			return bad("%q is not a state whose callback can be dropped: use processing, completed, failed or none", value)
		}
		p.Drop = &s
	case "reorder":
		var on bool
		switch value {
		case "", "1", "true":
			on = true
		case "0", "false":
		default:
			return bad("%q is not a switch: use reorder, reorder=1 or reorder=0", value)
		}
		p.Reorder = &on
	case "late":
		d, err := parsePreferDuration(value, maxPreferDuration)
		if err != nil {
			return bad("%v", err)
		}
		p.Late = &d
	default:
		return nil // unknown: ignored (RFC 7240 §2)
	}
	p.Applied = append(p.Applied, preference(name, value))
	return nil
}

// preference renders name=value as a Prefer or Preference-Applied element, quoting a value that is not a
// token (RFC 7240 §2).
func preference(name, value string) string {
	switch {
	case value == "":
		return name
	case isToken(value):
		return name + "=" + value
	}
	return name + "=" + strconv.Quote(value)
}

// parsePreferDuration reads a Go duration ("300ms", "2s") or a bare integer of milliseconds, between 0 and
// limit.
func parsePreferDuration(s string, limit time.Duration) (time.Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("a duration is required, such as 300ms or 2s")
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		ms, convErr := strconv.ParseInt(s, 10, 64)
		if convErr != nil || ms > int64(limit/time.Millisecond) {
			return 0, fmt.Errorf("%q is not a duration such as 300ms or 2s", s)
		}
		d = time.Duration(ms) * time.Millisecond
	}
	if d < 0 || d > limit {
		return 0, fmt.Errorf("%q is outside 0s..%s", s, limit)
	}
	return d, nil
}

// splitPreferences splits one Prefer header value into (name, value) pairs, lowercasing names and unquoting
// values. Parameters after ';' are accepted and ignored (RFC 7240 defines none for these preferences).
func splitPreferences(line string) ([][2]string, error) {
	var out [][2]string
	for _, item := range splitOutsideQuotes(line, ',') {
		item = strings.TrimSpace(item)
		if item == "" {
			continue // empty list elements are allowed (RFC 9110 §5.6.1)
		}
		head := splitOutsideQuotes(item, ';')[0]
		name, value, hasValue := strings.Cut(head, "=")
		name = strings.ToLower(strings.TrimSpace(name))
		if !isToken(name) {
			return nil, &PreferenceError{Reason: fmt.Sprintf("%q is not a preference (want name or name=value)", item)}
		}
		value = strings.TrimSpace(value)
		if hasValue {
			if strings.HasPrefix(value, `"`) {
				unquoted, err := strconv.Unquote(value)
				if err != nil || strings.ContainsAny(unquoted, "\"\\") {
					return nil, &PreferenceError{Preference: name, Reason: fmt.Sprintf("%s has a badly quoted value", value)}
				}
				value = unquoted
			} else if !isToken(value) {
				return nil, &PreferenceError{Preference: name, Reason: fmt.Sprintf("%q is not a token; quote it", value)}
			}
		}
		out = append(out, [2]string{name, value})
	}
	return out, nil
}

// splitOutsideQuotes splits s at sep where sep is not inside a double-quoted string.
func splitOutsideQuotes(s string, sep byte) []string {
	var parts []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case c == sep && !quoted:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// isToken reports whether s is a non-empty RFC 9110 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// String renders p as a canonical Prefer header value (names sorted), the inverse of ParsePrefer.
func (p Preferences) String() string {
	var parts []string
	if p.Code != 0 {
		parts = append(parts, "code="+strconv.Itoa(p.Code))
	}
	if p.Schema != "" {
		parts = append(parts, "schema="+string(p.Schema))
	}
	if p.Outcome != "" {
		parts = append(parts, "outcome="+string(p.Outcome))
	}
	if p.Delay != nil {
		parts = append(parts, preference("delay", p.Delay.String()))
	}
	if p.Fault != "" {
		parts = append(parts, "fault="+p.Fault)
	}
	if p.Pending != nil {
		parts = append(parts, "pending="+p.Pending.String())
	}
	if p.Processing != nil {
		parts = append(parts, "processing="+p.Processing.String())
	}
	if p.Duplicate != nil {
		parts = append(parts, "duplicate="+strconv.Itoa(*p.Duplicate))
	}
	if p.Drop != nil {
		drop := string(*p.Drop)
		if drop == "" {
			drop = "none"
		}
		parts = append(parts, "drop="+drop)
	}
	if p.Reorder != nil {
		parts = append(parts, "reorder="+map[bool]string{true: "1", false: "0"}[*p.Reorder])
	}
	if p.Late != nil {
		parts = append(parts, "late="+p.Late.String())
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

package mock

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/lumamock/lumamock/internal/httpstatus"
	"github.com/lumamock/lumamock/mock/internal/connfault"
)

// The connection faults, as Prefer fault=NAME and Options.APIFaults name them. Each breaks an API answer's
// connection after the request was judged, journaled and, for a submission, its task created: the task exists
// although the client never learns its id, as with the real service.
const (
	// FaultReset resets the connection (TCP RST) without an answer.
	FaultReset = string(connfault.Reset)
	// FaultEmpty closes the connection without a byte.
	FaultEmpty = string(connfault.Empty)
	// FaultTruncated sends the status line, the headers and half the body, then closes.
	FaultTruncated = string(connfault.Truncated)
	// FaultMalformedChunk sends the answer chunked, with half the body in a first chunk, then a chunk size
	// that is not hexadecimal, and closes.
	FaultMalformedChunk = string(connfault.MalformedChunk)
	// FaultGarbage sends random bytes that are not HTTP, then closes.
	FaultGarbage = string(connfault.Garbage)
	// FaultStall sends the status line and the headers, then nothing until the client gives up or
	// Options.StallLimit passes.
	FaultStall = string(connfault.Stall)
	// FaultNone, as Prefer fault=none, spares a request the faults of Options.APIFaults.
	FaultNone = "none"
)

// ConnectionFaults lists the connection faults.
func ConnectionFaults() []string {
	out := make([]string, len(connfault.All))
	for i, f := range connfault.All {
		out[i] = string(f)
	}
	return out
}

// APIFault is a fault applied to a share of the API's answers: a connection fault (FaultReset, ...) or an
// error status the document gives the operation ("503"), answered as Prefer code would answer it.
type APIFault struct {
	// Fault is a connection fault's name or an HTTP status.
	Fault string
	// Percent is the share of API requests it applies to, above 0 and at most 100.
	Percent float64
}

// String is f as lumamock serve --fault-api takes it: NAME:PERCENT%.
func (f APIFault) String() string {
	return f.Fault + ":" + strconv.FormatFloat(f.Percent, 'g', -1, 64) + "%"
}

// ParseAPIFault reads NAME:PERCENT, such as "reset:2%", "stall:0.5" or "503:5%": a connection fault or an
// error status, and the share of API requests it applies to.
func ParseAPIFault(text string) (APIFault, error) {
	name, pct, ok := strings.Cut(strings.TrimSpace(text), ":")
	if !ok {
		return APIFault{}, fmt.Errorf("%q is not NAME:PERCENT, such as reset:2%% or 503:5%%", text)
	}
	f := APIFault{Fault: strings.TrimSpace(name)}
	if err := f.checkName(); err != nil {
		return APIFault{}, fmt.Errorf("%q: %w", text, err)
	}
	p, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(pct), "%"), 64)
	if err != nil || !(p > 0 && p <= 100) {
		return APIFault{}, fmt.Errorf("%q: the share %q is not a percentage above 0 and at most 100", text, pct)
	}
	f.Percent = p
	return f, nil
}

// checkName checks that f names a connection fault or an error status.
func (f APIFault) checkName() error {
	if _, ok := connfault.Parse(f.Fault); ok {
		return nil
	}
	if code, err := strconv.Atoi(f.Fault); err == nil && len(f.Fault) == 3 {
		if code < 400 || code > 599 {
			return fmt.Errorf("status %d is not an error status (4xx or 5xx)", code)
		}
		return nil
	}
	return fmt.Errorf("unknown fault %q; want a status such as 503 or one of %s", f.Fault, strings.Join(ConnectionFaults(), ", "))
}

// status is the status f forces, or 0 for a connection fault.
func (f APIFault) status() int {
	code, _ := strconv.Atoi(f.Fault)
	return code
}

// checkAPIFaults checks shares alone: each names a connection fault or an error status, with a share above 0
// and at most 100%, and they add to at most 100%. It returns the share at fault ("" when it is their sum).
func checkAPIFaults(shares []APIFault) (at string, err error) {
	var total float64
	for _, f := range shares {
		if err := f.checkName(); err != nil {
			return f.String(), err
		}
		if !(f.Percent > 0 && f.Percent <= 100) {
			return f.String(), errors.New("the share is not above 0 and at most 100%")
		}
		total += f.Percent
	}
	if total > 100+1e-9 {
		return "", fmt.Errorf("the shares add up to %s%%, more than 100%%", strconv.FormatFloat(total, 'g', -1, 64))
	}
	return "", nil
}

// undocumentedFault returns the first share of shares forcing a status no operation of doc answers.
func undocumentedFault(shares []APIFault, doc *openapi3.T) (APIFault, bool) {
	for _, f := range shares {
		if code := f.status(); code != 0 && !documented(doc, code) {
			return f, true
		}
	}
	return APIFault{}, false
}

// checkAPIFaultsOption checks Options.APIFaults, against the document too.
func checkAPIFaultsOption(shares []APIFault, doc *openapi3.T) error {
	if at, err := checkAPIFaults(shares); err != nil {
		return &OptionError{Option: "APIFaults", Value: at, Err: err}
	}
	if f, bad := undocumentedFault(shares, doc); bad {
		return &OptionError{Option: "APIFaults", Value: f.String(), Err: fmt.Errorf("no operation of the document answers %d", f.status())}
	}
	return nil
}

// documented reports whether an operation of doc answers status.
func documented(doc *openapi3.T, status int) bool {
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.Responses.Status(status) != nil {
				return true
			}
		}
	}
	return false
}

// faultDraws draws which share of APIFaults, if any, breaks each API request: one generator for the server,
// seeded by Options.Seed, so that a sequence of requests repeats its faults.
type faultDraws struct {
	mu   sync.Mutex
	rand *rand.Rand
}

func newFaultDraws(seed int64) *faultDraws {
	return &faultDraws{rand: rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x1f83d9abfb41bd6b))}
}

// pick draws the fault of one request among shares: one of them, or none.
func (d *faultDraws) pick(shares []APIFault) (APIFault, bool) {
	d.mu.Lock()
	x := d.rand.Float64() * 100
	d.mu.Unlock()
	for _, f := range shares {
		if x < f.Percent {
			return f, true
		}
		x -= f.Percent
	}
	return APIFault{}, false
}

// chooseFault decides the fault of the API request ex: its Prefer fault, else a draw among its session's
// APIFaults (unless it prefers a code). It sets ex.fault (a connection fault) or ex.statusFault.
func (s *Server) chooseFault(ex *apiRequest) {
	switch {
	case ex.prefs.Fault == FaultNone:
		return
	case ex.prefs.Fault != "":
		ex.fault = connfault.Fault(ex.prefs.Fault)
		return
	case len(ex.settings.APIFaults) == 0 || ex.prefs.Code != 0:
		return
	}
	f, ok := s.faultDraws.pick(ex.settings.APIFaults)
	if !ok {
		return
	}
	if code := f.status(); code != 0 {
		ex.statusFault = code
	} else {
		ex.fault = connfault.Fault(f.Fault)
	}
}

// faultWriter holds an answer instead of sending it, for a connection fault to break.
type faultWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newFaultWriter(h http.Header) *faultWriter { return &faultWriter{header: h.Clone()} }

func (f *faultWriter) Header() http.Header { return f.header }

func (f *faultWriter) WriteHeader(code int) {
	if f.status == 0 && code >= 200 {
		f.status = code
	}
}

func (f *faultWriter) Write(b []byte) (int, error) {
	if f.status == 0 {
		f.status = http.StatusOK
	}
	return f.body.Write(b)
}

// breakAnswer sends the answer held by fw broken by ex.fault, on w's connection. A connection that cannot be
// taken over (HTTP/2) is aborted instead (http.ErrAbortHandler).
func (s *Server) breakAnswer(w http.ResponseWriter, r *http.Request, ex *apiRequest, fw *faultWriter) {
	if rec, ok := w.(*httpstatus.Recorder); ok {
		rec.Status = fw.status // for the request log: the status the answer would have had
	}
	a := connfault.Answer{Status: fw.status, Header: fw.header, Body: fw.body.Bytes()}
	if r.Method == http.MethodHead {
		a.Body = nil
	}
	if err := s.connFaults.Apply(w, ex.fault, a); errors.Is(err, connfault.ErrNotHijackable) {
		panic(http.ErrAbortHandler)
	}
}

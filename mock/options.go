package mock

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/coverage"
	"github.com/lumamock/lumamock/internal/defaults"
	"github.com/lumamock/lumamock/mock/internal/connfault"
	"github.com/lumamock/lumamock/mock/internal/delivery"
)

// Defaults applied to zero Options fields.
const (
	DefaultPending       = 2 * time.Second
	DefaultProcessing    = 5 * time.Second
	DefaultMaxBody       = 20 << 20 // 20 MiB: base64 images travel in the body
	DefaultMaxTasks      = 10000
	DefaultMaxTaskMemory = 64 << 20 // prompts and hooks of the tasks kept

	DefaultCallbackRetries = 3
	DefaultCallbackBackoff = 100 * time.Millisecond
	DefaultCallbackTimeout = 5 * time.Second
	DefaultCallbackWorkers = 16
	DefaultCallbackQueue   = 10000
	DefaultJournalSize     = 1000
	// DefaultStallLimit is how long the stall fault holds a connection when Options.StallLimit is zero.
	DefaultStallLimit = connfault.DefaultStallLimit
	// DefaultMaxStalled is how many connections may be stalled at once when Options.MaxStalled is zero.
	DefaultMaxStalled       = connfault.DefaultMaxStalled
	DefaultJournalBodyLimit = 16 << 10
	// DefaultJournalMaxBytes bounds the memory each journal (requests, callback attempts) holds: 32 MiB.
	DefaultJournalMaxBytes = 32 << 20
	// MaxCallbackResponse is how much of a receiver's response body is read; the rest is discarded.
	MaxCallbackResponse = delivery.MaxResponse
)

// NoRetries, as Options.CallbackRetries, makes a failed callback delivery final.
const NoRetries = -1

// Immediate, as Options.Pending or Options.Processing, makes a task skip that state's wait.
const Immediate time.Duration = -1

// Options configure a Server. The zero value is a strict, useful mock: the embedded document, envelope
// responses, any non-empty bearer token, 2 s pending, 5 s processing, tasks that complete.
type Options struct {
	// Document is the OpenAPI document to serve; nil means the one DocumentSource holds, or the embedded
	// openapi.yaml when that is nil too.
	Document *openapi3.T
	// DocumentSource is the text (YAML or JSON) Document was loaded from. GET /__mock/openapi.yaml answers it
	// verbatim; without it, a Document given is answered there as JSON (which is YAML too). When Document is
	// nil, New loads and validates the document from DocumentSource.
	DocumentSource []byte
	// Schema is the default response shape; empty means lumamock.ShapeEnvelope.
	Schema lumamock.Shape
	// APIKeys are the accepted bearer tokens; none means any non-empty token.
	APIKeys []string
	// Seed makes fake data (ids, URLs) deterministic: same seed and same requests give the same responses.
	// Zero picks a random seed.
	Seed int64
	// MaxBody is the largest request body accepted, in bytes; zero means DefaultMaxBody.
	MaxBody int64
	// Pending and Processing are the time a task spends in each state, at most MaxSettingDuration; zero means
	// DefaultPending and DefaultProcessing, Immediate means no wait.
	Pending, Processing time.Duration
	// Outcome is how tasks end: lumamock.StateCompleted (the default when empty) or lumamock.StateFailed.
	Outcome lumamock.TaskState
	// MaxTasks bounds the tasks kept, in all sessions together; the least recently used session's oldest is
	// forgotten first. Zero means DefaultMaxTasks.
	MaxTasks int
	// MaxTaskMemory bounds, in bytes, what the tasks kept hold (their prompts and hooks, which clients choose), in
	// all sessions together; past it the least recently used session's oldest are forgotten first. Zero means
	// DefaultMaxTaskMemory.
	MaxTaskMemory int64
	// MaxSessions bounds the sessions kept; a new one past it evicts the least recently used (its callbacks not
	// yet delivered given up). It bounds too the coverage reports Server.Coverages keeps of the sessions gone.
	// Zero means DefaultMaxSessions.
	MaxSessions int
	// Clock tells the time and schedules callbacks, retries and late deliveries; nil means the system clock.
	// Each session's clock runs on it (see Session.Advance). ManualClock is a virtual clock for tests.
	Clock Clock

	// CallbackClient sends callbacks; nil means a client of lumamock's own, which dials only the hosts
	// CallbackAllow permits. Whatever the client, lumamock refuses redirects to another host and sets each
	// attempt's timeout itself.
	CallbackClient *http.Client
	// CallbackRetries is how many times a failed delivery (non-2xx, timeout, connection error) is retried;
	// zero means DefaultCallbackRetries, NoRetries means none.
	CallbackRetries int
	// CallbackBackoff is the wait before each retry, on Clock; zero means DefaultCallbackBackoff.
	CallbackBackoff time.Duration
	// CallbackTimeout bounds each delivery attempt in real time; zero means DefaultCallbackTimeout.
	CallbackTimeout time.Duration
	// CallbackAllow lists the hosts callbacks may reach: host names (exact, or "*.example.com" for any
	// subdomain), IP addresses or CIDR blocks. Empty allows any host but the guarded destinations: link-local
	// and cloud metadata addresses and names, and unspecified addresses, which only an entry naming them
	// allows. A host name not listed is resolved at delivery time and dialled only at an address the list
	// allows.
	CallbackAllow []string
	// Resolver looks up the addresses of a hook's host name: once at submit, to know its receiver (so that
	// "localhost" and "127.0.0.1" share one queue), and at delivery, to check every address before dialling
	// (with lumamock's own CallbackClient). Nil means the system resolver. Tests set it so that no name is
	// ever resolved on the network.
	Resolver func(ctx context.Context, host string) ([]netip.Addr, error)
	// CallbackSecret, when set, signs every callback body (the X-Lumamock-Signature header).
	CallbackSecret string
	// CallbackWorkers is how many deliveries run at once (an attempt that has waited a quarter of a second for
	// its receiver stops counting); one receiver has at most three quarters of them. Zero means
	// DefaultCallbackWorkers.
	CallbackWorkers int
	// CallbackQueue bounds the deliveries held for one receiver (the address a hook resolves to); past it, that
	// receiver's new ones are given up and journaled. Zero means DefaultCallbackQueue.
	CallbackQueue int
	// Faults apply to every task's callbacks unless its submit request's Prefer header says otherwise.
	Faults Faults
	// Discipline are the thresholds of the client discipline findings of Coverage (GET /__mock/coverage);
	// zero fields take coverage's defaults.
	Discipline coverage.Thresholds
	// CoverageClients bounds the clients (API keys) the coverage of all sessions remembers together, each
	// session keeping at least its last one, and, as many again, those of the reports Server.Coverages keeps of
	// the sessions gone; zero means DefaultCoverageClients.
	CoverageClients int
	// APIFaults are faults applied to shares of the API's answers (a request's Prefer fault or code decides
	// for itself): connection faults and error statuses, drawn with Seed. The shares add to at most 100%.
	// They never apply to the admin API or /healthz.
	APIFaults []APIFault
	// RateLimit limits the API requests of each API key (the bearer token): past it, the document's 429 with
	// a Retry-After that, honoured, is enough. It counts admitted requests; the zero value limits nothing.
	RateLimit RateLimit
	// Capacity, when positive, makes the provider busy: at most Capacity tasks of each API key process at once;
	// the others stay pending, in submission order, until a slot frees (a task ending, as planned or forced),
	// and say where they are with the luma queue_state (their queue position) and estimate_wait_seconds. The
	// states and transitions do not change, only when they happen.
	Capacity int
	// StallLimit is how long the stall fault holds a connection at most; zero means DefaultStallLimit.
	StallLimit time.Duration
	// MaxStalled bounds the connections stalled at once (past it the oldest is closed); zero means
	// DefaultMaxStalled. It is at most half the process's file descriptor limit.
	MaxStalled int
	// Delay is the latency added before every API answer, unless a request's Prefer delay asks for another;
	// the zero value adds none. Draws are seeded by Seed.
	Delay Latency

	// JournalSize bounds each journal (requests, callback attempts) of each session; the oldest entry is
	// forgotten first. Zero means DefaultJournalSize.
	JournalSize int
	// JournalBodyLimit is how many bytes of each request body and each callback body the journals keep; zero
	// means DefaultJournalBodyLimit.
	JournalBodyLimit int
	// JournalMaxBytes bounds, in bytes, the memory each journal (requests, callback attempts) holds in all
	// sessions together (records, headers, bodies as kept); past it the least recently used session's oldest
	// entries are forgotten first, the newest of the session served always kept. Zero means
	// DefaultJournalMaxBytes.
	JournalMaxBytes int64
	// AdminToken, when set, is the bearer token every admin endpoint (/__mock/...) asks for; /healthz stays
	// open. Whatever it is, on a loopback listener the admin API answers only requests whose Host is a loopback
	// name or address, and refuses changes (POST) from another Origin.
	AdminToken string
	// Logger receives one record per request (never the Authorization header); nil discards them.
	Logger *slog.Logger
}

// orDefault returns d for the zero value, 0 for Immediate, and d itself otherwise.
func orDefault(d, def time.Duration) time.Duration {
	switch {
	case d == 0:
		return def
	case d < 0:
		return 0
	}
	return d
}

// MaxDuplicate bounds the extra deliveries of each callback (Faults.Duplicate, Prefer duplicate=N).
const MaxDuplicate = 10

// Faults are webhook faults, the ways real callback channels break, applied to a task's callbacks. The zero
// value delivers every callback once, in order, on time.
type Faults struct {
	// Duplicate delivers each callback this many extra times, right after the first.
	Duplicate int
	// Drop never sends the callback for this state (processing, completed or failed).
	Drop lumamock.TaskState
	// Reorder holds back the callbacks of a task's intermediate states and sends them after its final one.
	Reorder bool
	// Late sends every callback this long after its state change, on the clock.
	Late time.Duration
}

// override returns f with what p asks for instead.
func (f Faults) override(p Preferences) Faults {
	if p.Duplicate != nil {
		f.Duplicate = *p.Duplicate
	}
	if p.Drop != nil {
		f.Drop = *p.Drop
	}
	if p.Reorder != nil {
		f.Reorder = *p.Reorder
	}
	if p.Late != nil {
		f.Late = *p.Late
	}
	return f
}

// callbackDefaults fills the zero callback and journal options with their defaults and checks the rest.
func (o *Options) callbackDefaults() error {
	switch {
	case o.CallbackRetries == 0:
		o.CallbackRetries = DefaultCallbackRetries
	case o.CallbackRetries < 0:
		o.CallbackRetries = 0
	}
	defaults.Positive(&o.CallbackBackoff, DefaultCallbackBackoff)
	defaults.Positive(&o.CallbackTimeout, DefaultCallbackTimeout)
	defaults.Positive(&o.CallbackWorkers, DefaultCallbackWorkers)
	defaults.Positive(&o.CallbackQueue, DefaultCallbackQueue)
	defaults.Positive(&o.JournalSize, DefaultJournalSize)
	defaults.Positive(&o.JournalBodyLimit, DefaultJournalBodyLimit)
	defaults.Positive(&o.JournalMaxBytes, DefaultJournalMaxBytes)
	f := o.Faults
	switch {
	case f.Duplicate < 0 || f.Duplicate > MaxDuplicate:
		return fmt.Errorf("mock: Faults.Duplicate %d is outside 0..%d", f.Duplicate, MaxDuplicate)
	case f.Late < 0:
		return fmt.Errorf("mock: Faults.Late %s is negative", f.Late)
	}
	if f.Drop != "" && !f.Drop.Notified() {
		return fmt.Errorf("mock: Faults.Drop %q is not processing, completed or failed", f.Drop)
	}
	return nil
}

// OptionError says which of the Options New refused, and why.
type OptionError struct {
	// Option is the field's name, such as "APIFaults".
	Option string
	// Value is the value refused, when one of several is.
	Value string
	Err   error
}

func (e *OptionError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("mock: %s: %v", e.Option, e.Err)
	}
	return fmt.Sprintf("mock: %s %s: %v", e.Option, e.Value, e.Err)
}

func (e *OptionError) Unwrap() error { return e.Err }

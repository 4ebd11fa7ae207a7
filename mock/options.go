package mock

import (
	"log/slog"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/lumamock/lumamock"
)

// Defaults applied to zero Options fields.
const (
	DefaultPending    = 2 * time.Second
	DefaultProcessing = 5 * time.Second
	DefaultMaxBody    = 20 << 20 // 20 MiB: base64 images travel in the body
	DefaultMaxTasks   = 10000
)

// Immediate, as Options.Pending or Options.Processing, makes a task skip that state's wait.
const Immediate time.Duration = -1

// Options configure a Server. The zero value is a strict, useful mock: the embedded document, envelope
// responses, any non-empty bearer token, 2 s pending, 5 s processing, tasks that complete.
type Options struct {
	// Document is the OpenAPI document to serve; nil means the embedded openapi.yaml.
	Document *openapi3.T
	// Schema is the default response shape; empty means lumamock.ShapeEnvelope.
	Schema lumamock.Shape
	// APIKeys are the accepted bearer tokens; none means any non-empty token.
	APIKeys []string
	// Seed makes fake data (ids, URLs) deterministic: same seed and same requests give the same responses.
	// Zero picks a random seed.
	Seed int64
	// MaxBody is the largest request body accepted, in bytes; zero means DefaultMaxBody.
	MaxBody int64
	// Pending and Processing are the time a task spends in each state; zero means DefaultPending and
	// DefaultProcessing, Immediate means no wait.
	Pending, Processing time.Duration
	// Outcome is how tasks end: lumamock.StateCompleted (the default when empty) or lumamock.StateFailed.
	Outcome lumamock.TaskState
	// MaxTasks bounds the tasks kept; the oldest is forgotten first. Zero means DefaultMaxTasks.
	MaxTasks int
	// Clock tells the time; nil means the system clock.
	Clock Clock
	// Logger receives one record per request (never the Authorization header); nil discards them.
	Logger *slog.Logger
}

// Clock tells the time. Tests inject a virtual one so that task lifecycles take no real time.
type Clock interface {
	Now() time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

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

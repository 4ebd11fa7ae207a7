package mock

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/lumamock/lumamock/mock/internal/ratelimit"
)

// RateLimit is a limit of Requests per Per for each API key: a token bucket holding up to Requests, refilled at
// that rate. The zero value limits nothing. Parse one with ParseRateLimit.
type RateLimit struct {
	Requests int
	Per      time.Duration // time.Second or time.Minute
}

// ParseRateLimit reads a rate limit as lumamock serve --rate-limit takes it: N/s or N/m.
func ParseRateLimit(text string) (RateLimit, error) {
	r, err := ratelimit.Parse(text)
	if err != nil {
		return RateLimit{}, err
	}
	return RateLimit{Requests: r.N, Per: r.Per}, nil
}

// String is r as ParseRateLimit reads it, or "" for no limit.
func (r RateLimit) String() string {
	if r.Requests == 0 {
		return ""
	}
	return ratelimit.Rate{N: r.Requests, Per: r.Per}.String()
}

// Set parses text into r, so that a RateLimit is a flag.Value.
func (r *RateLimit) Set(text string) error {
	v, err := ParseRateLimit(text)
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// newLimiter checks r and returns its limiter, or nil for no limit.
func newLimiter(r RateLimit) (*ratelimit.Limiter, error) {
	switch {
	case r == RateLimit{}:
		return nil, nil
	case r.Requests < 1 || r.Requests > ratelimit.MaxN || (r.Per != time.Second && r.Per != time.Minute):
		return nil, &OptionError{Option: "RateLimit", Value: fmt.Sprintf("%d per %s", r.Requests, r.Per),
			Err: fmt.Errorf("want 1 to %d requests per second or per minute", ratelimit.MaxN)}
	}
	return ratelimit.New(ratelimit.Rate{N: r.Requests, Per: r.Per}, 0), nil
}

// rateLimited answers whether the admitted request r (ex) is over its API key's rate limit in its session, and
// with which refusal: the document's 429, with Retry-After in whole seconds.
func (s *Server) rateLimited(r *http.Request, ex *apiRequest) *apiError {
	l := ex.session.limiter.Load()
	if l == nil {
		return nil
	}
	ok, wait := l.Allow(bearerToken(r), ex.session.clock.Now())
	if ok {
		return nil
	}
	e := newAPIError(http.StatusTooManyRequests, fmt.Sprintf("rate limit of %s for this API key exceeded; retry after %d s", l.Rate(), wait/time.Second))
	e.header = http.Header{"Retry-After": {strconv.Itoa(int(wait / time.Second))}}
	return e
}

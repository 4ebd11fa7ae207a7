package mock_test

import (
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
)

func ptr[T any](v T) *T { return &v }

func TestParsePrefer(t *testing.T) {
	dur := func(d time.Duration) *time.Duration { return &d }
	lat := func(text string) *mock.Latency {
		l, err := mock.ParseLatency(text)
		if err != nil {
			t.Fatal(err)
		}
		return &l
	}
	tests := []struct {
		name    string
		headers []string
		want    mock.Preferences
		wantErr string // the preference the error names; "-" for a header-level error
	}{
		{name: "none"},
		{name: "code", headers: []string{"code=429"}, want: mock.Preferences{Code: 429}},
		{name: "all", headers: []string{"code=503, schema=luma, delay=300ms, pending=0s, processing=1s, outcome=failed"},
			want: mock.Preferences{Code: 503, Schema: lumamock.ShapeLuma, Delay: lat("300ms"), Pending: dur(0), Processing: dur(time.Second), Outcome: lumamock.StateFailed}},
		{name: "two headers", headers: []string{"code=429", "schema=envelope"}, want: mock.Preferences{Code: 429, Schema: lumamock.ShapeEnvelope}},
		{name: "names are case-insensitive", headers: []string{"Code=500"}, want: mock.Preferences{Code: 500}},
		{name: "quoted value", headers: []string{`schema="luma"`}, want: mock.Preferences{Schema: lumamock.ShapeLuma}},
		{name: "spaces and empty elements", headers: []string{" , code = 401 ,, "}, want: mock.Preferences{Code: 401}},
		{name: "parameters ignored", headers: []string{"code=429; foo=bar"}, want: mock.Preferences{Code: 429}},
		{name: "bare milliseconds", headers: []string{"delay=250"}, want: mock.Preferences{Delay: lat("250ms")}},
		{name: "delay uniform", headers: []string{"delay=100ms..900ms"}, want: mock.Preferences{Delay: lat("100ms..900ms")}},
		{name: "delay lognormal, quoted", headers: []string{`delay="lognormal(median=200ms,sigma=0.5)", code=503`},
			want: mock.Preferences{Delay: lat("lognormal(median=200ms,sigma=0.5)"), Code: 503}},
		{name: "delay zero overrides the server's", headers: []string{"delay=0"}, want: mock.Preferences{Delay: lat("0s")}},
		{name: "unknown ignored", headers: []string{"respond-async, wait=100, return=minimal"}},
		{name: "unknown with odd value ignored", headers: []string{`handling="lenient"`}},
		{name: "code not a number", headers: []string{"code=abc"}, wantErr: "code"},
		{name: "code out of range", headers: []string{"code=999"}, wantErr: "code"},
		{name: "code with sign", headers: []string{"code=+42"}, wantErr: "code"},
		{name: "code empty", headers: []string{"code"}, wantErr: "code"},
		{name: "schema unknown", headers: []string{"schema=raw"}, wantErr: "schema"},
		{name: "outcome unknown", headers: []string{"outcome=pending"}, wantErr: "outcome"},
		{name: "delay negative", headers: []string{"delay=-5ms"}, wantErr: "delay"},
		{name: "delay too long", headers: []string{"delay=61s"}, wantErr: "delay"},
		{name: "delay lognormal unquoted", headers: []string{"delay=lognormal(median=200ms,sigma=0.5)"}, wantErr: "delay"},
		{name: "delay lognormal without sigma", headers: []string{`delay="lognormal(median=200ms)"`}, wantErr: "delay"},
		{name: "delay range reversed", headers: []string{"delay=900ms..100ms"}, wantErr: "delay"},
		{name: "pending garbage", headers: []string{"pending=soon"}, wantErr: "pending"},
		{name: "badly quoted", headers: []string{`schema="luma`}, wantErr: "schema"},
		{name: "value not a token", headers: []string{"schema=lu ma"}, wantErr: "schema"},
		{name: "no name", headers: []string{"=luma"}, wantErr: "-"},
		{name: "faults", headers: []string{"duplicate=2, drop=processing, reorder, late=2s"},
			want: mock.Preferences{Duplicate: ptr(2), Drop: ptr(lumamock.StateProcessing), Reorder: ptr(true), Late: dur(2 * time.Second)}},
		{name: "faults off", headers: []string{"duplicate=0, drop=none, reorder=0, late=0"},
			want: mock.Preferences{Duplicate: ptr(0), Drop: ptr(lumamock.TaskState("")), Reorder: ptr(false), Late: dur(0)}},
		{name: "bare duplicate is one copy", headers: []string{"duplicate"}, want: mock.Preferences{Duplicate: ptr(1)}},
		{name: "duplicate too many", headers: []string{"duplicate=11"}, wantErr: "duplicate"},
		{name: "duplicate not a count", headers: []string{"duplicate=02"}, wantErr: "duplicate"},
		{name: "drop needs a state", headers: []string{"drop"}, wantErr: "drop"},
		{name: "drop of pending", headers: []string{"drop=pending"}, wantErr: "drop"},
		{name: "reorder garbage", headers: []string{"reorder=maybe"}, wantErr: "reorder"},
		{name: "fault", headers: []string{"fault=malformed-chunk"}, want: mock.Preferences{Fault: mock.FaultMalformedChunk}},
		{name: "fault none", headers: []string{"fault=none"}, want: mock.Preferences{Fault: mock.FaultNone}},
		{name: "fault unknown", headers: []string{"fault=503"}, wantErr: "fault"},
		{name: "fault needs a name", headers: []string{"fault"}, wantErr: "fault"},
		{name: "late needs a duration", headers: []string{"late"}, wantErr: "late"},
		{name: "late too long", headers: []string{"late=2h"}, wantErr: "late"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tt.headers {
				h.Add("Prefer", v)
			}
			got, err := mock.ParsePrefer(h)
			if tt.wantErr != "" {
				var pe *mock.PreferenceError
				if !errors.As(err, &pe) {
					t.Fatalf("err = %v, want a *PreferenceError", err)
				}
				if want := map[bool]string{true: "", false: tt.wantErr}[tt.wantErr == "-"]; pe.Preference != want {
					t.Errorf("error names preference %q, want %q (%v)", pe.Preference, want, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(mock.Preferences{}, "Applied")); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzParsePrefer checks, for any header, that parsing never panics, that every failure is a
// *PreferenceError, and that what parses renders (String) to a header that parses to the same preferences; a
// fault it accepts is one of the mock's, and a delay's text form is the same again (canonical) and at most
// MaxDelay when fixed.
func FuzzParsePrefer(f *testing.F) {
	for _, s := range []string{"code=429", "fault=reset", "fault=none, code=503", "schema=luma, delay=300ms", "delay=100ms..2s", `delay="lognormal(median=1s,sigma=0.25,max=3s)"`, `schema="envelope"; x=1`, "pending=0, processing=1s, outcome=failed", "duplicate=2, drop", "=", `a="\"`, ",,,", "code=2OO"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		p, err := mock.ParsePrefer(http.Header{"Prefer": {header}})
		if err != nil {
			var pe *mock.PreferenceError
			if !errors.As(err, &pe) {
				t.Fatalf("ParsePrefer(%q) error %v is not a *PreferenceError", header, err)
			}
			return
		}
		again, err := mock.ParsePrefer(http.Header{"Prefer": {p.String()}})
		if err != nil {
			t.Fatalf("ParsePrefer(%q) = %+v, whose String %q does not parse: %v", header, p, p.String(), err)
		}
		if diff := cmp.Diff(p, again, cmpopts.IgnoreFields(mock.Preferences{}, "Applied"), cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("round trip of %q through %q (-first +second):\n%s", header, p.String(), diff)
		}
		if p.Fault != "" && p.Fault != mock.FaultNone && !slices.Contains(mock.ConnectionFaults(), p.Fault) {
			t.Fatalf("ParsePrefer(%q) accepted the fault %q", header, p.Fault)
		}
		if p.Delay != nil {
			if l, err := mock.ParseLatency(p.Delay.String()); err != nil || l.String() != p.Delay.String() {
				t.Fatalf("ParsePrefer(%q): delay %q is not canonical: %q, %v", header, p.Delay, l, err)
			}
			if d, err := time.ParseDuration(p.Delay.String()); err == nil && (d < 0 || d > mock.MaxDelay) {
				t.Fatalf("ParsePrefer(%q): delay %s outside 0..%s", header, d, mock.MaxDelay)
			}
		}
	})
}

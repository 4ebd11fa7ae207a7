package mock

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/internal/adminapi"
)

// MaxSettingDuration bounds the durations of Settings (pending, processing, late).
const MaxSettingDuration = 24 * time.Hour

// Settings are what each new task of a session gets unless its request's Prefer header says otherwise. A new
// session starts with the server's (Options: Pending, Processing, Outcome, Schema, Faults, Delay, which the serve
// flags set); PUT /__mock/sessions/NAME/settings and Session.SetSettings replace them.
//
// Adding a setting: a field here; its JSON name, parsing and check in settingsJSON and Settings.validate (the one
// place settings are checked); its default from Options in Server.defaultSettings; where tasks or answers read it
// (createGeneration, serveAPI); and its property in admin.yaml's Settings schema, which a test holds equal to
// settingsJSON.
type Settings struct {
	// Pending and Processing are the time a task spends in each state (0 to MaxSettingDuration).
	Pending, Processing time.Duration
	// Outcome is how tasks end: lumamock.StateCompleted or lumamock.StateFailed.
	Outcome lumamock.TaskState
	// Schema is the shape of the answers and callbacks.
	Schema lumamock.Shape
	// Faults are the webhook faults of the tasks' callbacks.
	Faults Faults
	// Delay is the latency added before every API answer.
	Delay Latency
	// RateLimit limits each API key's requests (the zero value: none).
	RateLimit RateLimit
	// APIFaults break shares of the API's answers (as Options.APIFaults): connection faults and error statuses
	// the document gives an operation, adding to at most 100%.
	APIFaults []APIFault
	// Capacity, when positive, is how many tasks of each API key process at once; the others wait, pending, in
	// submission order (0 to MaxCapacity; 0: no limit). A change applies to the tasks submitted after it.
	Capacity int
}

// SettingError says which setting is wrong and why.
type SettingError struct {
	// Field is the setting's JSON name ("pending", "drop", ...).
	Field string
	// Rule is what it broke: duration, enum, range, type or unknown.
	Rule   string
	Reason string
}

func (e *SettingError) Error() string { return "settings: " + e.Field + ": " + e.Reason }

// validate checks every field of st, the one place settings are checked.
func (st Settings) validate() error {
	for _, d := range []struct {
		name string
		d    time.Duration
	}{{"pending", st.Pending}, {"processing", st.Processing}, {"late", st.Faults.Late}} {
		if d.d < 0 || d.d > MaxSettingDuration {
			return &SettingError{d.name, "range", fmt.Sprintf("%s is outside 0s..%s", d.d, MaxSettingDuration)}
		}
	}
	if !st.Outcome.Terminal() {
		return &SettingError{"outcome", "enum", fmt.Sprintf("%q is not %s or %s", st.Outcome, lumamock.StateCompleted, lumamock.StateFailed)}
	}
	if _, ok := lumamock.ParseShape(string(st.Schema)); !ok {
		return &SettingError{"schema", "enum", fmt.Sprintf("%q is not %s or %s", st.Schema, lumamock.ShapeEnvelope, lumamock.ShapeLuma)}
	}
	if f := st.Faults; f.Duplicate < 0 || f.Duplicate > MaxDuplicate {
		return &SettingError{"duplicate", "range", fmt.Sprintf("%d is outside 0..%d", f.Duplicate, MaxDuplicate)}
	}
	if drop := st.Faults.Drop; drop != "" && !drop.Notified() {
		return &SettingError{"drop", "enum", fmt.Sprintf("%q is not none, processing, completed or failed", drop)}
	}
	if at, err := checkAPIFaults(st.APIFaults); err != nil {
		return &SettingError{"fault_api", "fault", strings.TrimPrefix(at+": ", ": ") + err.Error()}
	}
	if st.Capacity < 0 || st.Capacity > MaxCapacity {
		return &SettingError{"capacity", "range", fmt.Sprintf("%d is outside 0..%d", st.Capacity, MaxCapacity)}
	}
	if _, err := newLimiter(st.RateLimit); err != nil {
		return &SettingError{"rate_limit", "rate", errors.Unwrap(err).Error()}
	}
	return nil
}

// settingsJSON is Settings as the admin API reads and answers them.
type settingsJSON struct {
	Pending    *string   `json:"pending,omitempty"`
	Processing *string   `json:"processing,omitempty"`
	Outcome    *string   `json:"outcome,omitempty"`
	Schema     *string   `json:"schema,omitempty"`
	Duplicate  *int      `json:"duplicate,omitempty"`
	Drop       *string   `json:"drop,omitempty"`
	Reorder    *bool     `json:"reorder,omitempty"`
	Late       *string   `json:"late,omitempty"`
	Delay      *string   `json:"delay,omitempty"`
	RateLimit  *string   `json:"rate_limit,omitempty"`
	Capacity   *int      `json:"capacity,omitempty"`
	FaultAPI   *[]string `json:"fault_api,omitempty"`
}

// MarshalJSON writes every setting: durations as Go durations ("2s"), no dropped callback and no rate limit as
// "none".
func (st Settings) MarshalJSON() ([]byte, error) {
	str := func(s string) *string { return &s }
	drop := string(st.Faults.Drop)
	if drop == "" {
		drop = "none"
	}
	rate := cmp.Or(st.RateLimit.String(), "none")
	faults := make([]string, len(st.APIFaults))
	for i, f := range st.APIFaults {
		faults[i] = f.String()
	}
	return json.Marshal(settingsJSON{
		Pending: str(st.Pending.String()), Processing: str(st.Processing.String()), Outcome: str(string(st.Outcome)),
		Schema: str(string(st.Schema)), Duplicate: &st.Faults.Duplicate, Drop: &drop, Reorder: &st.Faults.Reorder,
		Late: str(st.Faults.Late.String()), Delay: str(st.Delay.String()), RateLimit: &rate,
		Capacity: &st.Capacity, FaultAPI: &faults,
	})
}

// parseSettings reads settings from a JSON body, the fields left out taking their value in base. An unknown
// field, a value of the wrong type or one that breaks a rule is a *SettingError.
func parseSettings(body []byte, base Settings) (Settings, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var in settingsJSON
	if err := dec.Decode(&in); err != nil {
		return Settings{}, decodeError(err)
	}
	if dec.More() {
		return Settings{}, &SettingError{"", "json", "the body holds more than one JSON value"}
	}
	st := base
	durations := []struct {
		name string
		in   *string
		out  *time.Duration
	}{{"pending", in.Pending, &st.Pending}, {"processing", in.Processing, &st.Processing}, {"late", in.Late, &st.Faults.Late}}
	for _, d := range durations {
		if d.in == nil {
			continue
		}
		v, err := time.ParseDuration(*d.in)
		if err != nil {
			return Settings{}, &SettingError{d.name, "duration", fmt.Sprintf("%q is not a duration such as 300ms, 2s or 1m30s", *d.in)}
		}
		*d.out = v
	}
	if in.Outcome != nil {
		st.Outcome = lumamock.TaskState(*in.Outcome)
	}
	if in.Schema != nil {
		st.Schema = lumamock.Shape(*in.Schema)
	}
	if in.Duplicate != nil {
		st.Faults.Duplicate = *in.Duplicate
	}
	if in.Drop != nil {
		switch *in.Drop {
		case "none":
			st.Faults.Drop = ""
		case "":
			return Settings{}, &SettingError{"drop", "enum", `"" is not none, processing, completed or failed`}
		default:
			st.Faults.Drop = lumamock.TaskState(*in.Drop)
		}
	}
	if in.Reorder != nil {
		st.Faults.Reorder = *in.Reorder
	}
	if in.Delay != nil {
		l, err := ParseLatency(*in.Delay)
		if err != nil {
			return Settings{}, &SettingError{"delay", "latency", err.Error()}
		}
		st.Delay = l
	}
	if in.Capacity != nil {
		st.Capacity = *in.Capacity
	}
	if in.FaultAPI != nil {
		st.APIFaults = nil
		for _, text := range *in.FaultAPI {
			f, err := ParseAPIFault(text)
			if err != nil {
				return Settings{}, &SettingError{"fault_api", "fault", err.Error()}
			}
			st.APIFaults = append(st.APIFaults, f)
		}
	}
	if in.RateLimit != nil {
		st.RateLimit = RateLimit{}
		if *in.RateLimit != "none" {
			r, err := ParseRateLimit(*in.RateLimit)
			if err != nil {
				return Settings{}, &SettingError{"rate_limit", "rate", err.Error() + `, or "none"`}
			}
			st.RateLimit = r
		}
	}
	if err := st.validate(); err != nil {
		return Settings{}, err
	}
	return st, nil
}

// decodeError names the field a JSON decoding error is about.
func decodeError(err error) *SettingError {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return &SettingError{typeErr.Field, "type", fmt.Sprintf("a JSON %s is not a %s", typeErr.Value, jsonKind(typeErr.Type.String()))}
	}
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if unquoted, err := strconv.Unquote(field); err == nil { // encoding/json quotes it, escapes and all
			field = unquoted
		}
		return &SettingError{field, "unknown", "is not a setting"}
	}
	return &SettingError{"", "json", "the body is not a JSON object: " + err.Error()}
}

func jsonKind(goType string) string {
	switch strings.TrimPrefix(goType, "*") {
	case "string":
		return "string"
	case "int":
		return "integer"
	case "bool":
		return "boolean"
	}
	return goType
}

// adminSettingError is err as the admin API answers it: a 400 naming the body field.
func adminSettingError(err error) error {
	var se *SettingError
	if !errors.As(err, &se) {
		return err
	}
	field := ""
	if se.Field != "" {
		field = "/" + se.Field
	}
	return adminapi.Invalid(lumamock.InBody, field, se.Rule, se.Reason)
}

// clockMove is a move of a session's clock, as POST .../clock reads it: freeze (or resume), then advance.
type clockMove struct {
	Advance *string `json:"advance,omitempty"`
	Freeze  *bool   `json:"freeze,omitempty"`
	advance *time.Duration
}

// parseClockMove reads a move from a JSON body; a bad one is a *SettingError naming the field.
func parseClockMove(body []byte) (clockMove, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var m clockMove
	if err := dec.Decode(&m); err != nil {
		return clockMove{}, decodeError(err)
	}
	if m.Advance == nil && m.Freeze == nil {
		return clockMove{}, &SettingError{"", "required", "give advance (a duration such as 5s) or freeze (true or false)"}
	}
	if m.Advance != nil {
		d, err := time.ParseDuration(*m.Advance)
		if err != nil {
			return clockMove{}, &SettingError{"advance", "duration", fmt.Sprintf("%q is not a duration such as 300ms, 5s or 1m30s", *m.Advance)}
		}
		if err := checkAdvance(d); err != nil {
			return clockMove{}, err
		}
		m.advance = &d
	}
	return m, nil
}

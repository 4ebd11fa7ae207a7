package mock

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/lumamock/lumamock"
)

// FuzzParseSettings: settings read from any body are either refused with a SettingError naming a setting (or
// the body), or valid, and written and read back they are the same settings. The same holds of clock moves: a
// move read is forward, at most MaxAdvance.
func FuzzParseSettings(f *testing.F) {
	for _, s := range []string{`{}`, `{"pending":"0s","processing":"1m","outcome":"failed","schema":"luma"}`,
		`{"duplicate":3,"drop":"none","reorder":true,"late":"2s","delay":"100ms..900ms"}`, `{"pending":"-1s"}`,
		`{"drop":""}`, `{"x":1}`, `[]`, `{"pending":5}`, `{"advance":"5s","freeze":true}`, `{"advance":"-5s"}`} {
		f.Add([]byte(s))
	}
	base := Settings{Pending: 2 * time.Second, Processing: 5 * time.Second, Outcome: lumamock.StateCompleted, Schema: lumamock.ShapeEnvelope}
	fields := map[string]bool{"": true}
	for k := range jsonFieldsOf(settingsJSON{}) {
		fields[k] = true
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		st, err := parseSettings(body, base)
		if err != nil {
			var se *SettingError
			if !errors.As(err, &se) {
				t.Fatalf("parseSettings(%q): %T %v, want a *SettingError", body, err, err)
			}
			var asMap map[string]json.RawMessage // the body's first value: what the error is about
			if !fields[se.Field] && (json.NewDecoder(bytes.NewReader(body)).Decode(&asMap) != nil || asMap[se.Field] == nil) {
				t.Fatalf("parseSettings(%q) names %q, neither a setting nor a field of the body", body, se.Field)
			}
		} else {
			if err := st.validate(); err != nil {
				t.Fatalf("parseSettings(%q) accepted invalid settings: %v", body, err)
			}
			out, err := json.Marshal(st)
			if err != nil {
				t.Fatal(err)
			}
			again, err := parseSettings(out, Settings{})
			if err != nil || !reflect.DeepEqual(again, st) {
				t.Fatalf("settings %s read back as %+v, %v; want %+v", out, again, err, st)
			}
		}
		if m, err := parseClockMove(body); err == nil && m.advance != nil && (*m.advance < 0 || *m.advance > MaxAdvance) {
			t.Fatalf("parseClockMove(%q) accepted a move of %s", body, *m.advance)
		}
	})
}

// jsonFieldsOf lists the JSON names of v's fields.
func jsonFieldsOf(v any) map[string]bool {
	out := map[string]bool{}
	typ := reflect.TypeOf(v)
	for i := range typ.NumField() {
		name := typ.Field(i).Tag.Get("json")
		for j := range name {
			if name[j] == ',' {
				name = name[:j]
				break
			}
		}
		out[name] = true
	}
	return out
}

package mock

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/lumamock/lumamock"
)

// FuzzPlainEnvelopeAppendsAsEncodingJSON: whatever the envelope, AppendJSON appends what encoding/json writes of
// it (without HTML escaping, as httpjson.Write encodes), or nothing.
func FuzzPlainEnvelopeAppendsAsEncodingJSON(f *testing.F) {
	f.Add(200, "success", "1eeeadbf-44f4-4066-b83c-7c51faf277d8", "f02e4d4e-1cb2-43a7-b55d-4fe145dff435", "pending", int64(1795619855), int64(1795619856), false)
	f.Add(-1, "a\"b", "<&>", "\u2028", "processing", int64(-5), int64(0), false)
	f.Add(0, "", "", "", "", int64(0), int64(0), true)
	f.Add(429, "é", "\x00", "\xff", "completed", int64(1<<62), int64(-1<<62), false)
	f.Fuzz(func(t *testing.T, code int, message, requestID, taskID, status string, created, updated int64, failed bool) {
		e := lumamock.TaskEnvelope{Code: code, Message: message, RequestID: requestID,
			Data: lumamock.TaskData{TaskID: taskID, TaskStatus: lumamock.TaskState(status), CreatedAt: created, UpdatedAt: updated}}
		if failed {
			reason := "x"
			e.Data.FailureReason = &reason
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(e); err != nil {
			t.Fatal(err)
		}
		got, ok := plainEnvelope(e).AppendJSON([]byte("prefix"))
		if !ok {
			if string(got) != "prefix" {
				t.Fatalf("AppendJSON appended %q and reported false", got)
			}
			return
		}
		if string(got) != "prefix"+string(bytes.TrimSuffix(want.Bytes(), []byte("\n"))) {
			t.Fatalf("AppendJSON appended\n%s\nencoding/json writes\n%s", got[len("prefix"):], want.Bytes())
		}
		var again bytes.Buffer
		enc = json.NewEncoder(&again)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(plainEnvelope(e)); err != nil || again.String() != want.String() {
			t.Fatalf("encoding/json writes a plainEnvelope as %s, a TaskEnvelope as %s", again.Bytes(), want.Bytes())
		}
	})
}

// TestPlainEnvelopeKnowsEveryField: AppendJSON writes TaskEnvelope's and TaskData's fields by name and checks
// the optional ones are unset. A field added to either (say, one with omitempty that a pending task sets) would
// be left out of its JSON without a fuzz input to show it; this fails first, until AppendJSON handles it.
func TestPlainEnvelopeKnowsEveryField(t *testing.T) {
	for _, c := range []struct {
		v     any
		known []string
	}{
		{lumamock.TaskEnvelope{}, []string{"Code", "Message", "RequestID", "Data"}},
		{lumamock.TaskData{}, []string{"TaskID", "TaskStatus", "CreatedAt", "UpdatedAt", "Video", "VideoRaw", "Thumbnail", "LastFrame", "FailureReason"}},
	} {
		typ := reflect.TypeOf(c.v)
		var fields []string
		for i := range typ.NumField() {
			fields = append(fields, typ.Field(i).Name)
		}
		if !slices.Equal(fields, c.known) {
			t.Errorf("%s has fields %v; plainEnvelope.AppendJSON knows %v", typ, fields, c.known)
		}
	}
}

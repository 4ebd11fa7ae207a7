package mock

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/lumamock/lumamock"
)

// stdJSON is what encoding/json writes for v without HTML escaping, without the trailing newline.
func stdJSON(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func TestAppendTaskMatchesEncodingJSON(t *testing.T) {
	str := func(s string) *string { return &s }
	yes, wait := true, 3
	video := &lumamock.Video{URL: "https://cdn/v.mp4", DownloadURL: "https://cdn/v.mp4?download=true", Width: 1280, Height: 720}
	noDownload := &lumamock.Video{URL: "https://cdn/r.mp4", Width: 1920, Height: 1080}
	image := &lumamock.Image{URL: "https://cdn/t.jpg", Width: 1280, Height: 720}
	at := lumamock.LumaTime{Time: time.Date(2024, 12, 22, 13, 38, 40, 139409321, time.FixedZone("x", 3600))}
	values := []any{
		lumamock.TaskEnvelope{Code: 200, Message: "success", RequestID: "r", Data: lumamock.TaskData{TaskID: "t", TaskStatus: lumamock.StatePending, CreatedAt: 1734874720, UpdatedAt: 1734874720}},
		lumamock.TaskEnvelope{Code: 200, Message: "ok \"quoted\" <&>", RequestID: "r\n", Data: lumamock.TaskData{TaskID: "t", TaskStatus: lumamock.StateCompleted, CreatedAt: -1, UpdatedAt: 1 << 40,
			Video: video, VideoRaw: noDownload, Thumbnail: image, LastFrame: image, FailureReason: str("")}},
		lumamock.Generation{ID: "4665a07c", Prompt: "一阵风吹过树林 \u2028 \x00 \xff", State: lumamock.StatePending, CreatedAt: at},
		lumamock.Generation{ID: "g", Prompt: "", State: lumamock.StateFailed, QueueState: str("queued"), CreatedAt: at, BatchID: "b",
			Video: video, VideoRaw: noDownload, Liked: &yes, EstimateWaitSeconds: &wait, Thumbnail: image, LastFrame: image, FailureReason: str("moderated")},
	}
	for i, v := range values {
		got, ok := appendTask(nil, v)
		if !ok {
			t.Fatalf("value %d: not encoded by hand", i)
		}
		if want := stdJSON(t, v); !bytes.Equal(got, want) {
			t.Errorf("value %d:\n got %s\nwant %s", i, got, want)
		}
	}
	if _, ok := appendTask(nil, lumamock.EnvelopeError{}); ok {
		t.Error("an error body was claimed by the task encoder")
	}
}

// FuzzAppendString checks appendString writes exactly what encoding/json writes for any string.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "\"\\/", "\b\f\n\r\t\x00\x1f\x7f", "<>&", "\u2028\u2029", "\xff\xfe", "一阵风", "\xe2\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := appendString(nil, s), stdJSON(t, s); !bytes.Equal(got, want) {
			t.Fatalf("appendString(%q) = %s, encoding/json writes %s", s, got, want)
		}
	})
}

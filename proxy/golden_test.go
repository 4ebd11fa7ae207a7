package proxy

import (
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lumamock/lumamock/cassette"
)

var update = flag.Bool("update", false, "rewrite the golden cassette in testdata/cassette")

// TestGoldenCassette records a fixed exchange sequence and compares the files with testdata/cassette: the
// layout users read and diff. Refresh with go test ./proxy -run Golden -update.
func TestGoldenCassette(t *testing.T) {
	dir := t.TempDir()
	rec, err := cassette.NewRecorder(dir)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	rec.Now = func() time.Time { return at }
	polls := 0
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "3f2b8c1e-5a47-4d0e-9c61-2b7e8f0a1d22")
		if r.Method == http.MethodPost {
			_, _ = w.Write([]byte(envelope("pending")))
			return
		}
		polls++
		if polls == 1 {
			_, _ = w.Write([]byte(envelope("processing")))
			return
		}
		// The second poll says more than the document: a state it does not name.
		_, _ = w.Write([]byte(envelope("queued")))
	})
	_, px := startProxy(t, up, Options{Recorder: rec})
	call(t, px.URL, "POST", "/luma/generations", `{"user_prompt":"一阵风吹过树林","model_name":"ray-v2","duration":"5s","resolution":"720p"}`, nil)
	call(t, px.URL, "GET", "/luma/generations/"+taskID, "", nil)
	call(t, px.URL, "GET", "/luma/generations/"+taskID, "", nil)

	golden := filepath.Join("testdata", "cassette")
	got, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if *update {
		_ = os.RemoveAll(golden)
		if err := os.MkdirAll(golden, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range got {
			data, _ := os.ReadFile(f)
			if err := os.WriteFile(filepath.Join(golden, filepath.Base(f)), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	want, _ := filepath.Glob(filepath.Join(golden, "*.json"))
	if diff := cmp.Diff(baseNames(want), baseNames(got)); diff != "" {
		t.Fatalf("cassette files (-want +got):\n%s", diff)
	}
	for i := range want {
		if diff := cmp.Diff(decodeFile(t, want[i]), decodeFile(t, got[i])); diff != "" {
			t.Errorf("%s (-want +got):\n%s", filepath.Base(want[i]), diff)
		}
	}
}

func baseNames(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = filepath.Base(p)
	}
	return out
}

func decodeFile(t *testing.T, path string) any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

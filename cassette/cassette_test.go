package cassette

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/contract"
)

func TestBodyRoundTrip(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"json object, keys sorted, numbers exact", `{"b": 12345678901234567890, "a": "x"}`, `{"a":"x","b":12345678901234567890}`},
		{"json array", `[1, 2]`, `[1,2]`},
		{"text", `<html>`, `<html>`},
		{"object that looks like the text wrapper", `{"text":"hi"}`, `{"text":"hi"}`},
		{"binary", "\x00\xff\x01", "\x00\xff\x01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := json.Marshal(NewBody([]byte(tt.in)))
			if err != nil {
				t.Fatal(err)
			}
			var got Body
			if err := json.Unmarshal(data, &got); err != nil {
				t.Fatalf("%s: %v", data, err)
			}
			if diff := cmp.Diff(tt.want, string(got.Bytes())); diff != "" {
				t.Errorf("round trip via %s (-want +got):\n%s", data, diff)
			}
		})
	}
}

func TestSanitizeRemovesCredentials(t *testing.T) {
	const key = "sk-live-abc123"
	e := Entry{
		Request: Request{Method: "POST", Path: "/luma/generations", Query: "k=" + key,
			Header: http.Header{"Authorization": {"Bearer " + key}, "Cookie": {"s=1"}, "X-Api-Key": {key},
				"Proxy-Authorization": {"Basic x"}, "X-Auth-Token": {"t"}, "User-Agent": {"app " + key}, "Connection": {"close"}},
			Body: NewBody([]byte(`{"user_prompt":"` + key + `","id":"4665a07c-7641-4809-a133-10786201bb56"}`))},
		Response: Response{Status: 200, Header: http.Header{"Set-Cookie": {"s=2"}, "X-Request-Id": {"r1"}},
			Body: NewBody([]byte(`{"created_at":"2024-12-22T13:38:40.139409Z"}`))},
	}
	got := e.Sanitize(key)
	want := Entry{
		Request: Request{Method: "POST", Path: "/luma/generations", Query: "k=" + Redacted,
			Header: http.Header{"User-Agent": {"app " + Redacted}},
			Body:   NewBody([]byte(`{"user_prompt":"` + Redacted + `","id":"4665a07c-7641-4809-a133-10786201bb56"}`))},
		Response: Response{Status: 200, Header: http.Header{"X-Request-Id": {"r1"}},
			Body: NewBody([]byte(`{"created_at":"2024-12-22T13:38:40.139409Z"}`))},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(Entry{}, Body{})); diff != "" {
		t.Errorf("Sanitize (-want +got):\n%s", diff)
	}
}

func TestSanitizeRedactsURLCredentials(t *testing.T) {
	const key = "Q" // short: hidden only as a whole token
	hook := "http://user:Pw4@127.0.0.1:9/cb?token=Zt9&keep=1"
	e := Entry{
		Kind:     KindCallback,
		Request:  Request{Method: "POST", Path: hook, Body: NewBody([]byte(`{"notify_hook":"` + hook + `","prompt":"key Q, Quality"}`))},
		Findings: []contract.Finding{{Message: "posting to " + hook + " failed", Violation: &lumamock.Violation{Message: "bad Q"}}},
		Note:     "Post \"" + hook + "\": refused",
	}
	got := e.Sanitize(key)
	redacted := "http://user:[redacted]@127.0.0.1:9/cb?token=[redacted]&keep=1"
	if got.Request.Path != redacted {
		t.Errorf("Path = %q, want %q", got.Request.Path, redacted)
	}
	if want := `{"notify_hook":"` + redacted + `","prompt":"key [redacted], Quality"}`; string(got.Request.Body.Bytes()) != want {
		t.Errorf("Body = %s, want %s", got.Request.Body.Bytes(), want)
	}
	if want := "posting to " + redacted + " failed"; got.Findings[0].Message != want || got.Findings[0].Violation.Message != "bad [redacted]" {
		t.Errorf("Findings = %+v %+v", got.Findings[0], got.Findings[0].Violation)
	}
	if e.Findings[0].Violation.Message != "bad Q" {
		t.Error("Sanitize changed its input's violation")
	}
	if want := "Post \"" + redacted + "\": refused"; got.Note != want {
		t.Errorf("Note = %q, want %q", got.Note, want)
	}
	// A replayed request matches its recording whatever credentials its query carries.
	recorded := Entry{Request: Request{Method: "GET", Path: "/luma/generations/x", Query: "api_key=Q&keep=1"}}.Sanitize()
	if Key("GET", "/luma/generations/x", recorded.Request.Query, nil) != Key("GET", "/luma/generations/x", "keep=1&api_key=other", nil) {
		t.Errorf("recorded query %q does not match a request with another api_key", recorded.Request.Query)
	}
}

func TestRecorderNumbersAfterExistingEntries(t *testing.T) {
	dir := t.TempDir()
	r, _ := NewRecorder(dir)
	e1, err := r.Record(Entry{Request: Request{Method: "GET", Path: "/a/b"}, Response: Response{Status: 200}})
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := NewRecorder(dir)
	e2, _ := r2.Record(Entry{Kind: KindCallback, TaskID: "t/1", Request: Request{Method: "POST"}})
	if diff := cmp.Diff([]string{"000001.GET.a-b.json", "000002.CALLBACK.t-1.json"}, []string{e1.File(), e2.File()}); diff != "" {
		t.Errorf("file names (-want +got):\n%s", diff)
	}
	entries, err := Load(dir)
	if err != nil || len(entries) != 2 || entries[1].Kind != KindCallback {
		t.Fatalf("Load: %v %+v", err, entries)
	}
}

func TestLoadRejectsOtherVersions(t *testing.T) {
	dir := t.TempDir()
	_ = os.WriteFile(filepath.Join(dir, "000001.GET.x.json"), []byte(`{"version":9}`), 0o644)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "version 9") {
		t.Errorf("Load: %v, want a version error", err)
	}
}

func TestReplayerSequencesAndFallback(t *testing.T) {
	dir := t.TempDir()
	r, _ := NewRecorder(dir)
	r.Now = func() time.Time { return time.Unix(0, 0) }
	for i, state := range []string{"pending", "completed"} {
		if _, err := r.Record(Entry{Request: Request{Method: "GET", Path: "/luma/generations/t1"},
			Response: Response{Status: 200, Header: http.Header{"Content-Type": {"application/json"}, "X-Lumamock-Violations": {"[]"}},
				Body: NewBody([]byte(`{"state":"` + state + `","n":` + string(rune('1'+i)) + `}`))}}); err != nil {
			t.Fatal(err)
		}
	}
	_, _ = r.Record(Entry{Request: Request{Method: "POST", Path: "/luma/generations", Body: NewBody([]byte(`{"user_prompt":"a","notify_hook":"http://old"}`))},
		Response: Response{Status: 200, Body: NewBody([]byte(`{"state":"pending"}`))}})
	fallback := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	rp, err := NewReplayer(dir, fallback)
	if err != nil {
		t.Fatal(err)
	}
	defer rp.Close()
	if rp.Len() != 3 {
		t.Errorf("Len = %d, want 3", rp.Len())
	}
	do := func(method, path, body string) (int, string, http.Header) {
		w := httptest.NewRecorder()
		rp.ServeHTTP(w, httptest.NewRequest(method, path, strings.NewReader(body)))
		return w.Code, w.Body.String(), w.Header()
	}
	var got []string
	for range 3 {
		code, body, h := do("GET", "/luma/generations/t1", "")
		if h.Get("X-Lumamock-Violations") != "" {
			t.Errorf("replayed the proxy's own header")
		}
		got = append(got, h.Get(HeaderSource)+" "+http.StatusText(code)+" "+body)
	}
	code, _, h := do("POST", "/luma/generations", `{ "notify_hook": "http://new", "user_prompt": "a" }`)
	got = append(got, h.Get(HeaderSource)+" "+http.StatusText(code))
	code, _, h = do("POST", "/luma/generations", `{"user_prompt":"b"}`)
	got = append(got, h.Get(HeaderSource)+" "+http.StatusText(code))
	want := []string{
		`replay OK {"n":1,"state":"pending"}`,
		`replay OK {"n":2,"state":"completed"}`,
		`replay OK {"n":2,"state":"completed"}`,
		`replay OK`,
		`mock I'm a teapot`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
}

func TestKeyNormalizes(t *testing.T) {
	a := Key("post", "/p", "b=2&a=1", []byte(`{"x":1,"y":[1,2],"notify_hook":"http://a"}`))
	b := Key("POST", "/p", "a=1&b=2", []byte(` {"y":[1,2], "x":1}`))
	if a != b {
		t.Errorf("keys differ:\n%s\n%s", a, b)
	}
	if Key("POST", "/p", "", []byte(`{"x":1}`)) == Key("POST", "/p", "", []byte(`{"x":2}`)) {
		t.Error("different bodies share a key")
	}
}

// TestFileNameNeverCarriesRequestText records entries whose method is a secret, or any other word: a file
// name carries the method only when it is a known HTTP method, else the word "other"; the file's content
// shows a method that is a secret as Redacted.
func TestFileNameNeverCarriesRequestText(t *testing.T) {
	const key = "SECRETKEY12345"
	tests := []struct {
		method, wantName, wantMethod string
	}{
		{"GET", "000001.GET.luma-generations.json", "GET"},
		{"POST", "000001.POST.luma-generations.json", "POST"},
		{"OPTIONS", "000001.OPTIONS.luma-generations.json", "OPTIONS"},
		{key, "000001.other.luma-generations.json", Redacted},
		{"Q", "000001.other.luma-generations.json", Redacted}, // a short key, scrubbed as a whole token
		{"PROPFIND", "000001.other.luma-generations.json", "PROPFIND"},
		{"post", "000001.other.luma-generations.json", "post"}, // methods are case-sensitive: not POST
		{"CALLBACK", "000001.other.luma-generations.json", "CALLBACK"},
	}
	// The path is scrubbed before it names the file, as the method is.
	t.Run("key in the path", func(t *testing.T) {
		r, _ := NewRecorder(t.TempDir())
		e, err := r.Record(Entry{Request: Request{Method: "GET", Path: "/luma/generations/" + key}}, key)
		if err != nil || strings.Contains(e.File(), key) {
			t.Errorf("file %q (%v) carries the key", e.File(), err)
		}
	})
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			dir := t.TempDir()
			r, err := NewRecorder(dir)
			if err != nil {
				t.Fatal(err)
			}
			e, err := r.Record(Entry{Request: Request{Method: tt.method, Path: "/luma/generations"}, Response: Response{Status: 200}}, key, "Q")
			if err != nil {
				t.Fatal(err)
			}
			if e.File() != tt.wantName {
				t.Errorf("file %q, want %q", e.File(), tt.wantName)
			}
			entries, err := Load(dir)
			if err != nil || len(entries) != 1 {
				t.Fatalf("Load: %v, %d entries", err, len(entries))
			}
			if entries[0].Request.Method != tt.wantMethod {
				t.Errorf("recorded method %q, want %q", entries[0].Request.Method, tt.wantMethod)
			}
		})
	}
}

// TestResetRewindsTheCassette: POST /__mock/reset that the fallback carries out replays each request's recorded
// answers from the first again and empties the replay journal; one the fallback refuses (its admin guard)
// changes nothing.
func TestResetRewindsTheCassette(t *testing.T) {
	dir := t.TempDir()
	r, _ := NewRecorder(dir)
	for _, state := range []string{"pending", "completed"} {
		if _, err := r.Record(Entry{Request: Request{Method: "GET", Path: "/luma/generations/t1"},
			Response: Response{Status: 200, Body: NewBody([]byte(`{"state":"` + state + `"}`))}}); err != nil {
			t.Fatal(err)
		}
	}
	allow := true
	fallback := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/__mock/reset" && !allow {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	rp, err := NewReplayer(dir, fallback)
	if err != nil {
		t.Fatal(err)
	}
	defer rp.Close()
	get := func() string {
		w := httptest.NewRecorder()
		rp.ServeHTTP(w, httptest.NewRequest("GET", "/luma/generations/t1", nil))
		return w.Body.String()
	}
	reset := func() int {
		w := httptest.NewRecorder()
		rp.ServeHTTP(w, httptest.NewRequest("POST", "/__mock/reset", nil))
		return w.Code
	}
	if a, b := get(), get(); a != `{"state":"pending"}` || b != `{"state":"completed"}` {
		t.Fatalf("before reset: %s then %s", a, b)
	}
	allow = false
	if code := reset(); code != http.StatusForbidden {
		t.Fatalf("refused reset: %d", code)
	}
	if got := get(); got != `{"state":"completed"}` {
		t.Errorf("a refused reset rewound the cassette: %s", got)
	}
	allow = true
	if code := reset(); code != http.StatusNoContent {
		t.Fatalf("reset: %d", code)
	}
	if n := len(rp.Journal()); n != 0 {
		t.Errorf("the replay journal keeps %d decisions after reset", n)
	}
	if got := get(); got != `{"state":"pending"}` {
		t.Errorf("after reset, the first GET replayed %s, want the first recorded answer", got)
	}
}

// TestReplayJournalIsGuardedAndShowsNoKey: GET /__mock/replay is an admin endpoint like the fallback's: it
// asks for the admin token and, on a loopback listener, refuses a foreign Host; and it shows no key a request
// carried, in its path or query under any name, nor the accepted keys.
func TestReplayJournalIsGuardedAndShowsNoKey(t *testing.T) {
	const key, accepted = "mySecretToken99", "acceptedKey4242"
	rp, err := NewReplayer(t.TempDir(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotFound) }))
	if err != nil {
		t.Fatal(err)
	}
	defer rp.Close()
	rp.AdminToken, rp.Secrets = "adminTok777", []string{accepted}
	srv := httptest.NewServer(rp)
	defer srv.Close()
	do := func(path string, header map[string]string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		for k, v := range header {
			if k == "Host" {
				req.Host = v
			} else {
				req.Header.Set(k, v)
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	do("/luma/generations/"+key+"?api_key=x&x="+key+"&y="+accepted, map[string]string{"Authorization": "Bearer " + key})
	for _, tt := range []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"no token", nil, http.StatusUnauthorized},
		{"foreign Host", map[string]string{"Host": "evil.example", "Authorization": "Bearer adminTok777"}, http.StatusForbidden},
		{"with the token", map[string]string{"Authorization": "Bearer adminTok777"}, http.StatusOK},
	} {
		code, body := do("/__mock/replay", tt.header)
		if code != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, code, tt.want)
		}
		if code == http.StatusOK {
			for _, secret := range []string{key, accepted} {
				if strings.Contains(body, secret) {
					t.Errorf("the replay journal shows %q: %s", secret, body)
				}
			}
			if !strings.Contains(body, `/luma/generations/[redacted]`) {
				t.Errorf("the replay journal lost the request: %s", body)
			}
		}
	}
}

// TestAnswerWithoutItsBodyIsNotReplayed: an answer recorded without its body (too large for the recorder) is
// not replayed as an empty body: the fallback answers, and the next recorded answer still comes in turn.
func TestAnswerWithoutItsBodyIsNotReplayed(t *testing.T) {
	dir := t.TempDir()
	r, _ := NewRecorder(dir)
	for _, resp := range []Response{
		{Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, BodyNotRecorded: true},
		{Status: 200, Body: NewBody([]byte(`{"state":"completed"}`))},
	} {
		if _, err := r.Record(Entry{Request: Request{Method: "GET", Path: "/luma/generations/t1"}, Response: resp}); err != nil {
			t.Fatal(err)
		}
	}
	rp, err := NewReplayer(dir, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	if err != nil {
		t.Fatal(err)
	}
	defer rp.Close()
	var got []string
	for range 2 {
		w := httptest.NewRecorder()
		rp.ServeHTTP(w, httptest.NewRequest("GET", "/luma/generations/t1", nil))
		got = append(got, w.Header().Get(HeaderSource)+" "+strconv.Itoa(w.Code)+" "+w.Body.String())
	}
	if diff := cmp.Diff([]string{"mock 418 ", `replay 200 {"state":"completed"}`}, got); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
}

// TestReplayJournalCutsLongURLs: a decision keeps at most a few KiB of the path and query a client sent, so the
// replay journal's memory depends on its length only.
func TestReplayJournalCutsLongURLs(t *testing.T) {
	rp, err := NewReplayer(t.TempDir(), http.NotFoundHandler())
	if err != nil {
		t.Fatal(err)
	}
	defer rp.Close()
	long := strings.Repeat("a", 64<<10)
	rp.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/luma/generations/"+long+"?q="+long, nil))
	d := rp.Journal()[0]
	if len(d.Path) > maxDecisionText || len(d.Query) > maxDecisionText || !strings.HasPrefix(d.Path, "/luma/generations/aaa") {
		t.Errorf("decision keeps a %d-byte path and a %d-byte query", len(d.Path), len(d.Query))
	}
}

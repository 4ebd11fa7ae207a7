package proxy

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/cassette"
	"github.com/lumamock/lumamock/mock"
)

// lumaAPI is a fake upstream with a task lifecycle: POST answers pending and then posts a processing and a
// completed callback to notify_hook (the completed one breaking the document when badCallback is set); each GET
// answers the next state. Every answer and callback is answer(state), envelope unless set.
type lumaAPI struct {
	*upstream
	hooks       chan string
	mu          sync.Mutex
	polls       int
	badCallback bool
	answer      func(state string) string
}

// body is the answer or callback body at state.
func (a *lumaAPI) body(state string) string {
	if a.answer != nil {
		return a.answer(state)
	}
	return envelope(state)
}

var states = []string{"pending", "processing", "completed"}

func newLumaAPI(t *testing.T, badCallback bool) *lumaAPI {
	a := &lumaAPI{hooks: make(chan string, 10), badCallback: badCallback}
	a.upstream = newUpstream(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "3f2b8c1e-5a47-4d0e-9c61-2b7e8f0a1d22")
		if r.Method == http.MethodPost {
			var req lumamock.GenerationRequest
			_ = json.Unmarshal(body, &req)
			_, _ = io.WriteString(w, a.body("pending"))
			if req.NotifyHook != nil {
				a.hooks <- *req.NotifyHook
			}
			return
		}
		a.mu.Lock()
		state := states[min(a.polls, len(states)-1)]
		a.polls++
		a.mu.Unlock()
		_, _ = io.WriteString(w, a.body(state))
	})
	return a
}

// deliver posts the task's callbacks to the hook the last POST named, as the real API would.
func (a *lumaAPI) deliver(t *testing.T) []int {
	t.Helper()
	var hook string
	select {
	case hook = <-a.hooks:
	case <-time.After(5 * time.Second):
		t.Fatal("the upstream got no notify_hook")
	}
	bodies := []string{a.body("processing"), a.body("completed")}
	if a.badCallback {
		bodies[1] = strings.Replace(bodies[1], `"task_status":"completed"`, `"task_status":"done"`, 1)
	}
	var statuses []int
	client := &http.Client{Timeout: 5 * time.Second}
	for _, b := range bodies {
		req, _ := http.NewRequest(http.MethodPost, hook, strings.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Upstream-Signature", "sig-1")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("callback to %s: %v", hook, err)
		}
		resp.Body.Close()
		statuses = append(statuses, resp.StatusCode)
	}
	return statuses
}

func TestHookRelayChecksAndForwardsCallbacks(t *testing.T) {
	api := newLumaAPI(t, true)
	client := newHookReceiver(t)
	var p *Proxy
	var proxyURL string
	p, px := startProxyWithHook(t, api.upstream, Options{HookRelay: true}, &proxyURL)
	_ = p
	body := `{"user_prompt":"wind","notify_hook":"` + client.URL + `/hooks/luma?user=7"}`
	resp, _ := call(t, px.URL, "POST", "/luma/generations", body, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("POST: %d", resp.StatusCode)
	}
	forwarded := api.requests()[0].Body
	var fwd map[string]any
	_ = json.Unmarshal([]byte(forwarded), &fwd)
	if hook, _ := fwd["notify_hook"].(string); !strings.HasPrefix(hook, proxyURL+HookPrefix) {
		t.Fatalf("the upstream got notify_hook %q, want the proxy's %s%s...", hook, proxyURL, HookPrefix)
	}
	if diff := cmp.Diff("wind", fwd["user_prompt"]); diff != "" {
		t.Errorf("other members changed (-want +got):\n%s", diff)
	}
	statuses := api.deliver(t)
	if diff := cmp.Diff([]int{http.StatusNoContent, http.StatusNoContent}, statuses); diff != "" {
		t.Errorf("the upstream should see the client hook's answers (-want +got):\n%s", diff)
	}
	got := client.wait(t, 2)
	if got[0].Path != "/hooks/luma" || got[0].Query != "user=7" || got[0].Header.Get("X-Upstream-Signature") != "sig-1" {
		t.Errorf("callback arrived at %s?%s with headers %v", got[0].Path, got[0].Query, got[0].Header)
	}
	if got[0].Body != envelope("processing") || got[0].Header.Get(HeaderViolations) != "" {
		t.Errorf("first callback: %s (violations %q), want it unchanged and clean", got[0].Body, got[0].Header.Get(HeaderViolations))
	}
	if diff := cmp.Diff([]brief{{DirCallback, "new-enum-value", "/data/task_status"}}, headerFindings(t, got[1].Header)); diff != "" {
		t.Errorf("second callback's violations (-want +got):\n%s", diff)
	}
	cbs := p.Callbacks()
	if len(cbs) != 2 || !cbs[0].Valid || cbs[1].Valid || !cbs[1].Forwarded || cbs[1].TaskID != taskID || cbs[1].Status != 204 {
		t.Errorf("callback journal: %+v", cbs)
	}
}

func TestStrictHookRelayHoldsBackABadCallback(t *testing.T) {
	api := newLumaAPI(t, true)
	client := newHookReceiver(t)
	var proxyURL string
	_, px := startProxyWithHook(t, api.upstream, Options{HookRelay: true, Strict: true}, &proxyURL)
	call(t, px.URL, "POST", "/luma/generations", `{"user_prompt":"wind","notify_hook":"`+client.URL+`"}`, nil)
	statuses := api.deliver(t)
	if diff := cmp.Diff([]int{http.StatusNoContent, http.StatusBadGateway}, statuses); diff != "" {
		t.Errorf("statuses the upstream saw (-want +got):\n%s", diff)
	}
	if got := client.wait(t, 1); len(got) != 1 {
		t.Errorf("client got %d callbacks, want only the valid one", len(got))
	}
}

func TestUnknownHookTokenIs404(t *testing.T) {
	up := newUpstream(t, answer(200, "{}"))
	var proxyURL string
	_, px := startProxyWithHook(t, up, Options{HookRelay: true}, &proxyURL)
	resp, _ := call(t, px.URL, "POST", HookPrefix+"nope", envelope("completed"), nil)
	if resp.StatusCode != 404 || len(up.requests()) != 0 {
		t.Errorf("unknown token: %d, upstream asked %d times", resp.StatusCode, len(up.requests()))
	}
}

// startProxyWithHook starts a proxy whose HookURL is its own loopback address.
func startProxyWithHook(t *testing.T, up *upstream, opts Options, proxyURL *string) (*Proxy, *httptestServer) {
	t.Helper()
	var p *Proxy
	n := &notifier{ch: make(chan struct{})}
	srv := newTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer n.notify()
		p.ServeHTTP(w, r)
	}))
	opts.Upstream, opts.HookURL = up.URL, srv.URL
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Second
	}
	var err error
	if p, err = New(opts); err != nil {
		t.Fatal(err)
	}
	served.Store(p, n) // for waitFor
	t.Cleanup(func() { served.Delete(p) })
	*proxyURL = srv.URL
	return p, srv
}

func TestRecordThenReplay(t *testing.T) {
	dir := t.TempDir()
	rec, err := cassette.NewRecorder(dir)
	if err != nil {
		t.Fatal(err)
	}
	api := newLumaAPI(t, false)
	client := newHookReceiver(t)
	var proxyURL string
	p, px := startProxyWithHook(t, api.upstream, Options{HookRelay: true, Recorder: rec}, &proxyURL)
	submit := `{"user_prompt":"wind","resolution":"720p","notify_hook":"` + client.URL + `/cb"}`
	var live []string
	_, body := call(t, px.URL, "POST", "/luma/generations", submit, map[string]string{"X-Api-Key": testKey})
	live = append(live, string(body))
	api.deliver(t)
	client.wait(t, 2)
	for range 3 {
		_, body := call(t, px.URL, "GET", "/luma/generations/"+taskID, "", nil)
		live = append(live, string(body))
	}
	waitJournal(t, p, 4)

	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	var names []string
	for _, f := range files {
		names = append(names, strings.SplitN(filepath.Base(f), ".", 3)[1])
		data, _ := os.ReadFile(f)
		assertNoKey(t, filepath.Base(f), data)
		if bytes.Contains(data, []byte("Authorization")) || bytes.Contains(data, []byte("X-Api-Key")) {
			t.Errorf("%s keeps a credential header:\n%s", filepath.Base(f), data)
		}
	}
	if diff := cmp.Diff([]string{"POST", "CALLBACK", "CALLBACK", "GET", "GET", "GET"}, names); diff != "" {
		t.Errorf("cassette files (-want +got):\n%s", diff)
	}

	// Offline: the mock behind a replayer of the cassette, and a new client hook.
	m, err := mock.New(mock.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	replayer, err := cassette.NewReplayer(dir, m)
	if err != nil {
		t.Fatal(err)
	}
	defer replayer.Close()
	offline := newTestServer(t, replayer)
	newClient := newHookReceiver(t)
	resubmit := `{"notify_hook":"` + newClient.URL + `/other","resolution":"720p","user_prompt":"wind"}` // other order, other hook
	var replayed, sources []string
	resp, body := call(t, offline.URL, "POST", "/luma/generations", resubmit, nil)
	replayed, sources = append(replayed, string(body)), append(sources, resp.Header.Get(cassette.HeaderSource))
	for range 4 {
		resp, body := call(t, offline.URL, "GET", "/luma/generations/"+taskID, "", nil)
		replayed, sources = append(replayed, string(body)), append(sources, resp.Header.Get(cassette.HeaderSource))
	}
	if diff := cmp.Diff(append(live, live[3]), replayed, cmp.Transformer("json", normJSON)); diff != "" {
		t.Errorf("replayed answers, the last repeated (-want +got):\n%s", diff)
	}
	// A recorded success does not stand in for a request the mock refuses: no key is a 401, as from the mock.
	noKey, _ := http.NewRequest("POST", offline.URL+"/luma/generations", strings.NewReader(resubmit))
	noKey.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(noKey); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get(cassette.HeaderSource) != "mock" {
			t.Errorf("replay without a key: %d from %q, want 401 from the mock", resp.StatusCode, resp.Header.Get(cassette.HeaderSource))
		}
	}
	resp, _ = call(t, offline.URL, "POST", "/luma/generations", `{"user_prompt":"never recorded"}`, nil)
	sources = append(sources, resp.Header.Get(cassette.HeaderSource))
	if diff := cmp.Diff([]string{"replay", "replay", "replay", "replay", "replay", "mock"}, sources); diff != "" {
		t.Errorf("%s (-want +got):\n%s", cassette.HeaderSource, diff)
	}
	if resp.StatusCode != 200 {
		t.Errorf("the mock did not answer the unrecorded request: %d", resp.StatusCode)
	}
	cbs := newClient.wait(t, 2)
	if cbs[0].Path != "/other" || normJSON(cbs[1].Body) != normJSON(envelope("completed")) {
		t.Errorf("replayed callbacks: %+v", cbs)
	}
	journal := replayer.Journal()
	if len(journal) != 7 || journal[0].Source != "replay" || journal[0].Callbacks != 2 || journal[5].Source != "mock" || journal[6].Source != "mock" {
		t.Errorf("replay journal: %+v", journal)
	}
	// The mock's own journal says which one answered each request, and judges the replayed ones too.
	var mockSources []string
	for _, rec := range m.Requests() {
		mockSources = append(mockSources, rec.Source)
		if !rec.Valid && rec.Status != http.StatusUnauthorized {
			t.Errorf("request journaled as invalid: %+v", rec)
		}
		if rec.Source == mock.SourceReplay && (rec.Cassette == "" || rec.RequestID == "") {
			t.Errorf("replayed request without its cassette file or request id: %+v", rec)
		}
	}
	if diff := cmp.Diff([]string{"replay", "replay", "replay", "replay", "replay", "mock", "mock"}, mockSources); diff != "" {
		t.Errorf("mock journal sources (-want +got):\n%s", diff)
	}
}

func normJSON(s string) string {
	var v any
	if json.Unmarshal([]byte(s), &v) != nil {
		return s
	}
	out, _ := json.Marshal(v)
	return string(out)
}

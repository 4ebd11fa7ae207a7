package ui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
	"github.com/lumamock/lumamock/proxy"
)

// screenshots, when set, is the directory the browser tests write the README's screenshots (ui-*.png) to:
//
//	go test ./internal/ui -run Browser -args -screenshots "$PWD/docs"
var screenshots = flag.String("screenshots", "", "write the dashboard's screenshots (ui-*.png) to this directory")

// browserEnv set to 1 makes a missing Chromium fail the browser tests instead of skipping them (CI sets it).
const browserEnv = "LUMAMOCK_BROWSER_TESTS"

// chromium finds a Chromium or Chrome binary: $LUMAMOCK_CHROMIUM, else the usual names on PATH.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("LUMAMOCK_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv(browserEnv) == "1" {
		t.Fatalf("no chromium binary found on PATH (nor $LUMAMOCK_CHROMIUM), and %s=1 asks for the browser tests", browserEnv)
	}
	t.Skipf("browser test skipped: no chromium binary found on PATH (install Debian's chromium, or set LUMAMOCK_CHROMIUM; %s=1 turns this skip into a failure)", browserEnv)
	return ""
}

// browser starts a headless Chromium of 1280x800 and returns a context for its one tab. It loads nothing but
// what the test asks for: Chromium's own background traffic is off.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("disable-quic", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	run(t, ctx, chromedp.EmulateViewport(1280, 800))
	return ctx
}

// run runs actions in the tab, failing the test if they do not finish within a minute. The first call starts
// the browser, so it must not carry the timeout (it would end the browser with it).
func run(t *testing.T, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if chromedp.FromContext(ctx).Browser != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Minute)
		defer cancel()
	}
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

// eval returns the value of a JavaScript expression on the page.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("browser: %s: %v", expr, err)
	}
	return v
}

// waitFor waits until the JavaScript expression is true on the page: the page updates by itself, so nothing
// reloads it. On timeout it fails with what the expression reads and the page's text.
func waitFor(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	_, err := chromedp.Run(wctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(50*time.Millisecond)))
	if err != nil {
		text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`"detail pane:\n" + document.querySelector("#detail").innerText.slice(0, 2000) + "\n\npage:\n" + document.body.innerText.slice(0, 2000) +
			"\n\nlast toast: " + document.querySelector("#toast").textContent + "\nfields marked bad: " + [...document.querySelectorAll(".bad")].map((x) => x.name + "=" + x.value).join(", ")`))
		t.Fatalf("page never showed %s (%s): %v\npage text:\n%s", what, expr, err, text)
	}
}

// click clicks the first element sel selects, once there is one, in a single step in the page. The dashboard
// re-renders as it polls: a node that chromedp.Click had found could be replaced before its click landed
// ("Could not find node with given id").
func click(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](`(() => { const el = document.querySelector(`+js(sel)+`); if (!el) return false; el.click(); return true; })()`,
		chromedp.WithPollingInterval(50*time.Millisecond))
}

// setValue sets the value of the first element sel selects, once there is one, as a user would: then an input
// and a change event.
func setValue(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](`(() => { const el = document.querySelector(`+js(sel)+`); if (!el) return false; el.value = `+js(value)+`;
		el.dispatchEvent(new Event("input", {bubbles: true})); el.dispatchEvent(new Event("change", {bubbles: true})); return true; })()`,
		chromedp.WithPollingInterval(50*time.Millisecond))
}

// js quotes s as a JavaScript string.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// rowText is an expression reading the text of the row keyed key in table, "" when there is none.
func rowText(table, key string) string {
	return fmt.Sprintf(`((document.querySelector('#%s tr[data-key=' + CSS.escape(%s) + ']') || {}).textContent || "")`, table, js(key))
}

// rowState is an expression reading the state badge of the task row keyed id.
func rowState(id string) string {
	return fmt.Sprintf(`((document.querySelector('#tasks-table tr[data-key=' + CSS.escape(%s) + '] .badge') || {}).textContent || "")`, js(id))
}

func shoot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if *screenshots == "" {
		return
	}
	run(t, ctx, chromedp.Sleep(300*time.Millisecond))
	png := eval0(t, ctx, chromedp.CaptureScreenshot())
	path := filepath.Join(*screenshots, "ui-"+name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", path, len(png))
}

// eval0 runs an action that returns a value.
func eval0[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	return v
}

// client talks to the mock as a client under test would.
type client struct {
	t   *testing.T
	srv *mocktest.Server
}

// submit creates a task and returns its id; a refused submission returns "".
func (c client) submit(body map[string]any, prefer string) (string, int) {
	c.t.Helper()
	return c.post("", body, prefer)
}

// post creates a task in session (by its header; none for "") and returns its id and the answer's status.
func (c client) post(session string, body map[string]any, prefer string) (string, int) {
	c.t.Helper()
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, c.srv.URL+lumamock.PathGenerations, bytes.NewReader(data))
	req.Header.Set("Authorization", "Bearer test-key")
	req.Header.Set("Content-Type", "application/json")
	if session != "" {
		req.Header.Set(mock.HeaderSession, session)
	}
	if prefer != "" {
		req.Header.Set("Prefer", prefer)
	}
	resp, err := c.srv.Client.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var env lumamock.TaskEnvelope
	_ = json.NewDecoder(resp.Body).Decode(&env)
	return env.Data.TaskID, resp.StatusCode
}

func TestBrowserDashboardFollowsTheMock(t *testing.T) {
	ctx := browser(t)
	srv := mocktest.NewServer(t, mock.Options{CallbackSecret: "whsec-test"})
	hook := mocktest.NewHookReceiver(t)
	c := client{t, srv}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("dashboard: %s", srv.UIURL())
		}
	})

	// Some history first, for the screenshots: tasks that ended, one with webhook faults.
	for i, prompt := range []string{
		"A paper boat drifts down a rain-soaked street, close-up, golden hour",
		"Timelapse of clouds rolling over snowy mountain peaks",
		"A cat in a space suit floats past the window of a space station",
	} {
		prefer := "pending=1s, processing=3s"
		if i == 1 {
			prefer += ", duplicate=1, outcome=failed"
		}
		c.submit(map[string]any{"user_prompt": prompt, "resolution": "1080p", "notify_hook": hook.URL}, prefer)
		srv.Advance(700 * time.Millisecond)
	}
	srv.Advance(5 * time.Second)

	run(t, ctx, chromedp.Navigate(srv.UIURL()))
	waitFor(t, ctx, "the tasks table", `document.querySelectorAll('#tasks-table tbody tr').length === 3`)

	// A task created now shows up pending without a reload.
	hook.Respond(http.StatusInternalServerError) // its first callback fails once, then is retried
	id, status := c.submit(map[string]any{"user_prompt": "A red fox runs through the snow at dawn, cinematic", "resolution": "720p",
		"notify_hook": hook.URL, "model_name": "ray-v2"}, "")
	if status != http.StatusOK {
		t.Fatalf("submit: status %d", status)
	}
	waitFor(t, ctx, "the new task, pending", rowState(id)+` === "pending"`)

	// The clock moves: processing (its callback answered 500, then retried and answered 200), then completed.
	srv.Advance(2 * time.Second)
	srv.Advance(mock.DefaultCallbackBackoff)
	waitFor(t, ctx, "the task processing", rowState(id)+` === "processing"`)
	run(t, ctx, click(`#tasks-table tr[data-key="`+id+`"]`))
	waitFor(t, ctx, "the task's callbacks: 500 then 200", `(() => {
		const t = (document.querySelector('#task-callbacks') || {}).textContent || "";
		return t.includes("500") && t.includes("200") && t.indexOf("200") < t.indexOf("500"); // newest first
	})()`)
	srv.Advance(5 * time.Second)
	waitFor(t, ctx, "the task completed", rowState(id)+` === "completed"`)
	waitFor(t, ctx, "the task's assets", `!!document.querySelector('#detail a[href^="https://"]')`)
	for _, prompt := range []string{"Aerial shot of a coastline at sunset, waves in slow motion", "A robot waters plants in a greenhouse"} {
		c.submit(map[string]any{"user_prompt": prompt, "resolution": "720p", "notify_hook": hook.URL}, "pending=1s, processing=6s")
		srv.Advance(1500 * time.Millisecond)
	}
	c.submit(map[string]any{"user_prompt": "Macro of dew drops on a spider web", "resolution": "1080p"}, "pending=3s")
	waitFor(t, ctx, "the tasks in every state", `["pending", "processing", "completed", "failed"].every(s => document.querySelector('#tasks-table .st-' + s))`)
	shoot(t, ctx, "tasks")

	// The callbacks panel lists every attempt, with the retry and the signature.
	run(t, ctx, click(`#tab-callbacks`))
	waitFor(t, ctx, "the retried attempt", `[...document.querySelectorAll('#callbacks-table tbody tr')].some(tr => tr.textContent.includes("retry 1") && tr.textContent.includes("200") && tr.querySelector('.ok-mark[title^=signed]'))`)
	waitFor(t, ctx, "the failed attempt", `[...document.querySelectorAll('#callbacks-table tbody tr')].some(tr => tr.textContent.includes("500"))`)
	waitFor(t, ctx, "the duplicate fault", `document.querySelector('#callbacks-table').textContent.includes("duplicate")`)
	run(t, ctx, click(`#callbacks-table tbody tr`))
	waitFor(t, ctx, "the callback body", `((document.querySelector('#body-viewer') || {}).textContent || "").includes('"task_id"')`)
	shoot(t, ctx, "callbacks")

	// A refused request shows its violated field and rule, and bodies are shown as text, never as markup.
	c.submit(map[string]any{"model_name": "ray-v2", "duration": "7s", "resolution": "720p"}, "")
	evil, _ := c.submit(map[string]any{"user_prompt": `<img src=x id=pwned onerror="document.title='pwned'">`}, "")
	run(t, ctx, click(`#tab-requests`))
	waitFor(t, ctx, "the refused request's violations", `[...document.querySelectorAll('#requests-table tbody tr.refused')].some(tr => tr.textContent.includes("/user_prompt") && tr.textContent.includes("required") && tr.textContent.includes("/duration"))`)
	run(t, ctx, click(`#requests-table tbody tr.refused`))
	waitFor(t, ctx, "the violation list", `(() => {
		const v = (document.querySelector('#violations') || {}).textContent || "";
		return v.includes("/user_prompt") && v.includes("required") && v.includes("/duration") && v.includes("enum");
	})()`)
	shoot(t, ctx, "requests")

	// Complete and fail from the page: the buttons go through the admin API.
	run(t, ctx, click(`#tab-tasks`))
	waitFor(t, ctx, "the task with markup in its prompt", rowText("tasks-table", evil)+`.includes("<img src=x")`)
	if eval[bool](t, ctx, `!!document.getElementById("pwned") || document.title === "pwned"`) {
		t.Fatal("the page rendered a prompt as markup")
	}
	toFail, _ := c.submit(map[string]any{"user_prompt": "A lighthouse in a storm", "notify_hook": hook.URL}, "")
	for _, step := range []struct {
		id, button string
		want       lumamock.TaskState
	}{{evil, "#task-complete", lumamock.StateCompleted}, {toFail, "#task-fail", lumamock.StateFailed}} {
		waitFor(t, ctx, "the task row", rowText("tasks-table", step.id)+` !== ""`)
		run(t, ctx, click(`#tasks-table tr[data-key="`+step.id+`"]`))
		waitFor(t, ctx, "the detail's buttons", `(document.querySelector('#detail .id') || {}).textContent === `+js(step.id)+` && !document.querySelector('`+step.button+`').disabled`)
		run(t, ctx, click(step.button))
		waitFor(t, ctx, "the task "+string(step.want), rowState(step.id)+` === `+js(string(step.want)))
		if got := srv.Task(step.id).State; got != step.want {
			t.Errorf("after %s the mock says task %s is %s, want %s", step.button, step.id, got, step.want)
		}
	}
	waitFor(t, ctx, "the state filter counts", `document.querySelector('[data-count=failed]').textContent === "2"`)

	// Filter and search keep to what the reader asked while the page updates.
	run(t, ctx, click(`#state-filter [data-state=failed]`))
	waitFor(t, ctx, "only the failed tasks", `(() => { const rows = [...document.querySelectorAll('#tasks-table tbody tr')];
		return rows.length === 2 && rows.every(r => r.textContent.includes("failed")); })()`)
	run(t, ctx, chromedp.SendKeys(chromedp.CSS(`#task-search`), toFail[:8]))
	waitFor(t, ctx, "the searched task", `document.querySelectorAll('#tasks-table tbody tr').length === 1 && `+rowText("tasks-table", toFail)+` !== ""`)
	requests := eval[string](t, ctx, `document.querySelector('#count-requests').textContent`)
	c.submit(map[string]any{"user_prompt": "another"}, "")
	// The poll that counts the new task's request renders the tasks too: then the rows must still be filtered.
	waitFor(t, ctx, "the new task's request counted", `document.querySelector('#count-requests').textContent !== `+js(requests))
	waitFor(t, ctx, "the filter kept after updates", `document.querySelectorAll('#tasks-table tbody tr').length === 1 && document.querySelector('#task-search').value === `+js(toFail[:8]))

	// Reset (asked twice) empties the page.
	run(t, ctx, click(`#reset`), click(`#reset`))
	waitFor(t, ctx, "an empty page after reset", `document.querySelectorAll('#tasks-table tbody tr').length === 0 && document.querySelectorAll('#requests-table tbody tr').length === 0`)
	if n := len(srv.Mock.Tasks()); n != 0 {
		t.Errorf("after Reset on the page the mock keeps %d tasks", n)
	}
}

func TestBrowserDashboardOfTheProxyHasNoTasks(t *testing.T) {
	ctx := browser(t)
	upstream := mocktest.NewServer(t, mock.Options{})
	p, err := proxy.New(proxy.Options{Upstream: upstream.URL})
	if err != nil {
		t.Fatal(err)
	}
	ps := httptest.NewServer(p)
	t.Cleanup(ps.Close)
	c := client{t, &mocktest.Server{URL: ps.URL, Client: ps.Client()}}
	c.submit(map[string]any{"user_prompt": "A koi pond, top-down"}, "")
	c.submit(map[string]any{"user_prompt": "x", "resolution": "4k"}, "")

	run(t, ctx, chromedp.Navigate(ps.URL+"/__mock/ui"))
	waitFor(t, ctx, "the proxy's exchanges", `document.querySelectorAll('#requests-table tbody tr').length === 2`)
	waitFor(t, ctx, "the violation of the refused one", `document.querySelector('#requests-table tbody tr.refused').textContent.includes("/resolution")`)
	if eval[bool](t, ctx, `!document.querySelector('#tab-tasks').hidden || !document.querySelector('#panel-tasks').hidden`) {
		t.Error("the proxy's dashboard shows a Tasks panel; the proxy has no tasks")
	}
	if eval[bool](t, ctx, `!document.querySelector('#tab-coverage').hidden || !document.querySelector('#panel-coverage').hidden`) {
		t.Error("the proxy's dashboard shows a Coverage panel; the proxy measures no coverage")
	}
	c.submit(map[string]any{"user_prompt": "A third one"}, "")
	waitFor(t, ctx, "a new exchange without reload", `document.querySelectorAll('#requests-table tbody tr').length === 3`)
	shoot(t, ctx, "proxy")
}

func TestBrowserDashboardAsksForTheAdminToken(t *testing.T) {
	ctx := browser(t)
	srv := mocktest.NewServer(t, mock.Options{AdminToken: "s3cret-admin"})
	client{t, srv}.submit(map[string]any{"user_prompt": "behind a token"}, "")
	run(t, ctx, chromedp.Navigate(srv.UIURL()))
	waitFor(t, ctx, "the token dialog", `document.querySelector('#token-dialog').open`)
	run(t, ctx,
		chromedp.SendKeys(chromedp.CSS(`#token-input`), "s3cret-admin"),
		click(`#token-form button[type=submit]`))
	waitFor(t, ctx, "the task, read with the token", `document.querySelectorAll('#tasks-table tbody tr').length === 1`)
	if eval[bool](t, ctx, `location.href.includes("s3cret")`) {
		t.Error("the admin token ended up in the page's address")
	}
	if !strings.HasPrefix(srv.UIURL(), srv.URL) {
		t.Errorf("UIURL %q is not under the server's URL %q", srv.UIURL(), srv.URL)
	}
}

// TestBrowserTokenEnteredDuringARefusedPollIsKept: a poll sent without the token is refused (401) after the
// reader has entered it; that late refusal is of no token, so it must neither drop the reader's token nor ask
// for it again. The server holds the poll's first request while the reader types.
func TestBrowserTokenEnteredDuringARefusedPollIsKept(t *testing.T) {
	ctx := browser(t)
	m, err := mock.New(mock.Options{Clock: mock.NewManualClock(mocktest.Start), Seed: mocktest.Seed, AdminToken: "s3cret-admin"})
	if err != nil {
		t.Fatal(err)
	}
	var g gate
	ts := httptest.NewServer(g.wrap(m))
	t.Cleanup(func() { ts.Close(); m.Close() })
	client{t, &mocktest.Server{URL: ts.URL, Client: ts.Client(), Mock: m}}.submit(map[string]any{"user_prompt": "behind a token"}, "")

	g.arm(func(r *http.Request) bool {
		return r.Method == http.MethodGet && r.URL.Path == mock.AdminPrefix+"/sessions"
	})
	run(t, ctx, chromedp.Navigate(ts.URL+mock.UIPath))
	waitFor(t, ctx, "the token dialog", `document.querySelector('#token-dialog').open`)
	g.waitHeld(t) // a poll without the token is under way
	run(t, ctx,
		chromedp.SendKeys(chromedp.CSS(`#token-input`), "s3cret-admin"),
		click(`#token-form button[type=submit]`))
	waitFor(t, ctx, "the dialog closed", `!document.querySelector('#token-dialog').open`)
	close(g.release) // the held poll is refused now, after the reader gave the token
	waitFor(t, ctx, "the task, read with the token, and no dialog", `document.querySelectorAll('#tasks-table tbody tr').length === 1 && !document.querySelector('#token-dialog').open`)
	if got := eval[string](t, ctx, `sessionStorage.getItem("lumamock.adminToken") || ""`); got != "s3cret-admin" {
		t.Errorf("the kept token is %q, want the reader's", got)
	}
}

// TestBrowserDashboardStaysResponsiveAtScale fills the mock (10,000 tasks, full journals of large bodies) and
// checks that the page shows one page of tasks, a window of the journals, and keeps updating.
func TestBrowserDashboardStaysResponsiveAtScale(t *testing.T) {
	if testing.Short() {
		t.Skip("fills the mock with 10,000 tasks; skipped with -short")
	}
	ctx := browser(t)
	srv := mocktest.NewServer(t, mock.Options{})
	const tasks = mock.DefaultMaxTasks
	long := strings.Repeat("a long prompt ", 60)
	start := time.Now()
	for i := range tasks {
		body, _ := json.Marshal(map[string]any{"user_prompt": fmt.Sprintf("%d %s", i, long)})
		req := httptest.NewRequest(http.MethodPost, lumamock.PathGenerations, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer k")
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		srv.Mock.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			t.Fatalf("submit %d: status %d", i, w.Code)
		}
	}
	t.Logf("%d tasks created in %s", tasks, time.Since(start).Round(time.Millisecond))

	start = time.Now()
	run(t, ctx, chromedp.Navigate(srv.UIURL()))
	waitFor(t, ctx, "the first page of tasks", `document.querySelectorAll('#tasks-table tbody tr').length === 100 && document.querySelector('#task-range').textContent.startsWith("100 of 10000")`)
	waitFor(t, ctx, "a window of the request journal", `document.querySelectorAll('#requests-table tbody tr').length === 300 && document.querySelector('#count-requests').textContent === "1000"`)
	loaded := time.Since(start)
	t.Logf("first page shown in %s", loaded.Round(time.Millisecond))
	if loaded > 10*time.Second {
		t.Errorf("the page took %s to show the first page of 10,000 tasks", loaded)
	}
	// Still live: a new task is on top within a few polls, and paging back works.
	id, _ := client{t, srv}.submit(map[string]any{"user_prompt": "the newest"}, "")
	waitFor(t, ctx, "the newest task on top", `document.querySelector('#tasks-table tbody tr').dataset.key === `+js(id))
	run(t, ctx, click(`#task-older`))
	waitFor(t, ctx, "the second page", `document.querySelector('#task-range').textContent.includes("older page") && document.querySelectorAll('#tasks-table tbody tr').length === 100`)
	// A reader scrolled down the requests keeps reading the same rows while new ones arrive on top.
	run(t, ctx, click(`#tab-requests`))
	anchor := eval[[]any](t, ctx, `(() => {
		const sc = document.querySelector('#requests-scroll');
		sc.scrollTop = 3000;
		const tr = [...sc.querySelectorAll('tbody tr')].find(r => r.offsetTop >= sc.scrollTop);
		return [tr.dataset.key, tr.getBoundingClientRect().top];
	})()`)
	for range 5 {
		client{t, srv}.submit(map[string]any{"user_prompt": "more"}, "")
	}
	waitFor(t, ctx, "the new requests on top", fmt.Sprintf(`document.querySelector('#requests-table tbody tr').dataset.key === "%d"`, tasks+1+5))
	key, top := anchor[0].(string), anchor[1].(float64)
	moved := eval[float64](t, ctx, `document.querySelector('#requests-table tr[data-key="`+key+`"]').getBoundingClientRect().top - `+fmt.Sprint(top))
	if moved < -2 || moved > 2 {
		t.Errorf("the row the reader was on (request %s) moved by %.0fpx when new requests arrived", key, moved)
	}
	heap := eval[float64](t, ctx, `performance.memory ? performance.memory.usedJSHeapSize / 1048576 : 0`)
	t.Logf("page heap %.1f MiB", heap)
}

// submitIn creates a task in session (by its header) and returns its id.
func (c client) submitIn(session string, body map[string]any, prefer string) string {
	c.t.Helper()
	id, status := c.post(session, body, prefer)
	if status != http.StatusOK {
		c.t.Fatalf("submit in %s: status %d", session, status)
	}
	return id
}

// TestBrowserDashboardShowsSessions: the picker lists the sessions, default first; a session's page shows its
// tasks alone; its clock moves, stops and restarts from the page; its settings are edited there, an invalid
// one refused naming the field; Reset resets that session only.
func TestBrowserDashboardShowsSessions(t *testing.T) {
	ctx := browser(t)
	srv := mocktest.NewServer(t, mock.Options{})
	hook := mocktest.NewHookReceiver(t)
	c := client{t, srv}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("dashboard: %s", srv.UIURL())
		}
	})
	mine := c.submitIn(mock.DefaultSession, map[string]any{"user_prompt": "the default session's"}, "")
	a1 := c.submitIn("suite-a", map[string]any{"user_prompt": "suite a, one", "notify_hook": hook.URL}, "")
	a2 := c.submitIn("suite-a", map[string]any{"user_prompt": "suite a, two", "notify_hook": hook.URL}, "")
	c.submitIn("suite-b", map[string]any{"user_prompt": "suite b"}, "")

	run(t, ctx, chromedp.Navigate(srv.UIURL()))
	waitFor(t, ctx, "the picker, default first", `(() => { const o = [...document.querySelectorAll('#session option')].map(x => x.value);
		return o[0] === "default" && o.includes("suite-a") && o.includes("suite-b"); })()`)
	waitFor(t, ctx, "default's task alone", `document.querySelectorAll('#tasks-table tbody tr').length === 1 && `+rowText("tasks-table", mine)+` !== ""`)

	run(t, ctx, setValue(`#session`, "suite-a"))
	waitFor(t, ctx, "suite-a's two tasks alone", `document.querySelectorAll('#tasks-table tbody tr').length === 2 && `+
		rowText("tasks-table", a1)+` !== "" && `+rowText("tasks-table", a2)+` !== ""`)
	if !strings.Contains(eval[string](t, ctx, `location.hash`), "suite-a") {
		t.Errorf("the page's address does not name the session shown")
	}

	// The clock: advance 3 s (pending 2 s): suite-a's tasks are processing; the default session's is not.
	run(t, ctx, click(`#tab-session`))
	waitFor(t, ctx, "suite-a's clock", `document.querySelector('#clock-now').textContent === `+js(mocktest.Start.Format(time.RFC3339)))
	run(t, ctx, setValue(`#advance-by`, "3s"), click(`#clock-advance`))
	waitFor(t, ctx, "the clock 3 s later", `document.querySelector('#clock-now').textContent === `+js(mocktest.Start.Add(3*time.Second).Format(time.RFC3339)))
	ss, err := srv.Mock.Session("suite-a")
	if err != nil {
		t.Fatal(err)
	}
	if rec, _ := ss.Task(a1); rec.State != lumamock.StateProcessing {
		t.Errorf("suite-a's task after Advance 3s on the page: %s", rec.State)
	}
	if rec, _ := srv.Mock.Task(mine); rec.State != lumamock.StatePending {
		t.Errorf("the default session's task moved with suite-a's clock: %s", rec.State)
	}
	run(t, ctx, click(`#clock-freeze`))
	waitFor(t, ctx, "the clock frozen", `document.querySelector('#clock-state').textContent === "frozen" && document.querySelector('#clock-freeze').textContent === "Resume"`)
	if !ss.Frozen() {
		t.Error("Freeze on the page did not stop suite-a's clock")
	}
	run(t, ctx, click(`#clock-freeze`))
	waitFor(t, ctx, "the clock running", `document.querySelector('#clock-state').textContent === "running"`)

	// Settings: shown, saved, and an invalid one refused naming its field.
	waitFor(t, ctx, "the settings", `document.querySelector('#settings-form [name=pending]').value === "2s"`)
	shoot(t, ctx, "sessions")
	run(t, ctx, setValue(`#settings-form [name=outcome]`, "failed"),
		setValue(`#settings-form [name=late]`, "1s"), click(`#settings-save`))
	waitFor(t, ctx, "the settings saved", `document.querySelector('#settings-note').textContent === "saved"`)
	if st := ss.Settings(); st.Outcome != lumamock.StateFailed || st.Faults.Late != time.Second {
		t.Errorf("settings after Save: %+v", st)
	}
	run(t, ctx, setValue(`#settings-form [name=pending]`, "soon"), click(`#settings-save`))
	waitFor(t, ctx, "the refusal naming pending", `document.querySelector('#settings-form [name=pending]').classList.contains("bad") && document.querySelector('#toast').textContent.includes("/pending")`)
	if st := ss.Settings(); st.Pending != 2*time.Second {
		t.Errorf("an invalid setting changed them: %+v", st)
	}

	// Reset resets suite-a alone.
	run(t, ctx, click(`#tab-tasks`), click(`#reset`), click(`#reset`))
	waitFor(t, ctx, "suite-a emptied", `document.querySelectorAll('#tasks-table tbody tr').length === 0`)
	if n := len(ss.Tasks()); n != 0 {
		t.Errorf("suite-a keeps %d tasks after Reset on the page", n)
	}
	if n := len(srv.Mock.Tasks()); n != 1 {
		t.Errorf("the default session keeps %d tasks after suite-a's reset, want 1", n)
	}
}

// gate holds the next request that matches, once armed, until released, and counts the polls that start after
// the held one was answered: the page polls again only when a poll is done, so when the second one starts, the
// held answer and anything the poll after it asked for are on the page.
type gate struct {
	mu       sync.Mutex
	match    func(*http.Request) bool // armed when not nil
	held     chan struct{}
	release  chan struct{}
	answered bool
	after    chan struct{} // one send per poll started after the held answer
}

// startsPoll: the page asks for its session's requests journal once in every poll.
func startsPoll(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/requests")
}

// arm makes the next request match holds until release.
func (g *gate) arm(match func(*http.Request) bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.match, g.held, g.release, g.answered, g.after = match, make(chan struct{}), make(chan struct{}), false, make(chan struct{}, 2)
}

func (g *gate) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		hold := g.match != nil && g.match(r)
		held, release, after := g.held, g.release, g.after
		if hold {
			g.match = nil
		}
		if g.answered && startsPoll(r) {
			select {
			case after <- struct{}{}:
			default:
			}
		}
		g.mu.Unlock()
		if hold {
			close(held)
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		next.ServeHTTP(w, r)
		if hold {
			g.mu.Lock()
			g.answered = true
			g.mu.Unlock()
		}
	})
}

// waitHeld waits until a request is held; releaseAndSettle lets it go and waits until the page has taken its
// answer in.
func (g *gate) waitHeld(t *testing.T) {
	t.Helper()
	select {
	case <-g.held:
	case <-time.After(time.Minute):
		t.Fatal("the page never sent the request the test holds")
	}
}

func (g *gate) releaseAndSettle(t *testing.T) {
	t.Helper()
	close(g.release)
	for range 2 {
		select {
		case <-g.after:
		case <-time.After(time.Minute):
			t.Fatal("the page stopped polling after the held request")
		}
	}
}

// TestBrowserSettingsReadBackLeavesTheReadersEdit: a save reads the settings back; when that answer comes after
// the reader has changed the form again (here: a refused value, marked as such), it must not overwrite their
// edit nor clear the mark. The server holds a request until the refusal is on the page: the read-back itself,
// or the poll under way when the first save asked for one (so the read-back starts after the refusal).
func TestBrowserSettingsReadBackLeavesTheReadersEdit(t *testing.T) {
	for _, tc := range []struct {
		name string
		hold func(*http.Request) bool
	}{
		{"read-back under way", func(r *http.Request) bool {
			return r.Method == http.MethodGet && r.URL.Path == "/__mock/sessions/suite-a/settings"
		}},
		{"read-back after the refusal", func(r *http.Request) bool {
			return startsPoll(r)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := browser(t)
			m, err := mock.New(mock.Options{Clock: mock.NewManualClock(mocktest.Start), Seed: mocktest.Seed})
			if err != nil {
				t.Fatal(err)
			}
			var g gate
			ts := httptest.NewServer(g.wrap(m))
			t.Cleanup(func() { ts.Close(); m.Close() })
			c := client{t, &mocktest.Server{URL: ts.URL, Client: ts.Client(), Mock: m}}
			c.submitIn("suite-a", map[string]any{"user_prompt": "suite a"}, "")

			run(t, ctx, chromedp.Navigate(ts.URL+mock.UIPath+"#session=suite-a"), click(`#tab-session`))
			waitFor(t, ctx, "the settings", `document.querySelector('#settings-form [name=pending]').value === "2s"`)

			g.arm(tc.hold)
			if tc.name == "read-back after the refusal" {
				g.waitHeld(t) // a poll is under way: the save's own poll does nothing
			}
			run(t, ctx, setValue(`#settings-form [name=outcome]`, "failed"), click(`#settings-save`))
			waitFor(t, ctx, "the settings saved", `document.querySelector('#settings-note').textContent === "saved"`)
			g.waitHeld(t)
			run(t, ctx, setValue(`#settings-form [name=pending]`, "soon"), click(`#settings-save`))
			waitFor(t, ctx, "the refusal naming pending", `document.querySelector('#settings-form [name=pending]').classList.contains("bad") && document.querySelector('#toast').textContent.includes("/pending")`)
			g.releaseAndSettle(t)

			if v := eval[string](t, ctx, `document.querySelector('#settings-form [name=pending]').value`); v != "soon" {
				t.Errorf("a read-back overwrote the reader's edit: pending shows %q, want %q", v, "soon")
			}
			if !eval[bool](t, ctx, `document.querySelector('#settings-form [name=pending]').classList.contains("bad")`) {
				t.Error("a read-back cleared the mark on the refused field")
			}
			ss, err := m.Session("suite-a")
			if err != nil {
				t.Fatal(err)
			}
			if st := ss.Settings(); st.Outcome != lumamock.StateFailed {
				t.Errorf("the first save did not land: outcome %s", st.Outcome)
			}
		})
	}
}

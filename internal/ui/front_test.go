package ui_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

// Until the admin API first answers, the page says it is loading, not that there is nothing; its header then
// tells the time of the last answer as its tables do: 24-hour UTC.
func TestBrowserDashboardLoadsBeforeItSaysEmpty(t *testing.T) {
	ctx := browser(t)
	m, err := mock.New(mock.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	release := make(chan struct{})
	released := false
	open := func() {
		if !released {
			released = true
			close(release)
		}
	}
	t.Cleanup(open)
	// The journal and task reads wait until the test lets them through.
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/__mock/ui" && !strings.HasPrefix(r.URL.Path, "/__mock/ui/") && strings.HasPrefix(r.URL.Path, "/__mock/") {
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
		}
		m.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)

	run(t, ctx, chromedp.Navigate(ts.URL+mock.UIPath))
	waitFor(t, ctx, "the page's script at work", `document.querySelector('#live-text').textContent === "connecting…" && document.readyState === "complete"`)
	for _, id := range []string{"tasks-empty", "callbacks-empty", "requests-empty"} {
		if got := eval[string](t, ctx, `document.getElementById("`+id+`").textContent`); got != "loading…" {
			t.Errorf("#%s before the first answer reads %q, want %q", id, got, "loading…")
		}
	}
	open()
	waitFor(t, ctx, "the empty tasks table, once answered", `document.querySelector('#tasks-empty').textContent.startsWith("No tasks yet") && !document.querySelector('#tasks-empty').hidden`)
	waitFor(t, ctx, "the empty journals, once answered", `document.querySelector('#callbacks-empty').textContent.startsWith("No callbacks yet") && document.querySelector('#requests-empty').textContent.startsWith("No requests yet")`)
	waitFor(t, ctx, "the time of the last answer, 24-hour UTC", `/^live · \d\d:\d\d:\d\d UTC$/.test(document.querySelector('#live-text').textContent)`)
	if !eval[bool](t, ctx, `(() => {
		const h = Number(document.querySelector('#live-text').textContent.slice(7, 9)), now = new Date().getUTCHours();
		return h === now || (h + 1) % 24 === now;
	})()`) {
		t.Errorf("the header's time %q is not the UTC hour", eval[string](t, ctx, `document.querySelector('#live-text').textContent`))
	}
}

// A task failed at once with "Fail now" is drawn failed: its short pending time, then its forced end, not the
// pending bar of its plan.
func TestBrowserDashboardDrawsAForcedEndAsItHappened(t *testing.T) {
	ctx := browser(t)
	srv := mocktest.NewServer(t, mock.Options{})
	id, _ := client{t, srv}.submit(map[string]any{"user_prompt": "A long one"}, "pending=10m")
	run(t, ctx, chromedp.Navigate(srv.UIURL()))
	waitFor(t, ctx, "the task pending", rowState(id)+` === "pending"`)
	run(t, ctx, click(`#tasks-table tr[data-key="`+id+`"]`))
	waitFor(t, ctx, "the Fail now button", `(document.querySelector('#detail .id') || {}).textContent === `+js(id)+` && !document.querySelector('#task-fail').disabled`)
	srv.Advance(time.Second) // a second of the task's ten minutes pending
	run(t, ctx, click(`#task-fail`))
	waitFor(t, ctx, "the task failed", rowState(id)+` === "failed"`)

	share := func(where, state string) float64 {
		return eval[float64](t, ctx, `(() => {
			const bar = document.querySelector(`+js(where)+` + ' .bar');
			const w = [...bar.querySelectorAll('.seg.`+state+`')].reduce((n, s) => n + s.getBoundingClientRect().width, 0);
			return w / bar.getBoundingClientRect().width;
		})()`)
	}
	for _, where := range []string{`#tasks-table tr[data-key="` + id + `"]`, `#detail-timeline`} {
		if p := share(where, "pending"); p > 0.05 {
			t.Errorf("%s: pending takes %.0f%% of the bar of a task failed a second into its ten minutes pending", where, p*100)
		}
		if f := share(where, "failed"); f < 0.8 {
			t.Errorf("%s: failed takes %.0f%% of the bar of a task failed a second into its ten minutes pending, want most of it", where, f*100)
		}
		if n := eval[int](t, ctx, `document.querySelectorAll(`+js(where+` .bar .seg.processing`)+`).length`); n != 0 {
			t.Errorf("%s: the bar draws %d processing segments for a task that never processed", where, n)
		}
	}
	if text := eval[string](t, ctx, `document.querySelector('#tasks-table tr[data-key="`+id+`"] .tl-text').textContent`); !strings.Contains(text, "failed") || !strings.Contains(text, "forced") {
		t.Errorf("the timeline says %q, want it to say the task failed, forced", text)
	}
}

package ui_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

// TestBrowserDashboardShowsFaultsAndTheQueue: the tasks waiting for a slot (--capacity) show their place in the
// queue, which moves with the queue; the requests whose answer a fault broke, or the rate limit refused, say so
// in the list and in their detail.
func TestBrowserDashboardShowsFaultsAndTheQueue(t *testing.T) {
	ctx := browser(t)
	srv := mocktest.NewServer(t, mock.Options{Capacity: 1, Pending: mock.Immediate, Processing: time.Minute,
		RateLimit: mock.RateLimit{Requests: 5, Per: time.Minute}})
	c := client{t, srv}
	var ids []string
	for _, prompt := range []string{"first", "second", "third"} {
		id, _ := c.submit(map[string]any{"user_prompt": prompt}, "")
		ids = append(ids, id)
	}
	// A submission whose answer is cut short: its task exists, and the journal says which fault broke it.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+lumamock.PathGenerations, strings.NewReader(`{"user_prompt":"cut short"}`))
	req.Header.Set("Authorization", "Bearer test-key")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Prefer", "fault=truncated")
	if resp, err := srv.Client.Do(req); err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil {
			t.Fatal("the truncated answer was read whole")
		}
	}
	c.submit(map[string]any{"user_prompt": "fifth"}, "")
	if _, status := c.submit(map[string]any{"user_prompt": "sixth"}, ""); status != http.StatusTooManyRequests {
		t.Fatalf("the sixth submission: %d, want 429 from the rate limit", status)
	}

	queueMark := func(id string) string {
		return `((document.querySelector('#tasks-table tr[data-key=' + CSS.escape(` + js(id) + `) + '] .queue') || {}).textContent || "")`
	}
	run(t, ctx, chromedp.Navigate(srv.UIURL()))
	waitFor(t, ctx, "the waiting tasks' places", queueMark(ids[0])+` === "" && `+rowState(ids[0])+` === "processing" && `+
		queueMark(ids[1])+` === "#1" && `+queueMark(ids[2])+` === "#2"`)

	srv.Advance(time.Minute) // the first ends: the second takes its slot
	waitFor(t, ctx, "the queue moved", rowState(ids[1])+` === "processing" && `+queueMark(ids[1])+` === "" && `+queueMark(ids[2])+` === "#1"`)
	run(t, ctx, click(`#tasks-table tr[data-key="`+ids[2]+`"]`))
	waitFor(t, ctx, "the place in the detail", `(document.querySelector('#detail').textContent || "").includes("#1: waiting for a processing slot")`)

	run(t, ctx, click(`#tab-requests`))
	waitFor(t, ctx, "the broken and the refused answers", `(() => {
		const rows = [...document.querySelectorAll('#requests-table tbody tr')];
		return rows.some(r => r.querySelector('.fault') && r.querySelector('.fault').textContent === "truncated") &&
			rows.some(r => [...r.querySelectorAll('.fault')].some(f => f.textContent === "rate-limited") && r.textContent.includes("429"));
	})()`)
	run(t, ctx, chromedp.Poll[chromedp.Void](`(() => {
		const f = [...document.querySelectorAll('#requests-table tbody tr .fault')].find(f => f.textContent === "truncated");
		if (!f) return false;
		f.closest("tr").click();
		return true;
	})()`, chromedp.WithPollingInterval(50*time.Millisecond)))
	waitFor(t, ctx, "the fault in the detail", `(document.querySelector('#detail').textContent || "").includes("truncated: the answer's connection was broken")`)
	shoot(t, ctx, "faults")

	// The session's settings show its rate limit, capacity and API faults, and saving the form keeps them.
	run(t, ctx, click(`#tab-session`))
	waitFor(t, ctx, "the failure settings", `document.querySelector('#settings-form [name=rate_limit]').value === "5/m" && `+
		`document.querySelector('#settings-form [name=capacity]').value === "1" && document.querySelector('#settings-form [name=fault_api]').value === ""`)
	run(t, ctx, setValue(`#settings-form [name=fault_api]`, "503:5%, reset:1%"), click(`#settings-save`))
	waitFor(t, ctx, "the settings saved", `document.querySelector('#settings-note').textContent === "saved"`)
	st := srv.Mock.Default().Settings()
	if fmt.Sprint(st.APIFaults) != "[503:5% reset:1%]" || st.Capacity != 1 || st.RateLimit != (mock.RateLimit{Requests: 5, Per: time.Minute}) {
		t.Errorf("settings after Save: API faults %v, capacity %d, rate limit %v", st.APIFaults, st.Capacity, st.RateLimit)
	}
	run(t, ctx, setValue(`#settings-form [name=fault_api]`, "explode:5%"), click(`#settings-save`))
	waitFor(t, ctx, "the refusal naming fault_api", `document.querySelector('#settings-form [name=fault_api]').classList.contains("bad") && document.querySelector('#toast').textContent.includes("/fault_api")`)
}

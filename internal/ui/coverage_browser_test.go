package ui_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/internal/clientplay"
	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

// item is an expression reading whether the chip of coverage item name has class cls ("yes", "no").
func item(name, cls string) string {
	return `((document.querySelector('#coverage-matrix [data-item=' + CSS.escape(` + js(name) + `) + ']') || {classList: {contains: () => false}}).classList.contains(` + js(cls) + `))`
}

// TestBrowserCoveragePanel: the Coverage panel shows the matrix of covered and missing items and the findings,
// live, and explains each.
func TestBrowserCoveragePanel(t *testing.T) {
	ctx := browser(t)
	srv := mocktest.NewServer(t, mock.Options{})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("dashboard: %s", srv.UIURL())
		}
	})
	clientplay.EnvelopeOnly(t, srv)

	run(t, ctx, chromedp.Navigate(srv.UIURL()))
	waitFor(t, ctx, "the coverage on its tab", `document.querySelector('#count-coverage').textContent === "29.7%"`)
	run(t, ctx, click(`#tab-coverage`))
	waitFor(t, ctx, "the summary", `document.querySelector('#coverage-summary').textContent === "11 of 37 items covered (29.7%), 26 never"`)
	waitFor(t, ctx, "covered and missing items", item("createGeneration.status.200", "yes")+` && `+item("getGeneration.state.completed", "yes")+
		` && `+item("createGeneration.shape.luma", "no")+` && `+item("notifyGeneration.fault.drop", "no")+` && `+item("outcome.failed", "no"))
	waitFor(t, ctx, "no finding", `!document.querySelector('#findings-empty').hidden && document.querySelector('#count-findings').hidden`)

	// An item never covered says how to cover it.
	run(t, ctx, click(`[data-item="notifyGeneration.fault.drop"]`))
	waitFor(t, ctx, "the item's hint", `document.querySelector('#detail').textContent.includes("never covered") && document.querySelector('#detail').textContent.includes("Prefer: drop=processing")`)
	// A covered one names the first record that covered it, which opens.
	run(t, ctx, click(`[data-item="createGeneration.status.200"]`))
	waitFor(t, ctx, "the item's first record", `document.querySelector('#detail').textContent.includes("requests#1")`)
	run(t, ctx, click(`#detail a.mono`))
	waitFor(t, ctx, "the first request", `(document.querySelector('#detail h2') || {}).textContent === "200POST /luma/generations"`)

	// Live: a client polls too fast and ignores a Retry-After; the luma shape is met.
	run(t, ctx, click(`#tab-coverage`))
	c := clientplay.New(t, srv)
	id := c.Submit("", "schema=luma")
	for i := range 4 {
		prefer := ""
		if i == 1 {
			prefer = "code=429"
		}
		c.Poll(id, prefer)
		c.Wait(50 * time.Millisecond)
	}
	waitFor(t, ctx, "the luma shape covered", item("createGeneration.shape.luma", "yes")+` && `+item("getGeneration.status.429", "yes"))
	waitFor(t, ctx, "the findings", `(() => { const t = document.querySelector('#findings-table tbody').textContent;
		return t.includes("poll-too-fast") && t.includes("retry-after-ignored") && t.includes("`+id+`"); })()`)
	waitFor(t, ctx, "the findings on the tab", `!document.querySelector('#count-findings').hidden && document.querySelector('#findings-empty').hidden`)
	shoot(t, ctx, "coverage")

	// A finding shows the records that show it and what a well-behaved client does.
	run(t, ctx, click(`#findings-table tbody tr`))
	waitFor(t, ctx, "the finding's detail", `(() => { const d = document.querySelector('#detail').textContent;
		return d.includes("poll-too-fast") && d.includes("What shows it") && d.includes("requests#") && d.includes("Wait at least"); })()`)

	// Never covered only, then a reset of the coverage.
	run(t, ctx, click(`#coverage-missing`))
	waitFor(t, ctx, "only the items never covered", `!document.querySelector('#coverage-matrix .cov.yes') && !!document.querySelector('#coverage-matrix .cov.no')`)
	run(t, ctx, click(`#coverage-reset`))
	waitFor(t, ctx, "the coverage forgotten", `document.querySelector('#coverage-summary').textContent === "0 of 37 items covered (0%), 37 never"`)
	if rep := srv.Coverage(); rep.Covered != 0 || len(rep.Findings) != 0 {
		t.Errorf("after Reset coverage the mock still has %d covered, %d findings", rep.Covered, len(rep.Findings))
	}
	resp, err := srv.Client.Get(srv.URL + lumamock.PathGenerations + "/" + id)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a GET without a key: %d", resp.StatusCode)
	}
	waitFor(t, ctx, "a new answer counted", `document.querySelector('#coverage-summary').textContent === "1 of 37 items covered (2.7%), 36 never"`)

	// Another session's coverage is its own: pick it, and the panel shows it (every item again).
	run(t, ctx, click(`#coverage-missing`))
	other := clientplay.New(t, srv)
	other.Session = "suite-b"
	other.Submit("", "schema=luma")
	waitFor(t, ctx, "the session in the picker", `[...document.querySelectorAll('#session option')].some(o => o.value === "suite-b")`)
	eval[bool](t, ctx, `(() => { const s = document.querySelector('#session'); s.value = "suite-b"; s.dispatchEvent(new Event("change")); return true; })()`)
	waitFor(t, ctx, "the session's coverage", `document.querySelector('#coverage-summary').textContent === "2 of 37 items covered (5.4%), 35 never"`+
		` && `+item("createGeneration.shape.luma", "yes")+` && `+item("createGeneration.shape.envelope", "no"))
	if rep := srv.Coverage(); rep.Covered != 1 {
		t.Errorf("the session default: %d covered; suite-b's requests counted there?", rep.Covered)
	}
}

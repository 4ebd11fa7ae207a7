package mocktest_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lumamock/lumamock/internal/clientplay"
	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

// What a suite's client was exposed to: at the end of the suite, the coverage says what it never met, and
// RequireCoverage fails the suite below a percentage. In a real test, t is the *testing.T.
func ExampleRequireCoverage() {
	t := &exampleT{}
	defer t.cleanup()
	srv := mocktest.NewServer(t, mock.Options{})
	hook := mocktest.NewHookReceiver(t)

	body := `{"user_prompt": "A gust of wind blows through the woods", "notify_hook": "` + hook.URL + `"}`
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/luma/generations", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer test-key")
	resp, err := srv.Client.Do(req)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	resp.Body.Close()
	srv.Advance(7 * time.Second) // processing, then completed: both callbacks delivered

	rep := srv.Coverage()
	fmt.Println(rep.Summary())
	fmt.Println("never covered, among others:", rep.Missing[0], rep.Missing[len(rep.Missing)-1])

	// This suite means to cover only what its client handles: the statuses it was made to meet.
	mocktest.RequireCoverage(t, srv, 100, "*.status.4*", "*.status.5*", "*.luma", "*failed", "*.fault.*", "*.retry", "getGeneration.*")
	fmt.Println("required coverage met")

	// Output:
	// 6 of 37 items covered (16.2%); no client discipline finding
	// never covered, among others: createGeneration.status.400 outcome.failed
	// required coverage met
}

// fakeTB records what RequireCoverage fails with.
type fakeTB struct {
	exampleT
	failed string
}

func (t *fakeTB) Fatalf(format string, args ...any) { t.failed = fmt.Sprintf(format, args...) }

// TestRequireCoverage fails below the percentage, listing every item never covered with how to cover it, and
// passes at or above it; a bad ignore fails it too.
func TestRequireCoverage(t *testing.T) {
	envelope := mocktest.NewServer(t, mock.Options{})
	clientplay.EnvelopeOnly(t, envelope)
	tb := &fakeTB{}
	mocktest.RequireCoverage(tb, envelope, 100)
	for _, want := range []string{"coverage 11 of 37 items (29.7%), below 100%", "\n  createGeneration.shape.luma (Prefer: schema=luma)",
		"\n  notifyGeneration.fault.drop (Prefer: drop=processing on a submit with a notify_hook)", "\n  outcome.failed ("} {
		if !strings.Contains(tb.failed, want) {
			t.Errorf("RequireCoverage failed with:\n%s\nwant it to say %q", tb.failed, want)
		}
	}
	if n := strings.Count(tb.failed, "\n  "); n != 26 {
		t.Errorf("it lists %d items; 26 were never covered", n)
	}
	for _, min := range []float64{0, 29.7} {
		tb = &fakeTB{}
		if mocktest.RequireCoverage(tb, envelope, min); tb.failed != "" {
			t.Errorf("RequireCoverage(%v) failed: %s", min, tb.failed)
		}
	}
	tb = &fakeTB{}
	if mocktest.RequireCoverage(tb, envelope, 0, "no-such-item"); !strings.Contains(tb.failed, `"no-such-item" matches no item`) {
		t.Errorf("a bad ignore: %q", tb.failed)
	}

	everything := mocktest.NewServer(t, mock.Options{})
	clientplay.Everything(t, everything)
	tb = &fakeTB{}
	if mocktest.RequireCoverage(tb, everything, 100); tb.failed != "" {
		t.Errorf("a suite that covers everything: %s", tb.failed)
	}
}

// TestSessionCoverage: a test's own session has its own coverage, which RequireCoverage reads.
func TestSessionCoverage(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{})
	sess := srv.NewSession(t)
	c := clientplay.New(t, srv)
	c.Session = sess.Name
	c.Submit("", "schema=luma")
	if rep := sess.Coverage(); rep.Session != sess.Name || rep.Covered != 2 {
		t.Errorf("the session's coverage: %q, %d covered", rep.Session, rep.Covered)
	}
	if rep := srv.Coverage(); rep.Covered != 0 {
		t.Errorf("the session default counted %d items of another session", rep.Covered)
	}
	tb := &fakeTB{}
	if mocktest.RequireCoverage(tb, sess, 5); tb.failed != "" {
		t.Errorf("RequireCoverage(sess, 5): %s", tb.failed)
	}
	if mocktest.RequireCoverage(tb, sess, 6); !strings.Contains(tb.failed, "coverage 2 of 37 items (5.4%), below 6%") {
		t.Errorf("RequireCoverage(sess, 6): %q", tb.failed)
	}
}

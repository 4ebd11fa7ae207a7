package mock_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lumamock/lumamock/coverage"
	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

// sessionNames lists the sessions of reports, in order.
func sessionNames(reps []coverage.Report) []string {
	var names []string
	for _, r := range reps {
		names = append(names, r.Session)
	}
	return names
}

// TestCoveragesKeepDeletedAndEvictedSessions: the end-of-run coverage (Server.Coverages, what serve
// --coverage-out writes) still holds a session a client used once it is deleted (DELETE
// /__mock/sessions/NAME, as mocktest.NewSession does at the end of a test) or evicted past MaxSessions, as it
// stood then; the admin API no longer knows the session.
func TestCoveragesKeepDeletedAndEvictedSessions(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{MaxSessions: 3})
	c := sess{t, srv.URL, ""}
	c.create("", mock.HeaderSession, "s1")
	c.create("", mock.HeaderSession, "s2")
	c.want(http.StatusNotFound, http.MethodGet, "/luma/generations/nothing", "", mock.HeaderSession, "s2")
	var before coverage.Report
	strictDecode(t, c.want(http.StatusOK, http.MethodGet, "/__mock/sessions/s2/coverage", ""), &before)
	c.want(http.StatusNoContent, http.MethodDelete, "/__mock/sessions/s2", "")
	c.want(http.StatusNotFound, http.MethodGet, "/__mock/sessions/s2/coverage", "")
	c.create("", mock.HeaderSession, "s3")
	c.create("", mock.HeaderSession, "s4")
	c.create("", mock.HeaderSession, "s5") // past 3 sessions: the least recently used are evicted
	c.want(http.StatusNotFound, http.MethodGet, "/__mock/sessions/s1/coverage", "")
	reps := srv.Mock.Coverages()
	got := sessionNames(reps)
	for _, want := range []string{"s1", "s2", "s3", "s4", "s5"} {
		if !slices.Contains(got, want) {
			t.Errorf("Coverages holds sessions %v: %s is missing", got, want)
		}
	}
	for _, r := range reps {
		if r.Session != "s2" {
			continue
		}
		r.At, before.At = time.Time{}, time.Time{}
		got, _ := json.Marshal(r)
		want, _ := json.Marshal(before)
		if !bytes.Equal(got, want) {
			t.Errorf("the report of deleted s2:\n%s\nwant it as it was before its deletion:\n%s", got, want)
		}
	}
}

// TestRetiredCoveragesAreBounded: the reports kept of deleted sessions are the most recent MaxSessions, and
// remember together at most CoverageClients clients; each one given up to stay within that is logged.
func TestRetiredCoveragesAreBounded(t *testing.T) {
	logs := &countingHandler{msgs: map[string]int{}}
	srv := mocktest.NewServer(t, mock.Options{MaxSessions: 2, Logger: slog.New(logs)})
	c := sess{t, srv.URL, ""}
	for _, name := range []string{"r1", "r2", "r3", "r4", "r5"} {
		c.create("", mock.HeaderSession, name)
		c.want(http.StatusNoContent, http.MethodDelete, "/__mock/sessions/"+name, "")
	}
	if got := sessionNames(srv.Mock.Coverages()); !slices.Equal(got, []string{"r4", "r5"}) {
		t.Errorf("Coverages holds sessions %v, want the 2 most recently deleted [r4 r5]", got)
	}
	if got := logs.count(retiredDroppedLog); got != 3 || !strings.Contains(logs.text.String(), "session=r1") {
		t.Errorf("%d log lines %q, want 3, the first naming r1:\n%s", got, retiredDroppedLog, logs.text.String())
	}

	// Three clients in each of two sessions, four remembered at most: the older report goes.
	srv = mocktest.NewServer(t, mock.Options{MaxSessions: 10, CoverageClients: 4})
	c = sess{t, srv.URL, ""}
	for _, name := range []string{"c1", "c2"} {
		for _, key := range []string{"k1", "k2", "k3"} {
			c.create("", mock.HeaderSession, name, "Authorization", "Bearer "+key)
		}
		c.want(http.StatusNoContent, http.MethodDelete, "/__mock/sessions/"+name, "")
	}
	if got := sessionNames(srv.Mock.Coverages()); !slices.Equal(got, []string{"c2"}) {
		t.Errorf("Coverages holds sessions %v, want [c2]: c1 and c2 remember 6 clients, over 4", got)
	}
}

const retiredDroppedLog = "coverage of a deleted or evicted session dropped from the end-of-run report, to keep within its bound"

package mock_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
)

// adminLists are the admin API's list reads, which page alike.
var adminLists = []string{"/__mock/tasks", "/__mock/requests", "/__mock/callbacks"}

// TestAdminListsAcceptBeforeZero: before=0 is a non-negative integer, which the README accepts; the records
// numbered below 0 are none, so the answer is an empty page, with the bound headers of any page.
func TestAdminListsAcceptBeforeZero(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{})
	sixTasks(t, srv)
	for _, path := range adminLists {
		for _, query := range []string{"before=0", "before=0&limit=5", "before=00"} {
			t.Run(path+"?"+query, func(t *testing.T) {
				resp, err := srv.Client.Get(srv.URL + path + "?" + query)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != "[]" {
					t.Fatalf("status %d, body %s; want 200 and []", resp.StatusCode, body)
				}
				if path == "/__mock/tasks" {
					if got := resp.Header.Get(mock.HeaderTotalCount); got != "6" {
						t.Errorf("%s: %q, want 6", mock.HeaderTotalCount, got)
					}
				} else if resp.Header.Get("X-Lumamock-Last-Seq") == "" {
					t.Errorf("no X-Lumamock-Last-Seq")
				}
			})
		}
	}
}

// TestAdminListsRefuseRepeatedParameters: a parameter given twice had only its first value read, so
// limit=5&limit=abc answered 200. Each of these is refused with a 400 naming it, whatever the values.
func TestAdminListsRefuseRepeatedParameters(t *testing.T) {
	srv := mocktest.NewServer(t, mock.Options{})
	sixTasks(t, srv)
	tests := []struct {
		paths []string
		query string
		name  string
	}{
		{adminLists, "limit=5&limit=abc", "limit"},
		{adminLists, "limit=5&limit=5", "limit"},
		{adminLists, "since=1&since=x", "since"},
		{adminLists, "before=9&before=1", "before"},
		{[]string{"/__mock/tasks"}, "id=a&id=b", "id"},
		{[]string{"/__mock/requests", "/__mock/callbacks"}, "task_id=a&task_id=b", "task_id"},
		{[]string{"/__mock/requests"}, "valid=true&valid=maybe", "valid"},
	}
	for _, tt := range tests {
		for _, path := range tt.paths {
			t.Run(path+"?"+tt.query, func(t *testing.T) {
				resp, err := srv.Client.Get(srv.URL + path + "?" + tt.query)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var body struct{ Error string }
				_ = json.NewDecoder(resp.Body).Decode(&body)
				if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body.Error, "parameter "+tt.name+":") {
					t.Errorf("status %d, error %q; want 400 naming %s", resp.StatusCode, body.Error, tt.name)
				}
			})
		}
	}
	// state may be repeated: each value adds states.
	resp, err := srv.Client.Get(srv.URL + "/__mock/tasks?state=pending&state=failed")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("state repeated: status %d, want 200", resp.StatusCode)
	}
}

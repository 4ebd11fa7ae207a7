package ui_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lumamock/lumamock/internal/ui"
	"github.com/lumamock/lumamock/mock"
	"github.com/lumamock/lumamock/mock/mocktest"
	"github.com/lumamock/lumamock/proxy"
)

func TestHandlerServesThePageWithAStrictPolicy(t *testing.T) {
	ts := httptest.NewServer(ui.Handler(ui.Config{Server: "mock", Tasks: true}))
	t.Cleanup(ts.Close)
	tests := []struct {
		method, path string
		wantStatus   int
		wantType     string
		wantBody     string
	}{
		{method: http.MethodGet, path: "/__mock/ui", wantStatus: 200, wantType: "text/html; charset=utf-8", wantBody: `<script src="ui/app.js" defer></script>`},
		{method: http.MethodGet, path: "/__mock/ui/app.js", wantStatus: 200, wantType: "text/javascript; charset=utf-8", wantBody: "textContent"},
		{method: http.MethodGet, path: "/__mock/ui/app.css", wantStatus: 200, wantType: "text/css; charset=utf-8", wantBody: ":root"},
		{method: http.MethodGet, path: "/__mock/ui/icon.svg", wantStatus: 200, wantType: "image/svg+xml", wantBody: "<svg"},
		{method: http.MethodGet, path: "/__mock/ui/config.json", wantStatus: 200, wantType: "application/json", wantBody: `{"server":"mock","tasks":true,"token":false}`},
		{method: http.MethodHead, path: "/__mock/ui", wantStatus: 200, wantType: "text/html; charset=utf-8"},
		{method: http.MethodGet, path: "/__mock/ui/", wantStatus: http.StatusMovedPermanently},
		{method: http.MethodGet, path: "/__mock/ui/index.html", wantStatus: 404, wantType: "application/json", wantBody: "the dashboard is at /__mock/ui"},
		{method: http.MethodPost, path: "/__mock/ui", wantStatus: 405, wantType: "application/json", wantBody: "allowed: GET, HEAD"},
	}
	client := ts.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, ts.URL+tt.path, nil)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d (%s)", resp.StatusCode, tt.wantStatus, body)
			}
			if got := resp.Header.Get("Content-Type"); tt.wantType != "" && got != tt.wantType {
				t.Errorf("Content-Type %q, want %q", got, tt.wantType)
			}
			if !strings.Contains(string(body), tt.wantBody) {
				t.Errorf("body does not contain %q:\n%.300s", tt.wantBody, body)
			}
			csp := resp.Header.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
				}
			}
			if strings.Contains(csp, "unsafe") {
				t.Errorf("Content-Security-Policy %q allows unsafe sources", csp)
			}
			if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options %q, want nosniff", got)
			}
		})
	}
}

// TestPageHasNoInlineCodeNorOutsideLoads keeps the page within its policy: no inline script or style, no
// handler attributes, and nothing loaded from another origin.
func TestPageHasNoInlineCodeNorOutsideLoads(t *testing.T) {
	ts := httptest.NewServer(ui.Handler(ui.Config{}))
	t.Cleanup(ts.Close)
	for _, path := range []string{"/__mock/ui", "/__mock/ui/app.js", "/__mock/ui/app.css"} {
		resp, err := ts.Client().Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, bad := range []*regexp.Regexp{
			regexp.MustCompile(`<script>|<script [^>]*>[^<]`), // inline script
			regexp.MustCompile(`<style|\sstyle="`),            // inline style
			regexp.MustCompile(`\son[a-z]+="`),                // handler attributes
			regexp.MustCompile(`(src|href)="(https?:)?//`),    // outside loads
			regexp.MustCompile(`@import|url\(\s*["']?(https?:)?//`),
			regexp.MustCompile(`\.innerHTML\s*=|insertAdjacentHTML|document\.write|eval\(`), // markup from data
		} {
			if m := bad.Find(body); m != nil {
				t.Errorf("%s has %q (%s)", path, m, bad)
			}
		}
	}
}

func TestDashboardOnTheServers(t *testing.T) {
	m := mocktest.NewServer(t, mock.Options{AdminToken: "adm"})
	p, err := proxy.New(proxy.Options{Upstream: m.URL, AdminToken: "adm"})
	if err != nil {
		t.Fatal(err)
	}
	ps := httptest.NewServer(p)
	t.Cleanup(ps.Close)
	tests := []struct {
		name       string
		url        string
		host       string
		wantStatus int
		wantConfig map[string]any
	}{
		{name: "mock: the page needs no token", url: m.UIURL(), wantStatus: 200},
		{name: "mock: config", url: m.UIURL() + "/config.json", wantStatus: 200, wantConfig: map[string]any{"server": "mock", "tasks": true, "coverage": true, "sessions": true, "token": true}},
		{name: "mock: a foreign Host is refused", url: m.UIURL(), host: "evil.example", wantStatus: 403},
		{name: "mock: the admin API still needs the token", url: m.URL + "/__mock/tasks?limit=1", wantStatus: 401},
		{name: "proxy: the page", url: ps.URL + ui.Path, wantStatus: 200},
		{name: "proxy: config says no tasks", url: ps.URL + ui.Path + "/config.json", wantStatus: 200, wantConfig: map[string]any{"server": "proxy", "tasks": false, "token": true}},
		{name: "proxy: a foreign Host is refused", url: ps.URL + ui.Path, host: "evil.example", wantStatus: 403},
		{name: "proxy: the journal still needs the token", url: ps.URL + "/__mock/requests?limit=1", wantStatus: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, tt.url, nil)
			if tt.host != "" {
				req.Host = tt.host
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if tt.wantConfig != nil {
				var got map[string]any
				if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
					t.Fatal(err)
				}
				delete(got, "version")
				if diff := cmp.Diff(tt.wantConfig, got); diff != "" {
					t.Errorf("config (-want +got):\n%s", diff)
				}
			}
		})
	}
}

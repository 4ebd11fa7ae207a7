// Package ui is the dashboard that lumamock's servers (the mock and the proxy) serve at /__mock/ui: one page,
// plain HTML, CSS and JavaScript embedded in the binary, that reads the admin API and updates itself by polling
// it. It loads nothing from anywhere but the server that serves it.
package ui

import (
	"embed"
	"encoding/json"
	"net/http"
	"strings"
)

// Path is where the page lives; its assets and config.json are under Path + "/".
const Path = "/__mock/ui"

//go:embed assets
var assets embed.FS

// contentSecurityPolicy lets the page run only its own script and style, talk only to its own server, and be
// framed by no one. Data shown on the page is set as text, never as markup.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Config tells the page what the server serving it has. It is answered at Path + "/config.json".
type Config struct {
	// Server is "mock" or "proxy".
	Server string `json:"server"`
	// Tasks is true when the server keeps tasks (GET /__mock/tasks and the complete, fail actions); the proxy
	// has none, and the page hides its Tasks panel.
	Tasks bool `json:"tasks"`
	// Coverage is true when the server measures coverage (GET /__mock/coverage, the mock): the page shows its
	// Coverage panel.
	Coverage bool `json:"coverage,omitempty"`
	// Sessions is true when the server has sessions (the mock): the page shows a session picker, and the
	// chosen session's tasks, journals, settings and clock.
	Sessions bool `json:"sessions,omitempty"`
	// Token is true when the admin API asks for a bearer token (--admin-token): the page asks for it once and
	// keeps it for the browser tab's session.
	Token bool `json:"token"`
	// Version is the server's version.
	Version string `json:"version,omitempty"`
}

// files maps what the page asks for under Path to its embedded file and content type.
var files = map[string]struct{ name, contentType string }{
	"":          {"assets/index.html", "text/html; charset=utf-8"},
	"/app.js":   {"assets/app.js", "text/javascript; charset=utf-8"},
	"/app.css":  {"assets/app.css", "text/css; charset=utf-8"},
	"/icon.svg": {"assets/icon.svg", "image/svg+xml"},
}

// Match reports whether path is the page's or one of its assets'.
func Match(path string) bool { return path == Path || strings.HasPrefix(path, Path+"/") }

// Handler serves the page, its assets and cfg at Path. It checks nothing itself: the servers put it behind their
// admin guard's Host and Origin checks, without the token (the page carries no data; the token guards the
// admin reads the page makes).
func Handler(cfg Config) http.Handler {
	config, err := json.Marshal(cfg)
	if err != nil {
		panic(err) // a Config always marshals
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			writeError(w, http.StatusMethodNotAllowed, r.Method+" is not allowed on "+r.URL.Path+"; allowed: GET, HEAD")
			return
		}
		rest := strings.TrimPrefix(r.URL.Path, Path)
		if rest == "/" {
			http.Redirect(w, r, Path, http.StatusMovedPermanently)
			return
		}
		if rest == "/config.json" {
			h.Set("Content-Type", "application/json")
			_, _ = w.Write(config)
			return
		}
		f, ok := files[rest]
		if !ok {
			writeError(w, http.StatusNotFound, "no dashboard file at "+r.URL.Path+"; the dashboard is at "+Path)
			return
		}
		body, err := assets.ReadFile(f.name)
		if err != nil {
			writeError(w, http.StatusInternalServerError, err.Error())
			return
		}
		h.Set("Content-Type", f.contentType)
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(body)
	})
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

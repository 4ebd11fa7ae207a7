package mock

import (
	"net/http"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/internal/adminguard"
	"github.com/lumamock/lumamock/internal/ui"
)

// UIPath is where the mock serves its dashboard: a page that shows its tasks (with their timelines and the
// buttons to complete or fail them), callback attempts and requests, refused ones with their violations, and
// updates itself. It reads the admin API, so an admin token, when set, is asked for on the page.
const UIPath = ui.Path

// uiHandler serves the dashboard, behind the admin guard's Host and Origin checks but not its token.
func (s *Server) uiHandler() http.Handler {
	return adminguard.Guard{}.Wrap(ui.Handler(ui.Config{Server: "mock", Tasks: true, Token: s.opts.AdminToken != "", Version: lumamock.Version}))
}

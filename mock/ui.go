package mock

import "github.com/lumamock/lumamock/internal/ui"

// UIPath is where the mock serves its dashboard: a page that shows its tasks (with their timelines and the
// buttons to complete or fail them), callback attempts and requests, refused ones with their violations, and
// updates itself. It reads the admin API, so an admin token, when set, is asked for on the page.
const UIPath = ui.Path

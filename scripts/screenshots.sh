#!/usr/bin/env bash
# Regenerates the dashboard screenshots of docs/dashboard.md (docs/ui-*.png) from the browser tests, in headless
# Chromium (Debian: apt-get install chromium; or set LUMAMOCK_CHROMIUM to a Chrome or Chromium binary).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p docs
LUMAMOCK_BROWSER_TESTS=1 go test ./internal/ui -run 'TestBrowser(Dashboard(FollowsTheMock|OfTheProxyHasNoTasks|ShowsSessions|ShowsFaultsAndTheQueue)|CoveragePanel)$' -count=1 -v \
  -args -screenshots "$PWD/docs" | grep -E '^(---|ok|FAIL)|wrote '
ls -l docs/ui-*.png

package check

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/lumamock/lumamock"
	"github.com/lumamock/lumamock/internal/redact"
)

// WriteDryRun prints every request Run would send for cfg, without sending any: method, URL, headers (the key
// redacted) and body, and for billable cases the polling that follows.
func WriteDryRun(w io.Writer, cfg Config) error {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return redactErr(err, []string{cfg.APIKey})
	}
	run, skipped, err := Plan(cfg)
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# lumamock check --dry-run: %d requests to %s, %d billable cases skipped; nothing is sent\n", len(run), redact.URL(cfg.BaseURL), len(skipped))
	for _, c := range run {
		req, err := c.NewRequest(context.Background(), cfg.BaseURL, redact.Placeholder) // never sent
		if err != nil {
			return redactErr(err, []string{cfg.APIKey})
		}
		kind := "free"
		if c.Billable {
			kind = "BILLABLE: creates a real task"
		} else if c.Negative {
			kind = "free: a correct API rejects it with " + joinInts(c.Expect)
		}
		fmt.Fprintf(&b, "\n### %s — %s (%s)\n", c.Name, c.Description, kind)
		fmt.Fprintf(&b, "# expects %s (documented: %s); checks: %s\n", joinInts(c.Expect), strings.Trim(fmt.Sprint(c.Allowed), "[]"), strings.Join(c.Checks, ", "))
		fmt.Fprintf(&b, "%s %s\n", req.Method, req.URL)
		writeHeaders(&b, req.Header)
		if c.Body != nil {
			body := c.Body
			if c.Follow && cfg.HookListen != "" {
				// The body as Run sends it: with the listener's URL for this case (the address as given: a
				// port 0 is only chosen when the run listens).
				base := cfg.HookURL
				if base == "" {
					base = "http://" + cfg.HookListen
				}
				var v map[string]any
				if err := jsonUnmarshal(c.Body, &v); err != nil {
					return err
				}
				v[lumamock.FieldNotifyHook] = caseHook(base, c.Name)
				body = marshal(v)
			}
			fmt.Fprintf(&b, "\n%s\n", body)
		}
		if c.Follow {
			fmt.Fprintf(&b, "# then GET %s%s with the created task id, every %s growing to %s, until a terminal state or %s\n",
				strings.TrimSuffix(redact.URL(cfg.BaseURL), "/"), "/luma/generations/{task_id}", cfg.PollInterval, 10*cfg.PollInterval, cfg.PollDeadline)
		}
	}
	for _, c := range skipped {
		fmt.Fprintf(&b, "\n# skipped %s (billable; allow with --billable N)\n", c.Name)
	}
	_, err = io.WriteString(w, redact.Text(b.String(), cfg.APIKey))
	return err
}

func writeHeaders(b *strings.Builder, h http.Header) {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range h[k] {
			fmt.Fprintf(b, "%s: %s\n", k, v)
		}
	}
}

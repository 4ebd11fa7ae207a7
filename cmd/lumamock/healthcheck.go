package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// healthcheckConfig is what "lumamock healthcheck" is told by its flags and LUMAMOCK_* variables.
type healthcheckConfig struct {
	url     string
	addr    string
	timeout time.Duration
}

func newHealthcheckFlags(stderr io.Writer) (*flag.FlagSet, *healthcheckConfig) {
	c := &healthcheckConfig{}
	fs := flag.NewFlagSet("lumamock healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.url, "url", "", "the `URL` to GET (default: /healthz at --addr)")
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "`address` the server listens on, as given to serve --addr (read from LUMAMOCK_ADDR like serve's); 0.0.0.0 and :: mean this host")
	fs.DurationVar(&c.timeout, "timeout", 3*time.Second, "give up after this long")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: lumamock healthcheck [flags]

GETs /healthz of a running "lumamock serve" or "lumamock proxy" and exits 0 when it answers 200, 1
otherwise. Meant for container health checks, where no curl is at hand.

Flags:
`)
		fs.PrintDefaults()
	}
	return fs, c
}

// runHealthcheck runs "lumamock healthcheck": nil when the server answered 200, an error (exit status 1)
// otherwise.
func runHealthcheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, c := newHealthcheckFlags(stderr)
	if done, err := parseFlags(fs, args, stdout); done || err != nil {
		return err
	}
	target, err := c.target()
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return &ExitError{Code: 2, Err: fmt.Errorf("healthcheck: %w", err)}
	}
	client := &http.Client{Transport: &http.Transport{Proxy: nil}} // straight to the server, whatever HTTP_PROXY says
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: GET %s: %s", target, resp.Status)
	}
	fmt.Fprintf(stdout, "ok: GET %s: %s\n", target, resp.Status)
	return nil
}

// target is the URL to check: --url, or /healthz at --addr with an unspecified host read as loopback.
func (c *healthcheckConfig) target() (string, error) {
	if c.url != "" {
		u, err := url.Parse(c.url)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "", fmt.Errorf("--url %q: want an http(s) URL", c.url)
		}
		return c.url, nil
	}
	host, port, err := net.SplitHostPort(c.addr)
	if err != nil {
		return "", fmt.Errorf("--addr %q: %w", c.addr, err)
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz", nil
}

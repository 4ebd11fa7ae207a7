package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"
)

// listen listens on addr for serve and proxy. When the address is taken, it asks /healthz there what holds it,
// so that a lumamock left running (a go run killed without its child) is named as such.
func listen(ctx context.Context, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		return ln, nil
	}
	if errors.Is(err, syscall.EADDRINUSE) {
		if version, ok := lumamockAt(ctx, addr); ok {
			who := "a lumamock"
			if version != "" {
				who += " (version " + version + ")"
			}
			return nil, fmt.Errorf("%s is already listening on %s — stop it, or use --addr", who, addr)
		}
	}
	return nil, fmt.Errorf("listen: %w", err)
}

// lumamockAt reports whether a lumamock answers /healthz at addr, and its version when it says it.
func lumamockAt(ctx context.Context, addr string) (version string, ok bool) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", false
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
	if err != nil {
		return "", false
	}
	client := &http.Client{Transport: &http.Transport{Proxy: nil}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		return "", false
	}
	defer resp.Body.Close()
	var health struct {
		Status  string `json:"status"`
		Version string `json:"version"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 4<<10)).Decode(&health) != nil || health.Status != "ok" {
		return "", false
	}
	return health.Version, true
}

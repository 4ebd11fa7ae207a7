package main

import (
	"context"
	"errors"
	"io"
)

// runProxy runs "lumamock proxy".
func runProxy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return &ExitError{Code: 2, Err: errors.New("proxy: not available yet")}
}

package main

import (
	"context"
	"errors"
	"io"
)

// runServe runs "lumamock serve".
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return &ExitError{Code: 2, Err: errors.New("serve: not available yet")}
}

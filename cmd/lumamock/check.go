package main

import (
	"context"
	"errors"
	"io"
)

// runCheck runs "lumamock check". It is being built in the contract package.
func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return &ExitError{Code: 2, Err: errors.New("check: not available yet")}
}

package diff

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"time"
)

// gitTimeout bounds one git command.
const gitTimeout = 10 * time.Second

// gitRef is what a REF of REF:PATH may be: a branch, tag or commit name with the ~N, ^N and @{...} suffixes
// git knows, nothing that could read as an option, and no "..", which would be a range.
var gitRef = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._/+-]*(?:[~^][0-9]*|@\{[A-Za-z0-9 .:+-]+\})*$`)

// gitSpec splits REF:PATH. ok is false when arg is not of that form or REF is not a revision name git could
// mean (options, ranges, spaces and control characters are refused here, before any git command runs).
func gitSpec(arg string) (ref, path string, ok bool) {
	ref, path, found := strings.Cut(arg, ":")
	if !found || ref == "" || path == "" {
		return "", "", false
	}
	if !gitRef.MatchString(ref) || strings.Contains(ref, "..") || strings.HasSuffix(ref, ".lock") || strings.HasSuffix(ref, "/") {
		return "", "", false
	}
	if strings.ContainsAny(path, "\x00\n\r") {
		return "", "", false
	}
	return ref, path, true
}

// gitShow returns the blob at PATH in REF from the repository of the current directory. git runs with no
// shell, no pager and no text conversion filter, its output capped at MaxDocumentSize.
func gitShow(ctx context.Context, ref, path string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, gitTimeout)
	defer cancel()
	if _, err := runGit(ctx, "rev-parse", "--verify", "--quiet", "--end-of-options", ref+"^{commit}"); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return nil, fmt.Errorf("git: no commit %q in this repository", ref)
		}
		return nil, err
	}
	data, err := runGit(ctx, "cat-file", "blob", ref+":"+path)
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return nil, fmt.Errorf("git: no file %q at %s (paths are from the repository's root; ./PATH is from the current directory)", path, ref)
		}
		return nil, err
	}
	return data, nil
}

// runGit runs git with args and returns its standard output, at most MaxDocumentSize bytes.
func runGit(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"--no-pager", "-c", "core.fsmonitor=false"}, args...)...)
	cmd.Env = append(cmd.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_OPTIONAL_LOCKS=0")
	var stderr bytes.Buffer
	out := &cappedBuffer{max: MaxDocumentSize}
	cmd.Stdout, cmd.Stderr = out, &limitedWriter{w: &stderr, n: 4096}
	err := cmd.Run()
	if out.over {
		return nil, fmt.Errorf("larger than %d MiB, not read", MaxDocumentSize>>20)
	}
	if errors.Is(err, exec.ErrNotFound) {
		return nil, errors.New("git is not installed: REF:PATH needs it")
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("git %s: %w", args[0], ctx.Err())
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) && strings.Contains(stderr.String(), "not a git repository") {
		return nil, errors.New("git: the current directory is not in a git repository")
	}
	return out.Bytes(), err
}

// cappedBuffer keeps at most max bytes and then fails the write, which ends the command.
type cappedBuffer struct {
	bytes.Buffer
	max  int
	over bool
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > b.max {
		b.over = true
		return 0, errors.New("output too large")
	}
	return b.Buffer.Write(p)
}

// limitedWriter keeps the first n bytes and discards the rest.
type limitedWriter struct {
	w *bytes.Buffer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if keep := min(len(p), l.n-l.w.Len()); keep > 0 {
		l.w.Write(p[:keep])
	}
	return len(p), nil
}

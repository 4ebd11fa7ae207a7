package check

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/lumamock/lumamock/contract"
)

// Baseline is a set of accepted finding ids: known drift that does not fail a run.
type Baseline map[string]bool

// Has reports whether id is accepted.
func (b Baseline) Has(id string) bool { return b[id] }

// ReadBaseline reads a baseline file: a JSON report of a previous run (every finding in it is accepted), a JSON
// array of ids, or text with one id per line (blank lines and lines starting with # are ignored).
func ReadBaseline(path string) (Baseline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("check: baseline: %w", err)
	}
	return ParseBaseline(data)
}

// ParseBaseline parses the contents of a baseline file (see ReadBaseline).
func ParseBaseline(data []byte) (Baseline, error) {
	b := Baseline{}
	trimmed := bytes.TrimSpace(data)
	switch {
	case bytes.HasPrefix(trimmed, []byte("{")):
		var report struct {
			Findings []contract.Finding `json:"findings"`
		}
		if err := json.Unmarshal(trimmed, &report); err != nil {
			return nil, fmt.Errorf("check: baseline: %w", err)
		}
		for _, f := range report.Findings {
			b[f.ID] = true
		}
	case bytes.HasPrefix(trimmed, []byte("[")):
		var ids []string
		if err := json.Unmarshal(trimmed, &ids); err != nil {
			return nil, fmt.Errorf("check: baseline: %w", err)
		}
		for _, id := range ids {
			b[id] = true
		}
	default:
		sc := bufio.NewScanner(bytes.NewReader(trimmed))
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line != "" && !strings.HasPrefix(line, "#") {
				b[line] = true
			}
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("check: baseline: %w", err)
		}
	}
	return b, nil
}

func jsonUnmarshal(data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("check: %w", err)
	}
	return nil
}

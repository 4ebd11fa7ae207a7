package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// envPrefix prefixes the environment variable that backs each flag: --max-body reads LUMAMOCK_MAX_BODY.
const envPrefix = "LUMAMOCK_"

// envName is the environment variable behind flag name.
func envName(name string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// applyEnv sets every flag of fs that the command line left unset from its LUMAMOCK_* variable. Repeatable
// flags take a comma-separated list.
func applyEnv(fs *flag.FlagSet, lookup func(string) (string, bool)) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || err != nil {
			return
		}
		value, ok := lookup(envName(f.Name))
		if !ok {
			return
		}
		values := []string{value}
		if _, ok := f.Value.(repeatable); ok {
			values = strings.Split(value, ",")
		}
		for _, v := range values {
			if e := fs.Set(f.Name, strings.TrimSpace(v)); e != nil {
				err = fmt.Errorf("%s=%q: %w%s", envName(f.Name), value, e, wanted(f))
				return
			}
		}
	})
	return err
}

// parseFlags parses args into fs, then fills the flags left unset from their LUMAMOCK_* variables. Every command
// takes --version. done is true when --help or --version was asked for (and answered on stdout or fs's
// output); err is an *ExitError with code 2 for bad flags or arguments.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) (done bool, err error) {
	version := fs.Bool("version", false, "print the version and exit")
	if !asksForHelp(args) {
		// A bad flag gets its one-line reason and a pointer to --help, not the whole usage after it.
		full := fs.Usage
		fs.Usage = func() {
			fmt.Fprintf(fs.Output(), "Run %q for the flags.\n", fs.Name()+" --help")
		}
		defer func() { fs.Usage = full }()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return true, nil
		}
		return false, &ExitError{Code: 2, Err: errReported} // the flag package printed why
	}
	if *version {
		fmt.Fprintln(stdout, versionString())
		return true, nil
	}
	command := strings.TrimPrefix(fs.Name(), "lumamock ")
	if fs.NArg() > 0 {
		return false, &ExitError{Code: 2, Err: fmt.Errorf("%s: unexpected argument %q (flags start with -; see lumamock %s --help)", command, fs.Arg(0), command)}
	}
	if err := applyEnv(fs, lookupEnv); err != nil {
		return false, &ExitError{Code: 2, Err: fmt.Errorf("%s: %w", command, err)}
	}
	return false, nil
}

// repeatable is a flag that may be given more than once; its LUMAMOCK_* variable takes a comma-separated list.
type repeatable interface {
	flag.Value
	repeatable()
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) repeatable() {}

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(v string) error {
	if v == "" {
		return fmt.Errorf("empty value")
	}
	*l = append(*l, v)
	return nil
}

// byteSize is a size flag: 20MiB, 512KiB, 1MB, 1048576.
type byteSize int64

func (b *byteSize) String() string { return formatBytes(int64(*b)) }

func (b *byteSize) Set(s string) error {
	n, err := parseBytes(s)
	if err != nil {
		return err
	}
	*b = byteSize(n)
	return nil
}

var byteUnits = []struct {
	suffix string
	size   int64
}{
	{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10},
	{"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1},
}

func parseBytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range byteUnits {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.size
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (1<<40)/mult {
		return 0, fmt.Errorf("%q is not a size such as 20MiB or 1048576", s)
	}
	return n * mult, nil
}

func formatBytes(n int64) string {
	for _, u := range byteUnits[:3] {
		if n >= u.size && n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

// lookupEnv is os.LookupEnv; tests replace it.
var lookupEnv = os.LookupEnv

// wanted says what kind of value flag f takes, for an error message: the flag package says only "parse error"
// of a bad duration, number or boolean.
func wanted(f *flag.Flag) string {
	getter, ok := f.Value.(flag.Getter)
	if !ok {
		return ""
	}
	switch getter.Get().(type) {
	case time.Duration:
		return " (want a duration such as 500ms, 2s or 1m)"
	case bool:
		return " (want true or false)"
	case int, int64, uint, uint64:
		return " (want a whole number)"
	case float64:
		return " (want a number)"
	}
	return ""
}

// asksForHelp reports whether args hold -h or -help (with one dash or two) before the end of the flags.
func asksForHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "--h", "-help", "--help":
			return true
		}
	}
	return false
}

// Package defaults fills the zero values of option structs, one way for every package: a bound that is not
// positive takes its default.
package defaults

import "time"

// Positive sets *v to def unless *v is positive: the zero value (or a negative one) of a size, count or
// duration option means its default.
func Positive[T int | int64 | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

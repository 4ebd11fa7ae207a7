//go:build race

package mock_test

// raceDetector reports whether the tests run under the race detector, which makes the memory tests' JSON work
// ten times slower and adds nothing to what they measure.
const raceDetector = true

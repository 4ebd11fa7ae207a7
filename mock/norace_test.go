//go:build !race

package mock_test

// raceDetector reports whether the tests run under the race detector (see race_test.go).
const raceDetector = false

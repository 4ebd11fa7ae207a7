package defaults

import (
	"testing"
	"time"
)

func TestPositive(t *testing.T) {
	for _, tt := range []struct{ in, want time.Duration }{{0, time.Second}, {-1, time.Second}, {1, 1}, {time.Minute, time.Minute}} {
		v := tt.in
		Positive(&v, time.Second)
		if v != tt.want {
			t.Errorf("Positive(%s) = %s, want %s", tt.in, v, tt.want)
		}
	}
	n := int64(0)
	if Positive(&n, 7); n != 7 {
		t.Errorf("Positive(int64 0) = %d, want 7", n)
	}
}

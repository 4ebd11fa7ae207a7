package mock

import (
	"regexp"
	"testing"
)

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestFakerIDsAreDeterministicUUIDv4(t *testing.T) {
	a, b := newFaker(7), newFaker(7)
	seen := map[string]bool{}
	for range 1000 {
		id, seed := a.task()
		id2, seed2 := b.task()
		if id != id2 || seed != seed2 {
			t.Fatalf("same seed, different values: %s/%d vs %s/%d", id, seed, id2, seed2)
		}
		if !uuidV4.MatchString(id) {
			t.Fatalf("%q is not a version 4 UUID", id)
		}
		if seen[id] {
			t.Fatalf("%s repeated", id)
		}
		seen[id] = true
	}
	for _, edge := range []struct{ hi, lo uint64 }{{0, 0}, {^uint64(0), ^uint64(0)}} {
		if id := formatUUID(edge.hi, edge.lo); !uuidV4.MatchString(id) {
			t.Errorf("formatUUID(%x, %x) = %q, not a version 4 UUID", edge.hi, edge.lo, id)
		}
	}
}

package batch

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The id set answers as a map from hash to first location would: through growth without
// a reservation, and for hashes whose probes start at the table's last slot and wrap.
func TestIDSetRemembersTheFirstLocationOfEveryHash(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var hashes []uint64
	for range 3000 {
		hashes = append(hashes, rng.Uint64())
	}
	for range 50 {
		hashes = append(hashes, math.MaxUint32|rng.Uint64()<<32) // the last slot, whatever the size
	}
	for _, reserved := range []bool{false, true} {
		var set idSet
		if reserved {
			set.reserve(len(hashes))
		}
		first := map[uint64]rowLocation{}
		for round := range 2 {
			for i, h := range hashes {
				loc := rowLocation{segment: uint32(round), row: uint32(i)}
				got, present := set.insert(h, loc)
				want, seen := first[h]
				if present != seen || got != want {
					t.Fatalf("reserved %v, round %d, hash %#x: %v %v, want %v %v", reserved, round, h, got, present, want, seen)
				}
				if !seen {
					first[h] = loc
				}
			}
		}
		if set.n != len(first) {
			t.Fatalf("reserved %v: %d hashes held, want %d", reserved, set.n, len(first))
		}
	}
}

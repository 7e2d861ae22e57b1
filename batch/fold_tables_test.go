package batch

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The id set answers as a map from hash to first row would: through growth without
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
		first := map[uint64]uint32{}
		for round := range 2 {
			for i, h := range hashes {
				row := uint32(round*len(hashes) + i)
				got, present := set.insert(newIDEntry(h, row))
				want, seen := first[h]
				if present != seen || got != want {
					t.Fatalf("reserved %v, round %d, hash %#x: %v %v, want %v %v", reserved, round, h, got, present, want, seen)
				}
				if !seen {
					first[h] = row
				}
			}
		}
		if set.n != len(first) {
			t.Fatalf("reserved %v: %d hashes held, want %d", reserved, set.n, len(first))
		}
	}
}

// A table made for a fold's ids takes a later cycle's few more without being remade:
// remade at every increment, the tables of 50M ids made a 2.5M-trade increment three
// times slower.
func TestIDSetTakesSmallIncrementsWithoutRemakingItsTable(t *testing.T) {
	var set idSet
	set.reserve(10_000)
	for i := range 10_000 {
		set.insert(newIDEntry(uint64(i)*0x9E3779B97F4A7C15+1, uint32(i)))
	}
	slots := &set.slots[0]
	set.reserve(500)
	if &set.slots[0] != slots {
		t.Fatal("a 5% increment remade the table")
	}
	set.reserve(10_000)
	if &set.slots[0] == slots {
		t.Fatal("doubling the ids kept the table")
	}
}

// An aggregate's rows, numbered across its folds, are found where their batches lie:
// at a span's first row, inside it and at its last.
func TestAggregateRowsAreLocatedInTheirBatches(t *testing.T) {
	a := &Aggregate{spans: []batchSpan{
		{firstRow: 0, segment: 0, segmentRow: 5},
		{firstRow: 10, segment: 1, segmentRow: 0},
		{firstRow: 25, segment: 0, segmentRow: 100}, // a later fold reading on in segment 0
	}}
	for row, want := range map[uint32]rowLocation{
		0: {0, 5}, 9: {0, 14}, 10: {1, 0}, 24: {1, 14}, 25: {0, 100}, 1000: {0, 1075},
	} {
		if got := a.locate(row); got != want {
			t.Errorf("row %d: %+v, want %+v", row, got, want)
		}
	}
}

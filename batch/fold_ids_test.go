package batch

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// partHashes makes hashes of one part of the id set, as the scatter gives it: their top
// idPartitionBits are the part's. Some are repeated, and some share every bit
// sortedByHash buckets by, so that buckets too large to sort by insertion occur.
func partHashes(rng *rand.Rand, n int) []uint64 {
	const part = 0x2a5 << (64 - idPartitionBits)
	hashes := make([]uint64, 0, n)
	for len(hashes) < n {
		switch h := rng.Uint64()>>idPartitionBits | part; {
		case len(hashes) > 0 && rng.IntN(10) == 0:
			hashes = append(hashes, hashes[rng.IntN(len(hashes))])
		case rng.IntN(10) == 0:
			hashes = append(hashes, h&^(1<<40-1)) // one of a few values of the top bits
		default:
			hashes = append(hashes, h)
		}
	}
	return hashes
}

// The id set answers as a map from hash to first row would, whether the rows come in
// one fold or many, large or small, and keeps each hash once, in sorted runs; a first
// fold's run in row order until it is sorted, which a later fold does if no one did.
func TestIDSetFindsTheFirstRowOfEveryHashItHeldOrIsGiven(t *testing.T) {
	for _, folds := range [][]int{{5000}, {1, 1, 2, 7}, {3000, 150, 150, 150, 2000, 1}, {40, 40, 40, 40, 40, 40, 40}, {0, 3000, 0, 1, 0}} {
		t.Run(fmt.Sprint(folds), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, uint64(len(folds))))
			var set idSet
			var scratch idScratch
			first := map[uint64]uint32{}
			row := uint32(0)
			for _, n := range folds {
				want := map[uint32]uint32{} // row → the first row of its hash
				var entries []idEntry
				for _, h := range partHashes(rng, n) {
					if f, seen := first[h]; seen {
						want[row] = f
					} else {
						first[h] = row
					}
					entries = append(entries, newIDEntry(h, row))
					row++
				}
				got := map[uint32]uint32{}
				set.add(entries, &scratch, func(first, row uint32) {
					if _, twice := got[row]; twice {
						t.Fatalf("row %d was seen twice", row)
					}
					got[row] = first
				})
				if len(got) != len(want) {
					t.Fatalf("after %d rows: %d seen before, want %d", row, len(got), len(want))
				}
				if slices.ContainsFunc(set.runs, func(run []idEntry) bool { return len(run) == 0 }) {
					t.Fatalf("after %d rows: an empty run, which the next fold would copy", row)
				}
				for r, f := range want {
					if got[r] != f {
						t.Fatalf("row %d: first seen at %d, want %d", r, got[r], f)
					}
				}
			}
			if set.unsorted {
				if !slices.IsSortedFunc(set.runs[0], func(a, b idEntry) int { return cmp.Compare(a.row, b.row) }) {
					t.Fatal("a first fold's unsorted run is not in row order")
				}
				set.sortRun(&scratch)
			}
			var held []uint64
			for _, run := range set.runs {
				if !slices.IsSortedFunc(run, compareHashes) {
					t.Fatal("a run is not sorted by hash")
				}
				for _, e := range run {
					held = append(held, e.hash())
					if first[e.hash()] != e.row {
						t.Fatalf("hash %#x is held with row %d, first seen at %d", e.hash(), e.row, first[e.hash()])
					}
				}
			}
			slices.Sort(held)
			if len(held) != len(first) || len(slices.Compact(held)) != len(first) {
				t.Fatalf("%d hashes held, want each of %d once", len(held), len(first))
			}
		})
	}
}

func compareHashes(a, b idEntry) int { return cmp.Compare(a.hash(), b.hash()) }

// However small a cycle's increments, the set keeps few runs (each lookup searches each
// run), and later runs are at most half as long as the one before.
func TestIDSetKeepsLogarithmicallyFewRuns(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var set idSet
	var scratch idScratch
	row := uint32(0)
	for _, n := range append([]int{20_000}, slices.Repeat([]int{25}, 400)...) {
		entries := make([]idEntry, n)
		for i := range entries {
			entries[i] = newIDEntry(rng.Uint64()>>idPartitionBits, row)
			row++
		}
		set.add(entries, &scratch, func(first, row uint32) { t.Fatalf("row %d: no hash repeats", row) })
		for r := 1; r < len(set.runs); r++ {
			if 2*len(set.runs[r]) >= len(set.runs[r-1]) {
				t.Fatalf("run %d holds %d ids, the one before %d", r, len(set.runs[r]), len(set.runs[r-1]))
			}
		}
	}
	if held := heldIDs(set); held != int(row) {
		t.Fatalf("%d ids held, want %d", held, row)
	}
	if len(set.runs) > 15 {
		t.Fatalf("%d runs for %d ids", len(set.runs), row)
	}
}

// Sorting keeps rows of equal hashes in the order given, in buckets sorted by insertion
// and in those sorted by comparison.
func TestSortedByHashIsStable(t *testing.T) {
	for _, distinct := range []int{1, 3, 1000} {
		rng := rand.New(rand.NewPCG(7, uint64(distinct)))
		values := make([]uint64, distinct)
		for i := range values {
			values[i] = rng.Uint64() >> idPartitionBits
		}
		entries := make([]idEntry, 2000)
		for i := range entries {
			entries[i] = newIDEntry(values[rng.IntN(distinct)], uint32(i))
		}
		sorted := sortedByHash(entries, &idScratch{})
		rows := map[uint32]bool{}
		for _, e := range sorted {
			rows[e.row] = true
		}
		if len(sorted) != len(entries) || len(rows) != len(entries) {
			t.Fatalf("%d distinct hashes: %d entries of %d rows sorted, want each of %d once", distinct, len(sorted), len(rows), len(entries))
		}
		if !slices.IsSortedFunc(sorted, func(a, b idEntry) int { return cmp.Or(compareHashes(a, b), cmp.Compare(a.row, b.row)) }) {
			t.Fatalf("%d distinct hashes: not sorted by hash, then row", distinct)
		}
	}
}

// heldIDs is how many hashes the set holds.
func heldIDs(s idSet) int {
	n := 0
	for _, run := range s.runs {
		n += len(run)
	}
	return n
}

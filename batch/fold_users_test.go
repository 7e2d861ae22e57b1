package batch

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// Grouped by user, a partition sums to the positions a table of the whole partition
// gives, in the same order, and applies the same trades; a user outside the partition's
// span leaves the partition to the table.
func TestAPartitionSummedByUserIsSummedAsByTable(t *testing.T) {
	for _, tc := range []struct {
		name          string
		entries       int
		first         int64
		span, symbols int
		outsider      bool   // one entry's user lies beyond the span
		stamp         uint32 // where the user stamps start: near the end, they wrap
		// to 1, the stamp every symbol's slot was left with, holding another sum
	}{
		{"portfolios", 20_000, 1, 2048, 500, false, 0},
		{"one user, every symbol", 3_000, 7, 1, 900, false, 0},
		{"users of the highest ids that pack", 5_000, 1<<(64-symbolBits) - 64, 64, 30, false, 0},
		{"stamps that wrap", 5_000, 1, 16, 2000, false, math.MaxUint32 - 1},
		{"a user beyond the span", 5_000, 1, 256, 40, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(tc.entries), uint64(tc.span)))
			rank := rng.Perm(tc.symbols)
			ranks := make([]uint32, len(rank))
			for i, r := range rank {
				ranks[i] = uint32(r)
			}
			entries := make([]positionEntry, tc.entries)
			for i := range entries {
				user := tc.first + rng.Int64N(int64(tc.span))
				key, ok := packedKey(user, uint32(rng.IntN(tc.symbols)))
				if !ok {
					t.Fatalf("user %d does not pack", user)
				}
				entries[i] = newPositionEntry(key, int32(rng.IntN(201)-100))
			}
			if tc.outsider {
				key, _ := packedKey(tc.first+int64(tc.span), 0)
				entries[len(entries)/2] = newPositionEntry(key, 1)
			}
			var byTable tally
			var table positionTable
			table.reset(len(entries))
			for _, e := range entries {
				byTable.add(&table.slot(e.key()).shares, int64(e.shares))
			}
			want := table.sortedPositions(ranks, new([]keyedPosition))

			groups := userGroups{user: userPositions{stamp: tc.stamp}}
			if tc.stamp != 0 {
				groups.user.shares, groups.user.stamps = make([]int64, tc.symbols), make([]uint32, tc.symbols)
				for i := range tc.symbols {
					groups.user.shares[i], groups.user.stamps[i] = 99, 1
				}
			}
			for round := range 2 { // the second with the groups' memory reused
				var byUser tally
				got, ok := groups.sum(slices.Clone(entries), tc.first, tc.span, ranks, &byUser)
				if tc.outsider {
					if ok || byUser != (tally{}) {
						t.Fatalf("a user beyond the span: summed %d positions, %+v", len(got), byUser)
					}
					return
				}
				if !ok {
					t.Fatal("the partition's users were not summed by user")
				}
				if !slices.Equal(got, want) || byUser != byTable {
					t.Fatalf("round %d: %d positions (%+v), the table %d (%+v)%s", round, len(got), byUser, len(want), byTable, firstDifference(got, want))
				}
			}
		})
	}
}

func firstDifference(got, want []keyedPosition) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("; at %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	return ""
}

package batch

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// Staging changes only when entries reach their partitions: each partition ends with
// its entries in the order they were added, whatever their number, and the discarded
// ones reach none.
func TestStagedPartitionsHoldWhatDirectAppendsWould(t *testing.T) {
	for _, n := range []int{0, 1, stageRows - 1, stageRows, stageRows + 1, 1000} {
		rng := rand.New(rand.NewPCG(uint64(n), 1))
		want := make([][]int, 5)
		staged := newStagedParts(make([][]int, 5))
		for i := range n {
			part := rng.IntN(len(want) + 1)
			if part == len(want) {
				staged.add(staged.discard(), i)
				continue
			}
			want[part] = append(want[part], i)
			staged.add(uint64(part), i)
		}
		got := staged.flush()
		for part := range want {
			if !slices.Equal(got[part], want[part]) {
				t.Fatalf("%d entries: partition %d holds %v, want %v", n, part, got[part], want[part])
			}
		}
	}
}

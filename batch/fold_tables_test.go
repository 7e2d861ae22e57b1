package batch

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestRadixSortOrdersKeysWhateverBytesTheyShare(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, tc := range []struct {
		n    int
		mask uint64 // the key bits that vary
	}{{0, 0}, {1, ^uint64(0)}, {2, 0xff}, {1000, 0xff}, {1000, 0xffff}, {5000, 0x00ff_0000_01ff_ff00}, {5000, ^uint64(0)}, {300, 1 << 63}} {
		keys := make([]keyedPosition, tc.n)
		for i := range keys {
			keys[i] = keyedPosition{key: 0x0102_0304_0506_0708&^tc.mask | rng.Uint64()&tc.mask, shares: int64(i)}
		}
		want := slices.Clone(keys)
		slices.SortStableFunc(want, func(a, b keyedPosition) int { return cmp.Compare(a.key, b.key) })
		radixSort(keys, make([]keyedPosition, len(keys)))
		if !slices.Equal(keys, want) {
			t.Fatalf("%d keys varying in %#x: radix order differs from a stable sort", tc.n, tc.mask)
		}
	}
}

package batch

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// The merge's spans must cover every base row, position partition and wide position
// once, in order, each in the span of its user's partition. (Wide positions of users
// below others only arise with more than 2^24 symbols, too many for the fold tests.)
func TestMergeSpansCoverEveryRowInItsUsersSpan(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	for round := range 200 {
		f := &fold{users: newUserPartitions(1, 1000, uint8(rng.IntN(5)))}
		users := make([]int64, rng.IntN(300))
		for i := range users {
			users[i] = rng.Int64N(1100) - 50 // some outside the statistics' range
		}
		slices.Sort(users)
		f.sorted = make([][]keyedPosition, f.users.count())
		for p := range f.sorted {
			f.sorted[p] = make([]keyedPosition, rng.IntN(20))
		}
		f.wide = make([]position, rng.IntN(10))
		for i := range f.wide {
			f.wide[i].user = rng.Int64N(1100) - 50
		}
		slices.SortFunc(f.wide, comparePositions)
		for n := 1; n <= 5; n++ {
			name := fmt.Sprintf("round %d, %d spans", round, n)
			spans := f.mergeSpans(users, n)
			if len(spans) == 0 || len(spans) > n {
				t.Fatalf("%s: %d spans", name, len(spans))
			}
			var parts, base, wide int
			for _, s := range spans {
				if s.parts[0] != parts || s.base[0] != base || s.wide[0] != wide || s.parts[1] <= s.parts[0] {
					t.Fatalf("%s: span %+v does not follow parts %d, base %d, wide %d", name, s, parts, base, wide)
				}
				parts, base, wide = s.parts[1], s.base[1], s.wide[1]
				for _, u := range users[s.base[0]:s.base[1]] {
					if p := int(f.users.of(u)); p < s.parts[0] || p >= s.parts[1] {
						t.Fatalf("%s: base user %d of partition %d in span %+v", name, u, p, s)
					}
				}
				for _, w := range f.wide[s.wide[0]:s.wide[1]] {
					if p := int(f.users.of(w.user)); p < s.parts[0] || p >= s.parts[1] {
						t.Fatalf("%s: wide user %d of partition %d in span %+v", name, w.user, p, s)
					}
				}
				room := s.base[1] - s.base[0] + s.wide[1] - s.wide[0]
				for _, part := range f.sorted[s.parts[0]:s.parts[1]] {
					room += len(part)
				}
				if s.room != room {
					t.Fatalf("%s: span %+v has room for %d rows, holds %d", name, s, s.room, room)
				}
			}
			if parts != len(f.sorted) || base != len(users) || wide != len(f.wide) {
				t.Fatalf("%s: spans end at parts %d, base %d, wide %d", name, parts, base, wide)
			}
		}
	}
}

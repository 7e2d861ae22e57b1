package batch

import (
	"cmp"
	"slices"

	"github.com/autonews/autonews/ledger"
)

// userGroups sums a position partition whose users span few enough ids to count: a
// counting sort groups its entries by user, stably, so that each position's entries keep
// the log's order, and each user's entries are summed by symbol (see userPositions). The
// positions come out in snapshot order, user after user, each user's sorted by symbol
// rank among a handful.
//
// Summed in one table of the partition's positions instead (1 MB for 50M trades, a
// core's L2 cache), each entry's probe missed the cache about as often as not, and the
// table was then scanned and its positions radix-sorted: in the 50M-trade profile the
// sum took 0.85 s of CPU that way and 0.76 s this way, and the phase 0.43-0.50 s
// against 0.33-0.38 s (three alternating runs).
//
// A userGroups is one goroutine's, reused from one partition to the next.
type userGroups struct {
	counts  []uint32        // by user, then where each user's entries start
	grouped []positionEntry // the partition's entries, by user
	user    userPositions
	out     []keyedPosition
}

// maxGroupedUsers bounds the ids a partition's users may span for it to be summed by
// user: their counts (256 KB) stay in a core's L2 cache beside the entries.
const maxGroupedUsers = 1 << 16

// tally counts what a sum applied.
type tally struct {
	applied, overflows, net int64
}

// add applies shares to the position sum, unless that would overflow it.
func (t *tally) add(sum *int64, shares int64) {
	total, ok := ledger.AddShares(*sum, shares)
	if !ok {
		t.overflows++
		return
	}
	*sum = total
	t.applied++
	t.net += shares
}

// sum sums entries, a partition whose users are first to first+span-1, and returns its
// non-zero positions keyed by user and symbol rank, sorted. It returns false, having
// summed nothing, when a user lies outside the span: the partitions at either end also
// hold the users beyond the range the segments' statistics gave.
func (g *userGroups) sum(entries []positionEntry, first int64, span int, rank []uint32, t *tally) ([]keyedPosition, bool) {
	counts := grow(&g.counts, span+1)
	clear(counts)
	for _, e := range entries {
		at := uint64(int64(e.key()>>symbolBits) - first)
		if at >= uint64(span) {
			return nil, false
		}
		counts[at+1]++
	}
	for u := 1; u <= span; u++ {
		counts[u] += counts[u-1]
	}
	// counts[u] is where user u's entries start; placing moves it to where they end.
	grouped := grow(&g.grouped, len(entries))
	for _, e := range entries {
		at := int64(e.key()>>symbolBits) - first
		grouped[counts[at]] = e
		counts[at]++
	}
	g.out = g.out[:0]
	start := uint32(0)
	for u, end := range counts[:span] {
		if end > start {
			g.out = g.user.sum(grouped[start:end], uint64(first+int64(u)), rank, t, g.out)
		}
		start = end
	}
	return slices.Clone(g.out), true
}

// userPositions sums one user's entries by symbol, in slots indexed by the symbol
// itself: no hashing and no probing, which was a third of the sum's time in a hash table
// of a few slots (the 50M-trade profile). A slot counts as empty unless its stamp is the
// current user's.
type userPositions struct {
	shares  []int64  // by the aggregate's symbol id
	stamps  []uint32 // by symbol id: the user whose sum shares holds
	stamp   uint32   // the current user's
	symbols []uint32 // the current user's, in the order they came
}

// maxGroupedSymbols bounds the symbols an aggregate may have for its partitions to be
// summed by user: the slots of a user's symbols (768 KB at most) stay in a core's caches.
const maxGroupedSymbols = 1 << 16

// sum sums the entries of user, in order, and appends the user's non-zero positions,
// keyed by user and symbol rank and sorted, to out. The aggregate has len(rank) symbols.
func (u *userPositions) sum(entries []positionEntry, user uint64, rank []uint32, t *tally, out []keyedPosition) []keyedPosition {
	if len(u.shares) < len(rank) {
		u.shares, u.stamps = make([]int64, len(rank)), make([]uint32, len(rank))
	}
	if u.stamp++; u.stamp == 0 { // wrapped: stamps of long ago could match
		clear(u.stamps)
		u.stamp = 1
	}
	u.symbols = u.symbols[:0]
	for _, e := range entries {
		symbol := uint32(e.key() & symbolMask)
		if u.stamps[symbol] != u.stamp {
			u.stamps[symbol], u.shares[symbol] = u.stamp, 0
			u.symbols = append(u.symbols, symbol)
		}
		t.add(&u.shares[symbol], int64(e.shares))
	}
	first := len(out)
	for _, symbol := range u.symbols {
		if shares := u.shares[symbol]; shares != 0 {
			out = append(out, keyedPosition{key: user<<symbolBits | uint64(rank[symbol]), shares: shares})
		}
	}
	sortKeyed(out[first:])
	return out
}

// sortKeyed sorts a user's few positions by key: by insertion when they are as few as a
// portfolio's.
func sortKeyed(ks []keyedPosition) {
	if len(ks) > 32 {
		slices.SortFunc(ks, func(a, b keyedPosition) int { return cmp.Compare(a.key, b.key) })
		return
	}
	for i := 1; i < len(ks); i++ {
		k := ks[i]
		j := i
		for ; j > 0 && ks[j-1].key > k.key; j-- {
			ks[j] = ks[j-1]
		}
		ks[j] = k
	}
}

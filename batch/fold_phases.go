package batch

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"

	"github.com/autonews/autonews/ledger"
)

// A fold runs in phases, as MEASURED.md's prototype did. Probing tables of gigabytes at
// random, one row at a time, cost about 200 ns a probe in cache and TLB misses (the
// profile of the 50M-trade run). So a scatter appends each row's trade_id hash to a
// partition (sequential writes), and each partition is deduplicated against its own part
// of the id set while that fits in cache; a second scatter appends the position key of
// each row that is not a duplicate to a partition of users, and each is summed in its own
// small table (see fold_scatter.go). Rows keep their order within a partition, so the
// first occurrence of a trade_id and the order of the sums (which decides an overflow)
// are those of the log.

// idPartitionBits fixes how many parts the aggregate's id set has: 50M ids make parts of
// about 50k, whose entries (600 KB) stay in a core's caches while they are sorted.
const idPartitionBits = 10

// userPartitions assigns users to position partitions by range, so that the partitions'
// positions, each sorted, follow one another in snapshot order: the fold's output is
// sorted without a sort of the whole (a radix sort of 10M positions, and the copies
// feeding it, were most of the merge in the 50M-trade profile). The range comes from the
// segments' user_id statistics; a user outside it (in a file written without statistics)
// goes to the first or the last partition, which keeps the order.
type userPartitions struct {
	lo    int64
	shift uint8
	last  uint64 // the number of the last partition
}

func newUserPartitions(lo, hi int64, partitionBits uint8) userPartitions {
	span := uint64(max(hi, lo)) - uint64(lo)
	return userPartitions{lo: lo, shift: uint8(max(0, bits.Len64(span)-int(partitionBits))), last: 1<<partitionBits - 1}
}

func (u userPartitions) count() int { return int(u.last) + 1 }

func (u userPartitions) of(user int64) uint64 {
	if user <= u.lo {
		return 0
	}
	return min((uint64(user)-uint64(u.lo))>>u.shift, u.last)
}

// footers is what the segments' Parquet footers tell a fold before it reads a row.
type footers struct {
	// lo and hi are the least and greatest user_id the statistics report, or every
	// positive id when a row group has none.
	lo, hi int64
	prices []priceSource // every row group, newest first
}

// readFooters reads the statistics of every row group of the segments, opening each file
// once.
func readFooters(segs []Segment) (footers, error) {
	ft := footers{lo: math.MaxInt64, hi: math.MinInt64}
	unbounded := false
	for _, seg := range segs {
		pf, err := file.OpenParquetFile(seg.Path, false)
		if err != nil {
			return footers{}, fmt.Errorf("read master segment %s: %w", seg.Path, err)
		}
		md := pf.MetaData()
		for rg := range md.NumRowGroups() {
			rowGroup := md.RowGroup(rg)
			if stats, ok := userStatistics(rowGroup); ok {
				ft.lo, ft.hi = min(ft.lo, stats.Min()), max(ft.hi, stats.Max())
			} else {
				unbounded = true
			}
			ft.prices = append(ft.prices, priceSource{seg: seg, rowGroup: rg, latest: latestTS(rowGroup)})
		}
		pf.Close()
	}
	if unbounded {
		ft.lo, ft.hi = 1, math.MaxInt64
	}
	slices.SortStableFunc(ft.prices, func(a, b priceSource) int { return cmp.Compare(b.latest, a.latest) })
	return ft, nil
}

func userStatistics(rg *metadata.RowGroupMetaData) (*metadata.Int64Statistics, bool) {
	chunk, err := rg.ColumnChunk(colUserID)
	if err != nil {
		return nil, false
	}
	stats, err := chunk.Statistics()
	if err != nil {
		return nil, false
	}
	ints, ok := stats.(*metadata.Int64Statistics)
	return ints, ok && ints.HasMinMax()
}

// run folds the segments' rows between the aggregate's cut and cut, in phases.
func (f *fold) run(ctx context.Context, segs []Segment, cut ledger.Cut, rows int) error {
	ft, err := readFooters(segs)
	if err != nil {
		return err
	}
	f.users = newUserPartitions(ft.lo, ft.hi, positionPartitionBits(rows, f.agg.positionPartitionRows))
	phases := &f.stats.Phases
	for _, phase := range []struct {
		run  func(context.Context) error
		took *time.Duration
	}{
		{func(ctx context.Context) error { return f.scatterIDs(ctx, segs, cut, rows) }, &phases.ScatterIDs},
		{f.deduplicate, &phases.Deduplicate},
		{f.resolveCandidates, &phases.Resolve},
		{func(ctx context.Context) error { return f.scatterPositions(ctx, segs) }, &phases.ScatterPositions},
		{func(ctx context.Context) error { return f.notePrices(ctx, ft.prices, cut) }, &phases.Prices},
		{f.sum, &phases.Sum},
	} {
		start := time.Now()
		if err := phase.run(ctx); err != nil {
			return err
		}
		*phase.took = time.Since(start)
	}
	return nil
}

// defaultPositionPartitionRows sizes the position partitions. The sum's table of a
// partition of 2^17 rows (1 MiB for 50M trades) is twice a core's L2 cache here, where
// half as many rows made it fit; but with half as many partitions the scatter stages
// into half the memory, and the 50M-trade fold took 5.31 s against 5.45 on average,
// faster in each of eleven runs alternating with 2^16.
const defaultPositionPartitionRows = 1 << 17

// presized returns n empty partitions with room for about perPartition rows each.
func presized[T any](n, perPartition int) [][]T {
	parts := make([][]T, n)
	for i := range parts {
		parts[i] = make([]T, 0, perPartition+perPartition/8+16)
	}
	return parts
}

// positionPartitionBits picks a power-of-two number of partitions of about perPartition
// rows each, at most 4096.
func positionPartitionBits(rows, perPartition int) uint8 {
	return uint8(min(12, bits.Len(uint(rows/perPartition))))
}

// forEachPartition runs work on every partition number below n, from as many goroutines
// as the process may run at once; each partition is worked on by one goroutine.
func forEachPartition(ctx context.Context, n int, work func(worker, part int)) (workers int, err error) {
	workers = min(n, runtime.GOMAXPROCS(0))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := int(next.Add(1) - 1); p < n && ctx.Err() == nil; p = int(next.Add(1) - 1) {
				work(w, p)
			}
		}()
	}
	wg.Wait()
	return workers, ctx.Err()
}

// deduplicate adds every part's rows to its part of the id set, and lists the rows whose
// hash was there before or at an earlier row.
func (f *fold) deduplicate(ctx context.Context) error {
	workers := runtime.GOMAXPROCS(0)
	perWorker := make([][]candidate, workers)
	scratch := make([]idScratch, workers)
	_, err := forEachPartition(ctx, 1<<idPartitionBits, func(w, p int) {
		entries := takePartition(f.idScatterers, func(sc *idScatterer) (ownedParts, [][]idEntry) { return sc.owned, sc.parts }, p)
		// The part is the goroutine's own while it adds (see sum): the parts sit side
		// by side, and the other worker adds to the next one.
		ids := f.agg.ids[p]
		ids.add(entries, &scratch[w], func(first, row uint32) {
			perWorker[w] = append(perWorker[w], candidate{first: first, row: row})
		})
		f.agg.ids[p] = ids
	})
	if err != nil {
		return err
	}
	f.candidates = slices.Concat(perWorker...)
	slices.SortFunc(f.candidates, func(a, b candidate) int { return cmp.Compare(a.row, b.row) })
	return nil
}

// resolveCandidates reads the trade_ids of every candidate and of the row its hash was
// first seen at: the same id is a duplicate, a different one a hash collision, which
// counts like any new trade. Duplicates are marked for the sum.
func (f *fold) resolveCandidates(ctx context.Context) error {
	f.duplicate = make([]uint64, (f.rows+63)/64)
	if len(f.candidates) == 0 {
		return nil
	}
	rowsBySegment := map[uint32][]int{}
	for _, c := range f.candidates {
		for _, loc := range []rowLocation{f.agg.locate(c.first), f.agg.locate(c.row)} {
			rowsBySegment[loc.segment] = append(rowsBySegment[loc.segment], int(loc.row))
		}
	}
	ids := make(map[rowLocation]string, 2*len(f.candidates))
	for seg, rows := range rowsBySegment {
		slices.Sort(rows)
		rows = slices.Compact(rows)
		path := f.agg.segments[seg].Path
		read, err := readTradeIDs(ctx, path, rows)
		if err != nil {
			return fmt.Errorf("read trade ids of master segment %s: %w", path, err)
		}
		for i, row := range rows {
			ids[rowLocation{segment: seg, row: uint32(row)}] = read[i]
		}
	}
	for _, c := range f.candidates {
		id := ids[f.agg.locate(c.row)]
		if _, collidedBefore := f.agg.collided[id]; id == ids[f.agg.locate(c.first)] || collidedBefore {
			row := c.row - f.firstRow
			f.duplicate[row/64] |= 1 << (row % 64)
			f.stats.Duplicates++
			continue
		}
		f.agg.collided[id] = struct{}{}
	}
	f.candidates = nil
	return nil
}

func (f *fold) isDuplicate(row uint32) bool { return f.duplicate[row/64]&(1<<(row%64)) != 0 }

// sum adds up every partition's rows, in row order, user by user (see userGroups) or, for
// a partition that cannot be grouped so, in a table of its own, and collects the non-zero
// positions, sorted; then the rows whose keys do not pack.
func (f *fold) sum(ctx context.Context) error {
	f.rankSymbols()
	workers := runtime.GOMAXPROCS(0)
	tallies := make([]tally, workers)
	// A table and groups per worker, cleared between partitions: a new table per
	// partition cost half a gigabyte of fresh memory for 50M trades.
	tables := make([]positionTable, workers)
	groups := make([]userGroups, workers)
	f.sorted = make([][]keyedPosition, f.users.count())
	sortBuffers := make([][]keyedPosition, workers)
	span := uint64(1) << f.users.shift // the users of a partition, but at either end
	_, err := forEachPartition(ctx, f.users.count(), func(w, p int) {
		entries := takePartition(f.positionScatterers, func(sc *positionScatterer) (ownedParts, [][]positionEntry) { return sc.owned, sc.parts }, p)
		large := takePartition(f.positionScatterers, func(sc *positionScatterer) (ownedParts, [][]int64) { return sc.owned, sc.largeShares }, p)
		// The table, the groups and the counts are the goroutine's own while it sums:
		// kept in the slices shared by the workers, side by side, every row wrote to a
		// cache line the other core wrote too (the table's count and the tallies were
		// half of the sum's time in the 50M-trade profile).
		t := tallies[w]
		defer func() { tallies[w] = t }()
		// Grouping by user reorders the entries, which large quantities are kept in
		// the order of.
		if len(large) == 0 && span <= maxGroupedUsers && len(f.foldRank) <= maxGroupedSymbols {
			first := f.users.lo + int64(uint64(p)<<f.users.shift)
			if positions, ok := groups[w].sum(entries, first, int(span), f.foldRank, &t); ok {
				f.sorted[p] = positions
				return
			}
		}
		table := &tables[w]
		table.reset(len(entries) / 4)
		for _, e := range entries {
			shares := int64(e.shares)
			if e.shares == largeSharesMark {
				shares, large = large[0], large[1:]
			}
			t.add(&table.slot(e.key()).shares, shares)
		}
		f.sorted[p] = table.sortedPositions(f.foldRank, &sortBuffers[w])
	})
	if err != nil {
		return err
	}
	wide := map[position]int64{}
	var wideTally tally
	for _, e := range f.positionScatterers[0].wide { // the first keeps them all, in row order
		k := position{user: e.user, symbol: e.symbol}
		sum := wide[k]
		wideTally.add(&sum, e.shares)
		wide[k] = sum
	}
	for k, shares := range wide {
		if shares != 0 {
			f.wide = append(f.wide, position{user: k.user, symbol: f.foldRank[k.symbol], shares: shares})
		}
	}
	slices.SortFunc(f.wide, comparePositions)
	for _, t := range append(tallies, wideTally) {
		f.stats.Applied += t.applied
		f.stats.Overflows += t.overflows
		f.stats.NetShares += t.net
	}
	return nil
}

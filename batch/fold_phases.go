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
	"golang.org/x/sync/errgroup"

	"github.com/autonews/autonews/ledger"
)

// A fold runs in phases, as MEASURED.md's prototype did. Probing tables of gigabytes at
// random, one row at a time, cost about 200 ns a probe in cache and TLB misses (the
// profile of the 50M-trade run). So the scatter phase first appends each row's trade_id
// hash and its position key to partitions (sequential writes); then each partition is
// deduplicated against its own part of the id set, and summed in its own small table,
// while those fit in cache. Rows keep their order within a partition, so the first
// occurrence of a trade_id and the order of the sums (which decides an overflow) are
// those of the log.

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

// idEntry is a row's trade_id hash and its number in the aggregate; where the row lies
// in the master dataset follows from the number (see Aggregate.locate). 12 bytes, where
// the location would make 24 and a uint64 hash's alignment 16: the scatter writes one
// per row to memory it has just allocated, and those writes were most of its time in the
// 50M-trade profile. The id set keeps the entries as they are.
type idEntry struct {
	hashLow, hashHigh uint32
	row               uint32
}

func newIDEntry(hash uint64, row uint32) idEntry {
	return idEntry{hashLow: uint32(hash), hashHigh: uint32(hash >> 32), row: row}
}

func (e idEntry) hash() uint64 { return uint64(e.hashHigh)<<32 | uint64(e.hashLow) }

// positionEntry is a row's position key, its signed quantity and its number in the
// fold, in 16 bytes rather than 24: the scatter writes one a row to fresh memory and the
// sum reads it back. A quantity that does not fit in 32 bits is kept beside, by row (see
// largeShares).
type positionEntry struct {
	key    uint64 // packedKey(user, symbol)
	shares int32  // or largeSharesMark
	row    uint32
}

// largeSharesMark stands in an entry for a signed quantity outside (MinInt32, MaxInt32].
const largeSharesMark = math.MinInt32

// largeShare is the signed quantity of a row whose position entry holds
// largeSharesMark. The contract allows quantities up to 10^12: should most trades be
// that large, these cost 16 bytes a row more, where a map would cost about 40.
type largeShare struct {
	row    uint32
	shares int64
}

// largeShareOf returns the signed quantity of row, one of shares (in row order).
func largeShareOf(shares []largeShare, row uint32) int64 {
	i, _ := slices.BinarySearchFunc(shares, row, func(s largeShare, row uint32) int { return cmp.Compare(s.row, row) })
	return shares[i].shares
}

// entryShares returns the signed quantity an entry holds for shares, and whether it
// holds it itself.
func entryShares(shares int64) (int32, bool) {
	small := int32(shares)
	if int64(small) != shares || small == largeSharesMark {
		return largeSharesMark, false
	}
	return small, true
}

// wideEntry is a row whose position does not pack into a 64-bit key; there are none in
// practice, and they are summed apart, in row order.
type wideEntry struct {
	user   int64
	symbol uint32
	shares int64
	row    uint32
}

// candidate is a row whose trade_id hash was folded before: a duplicate if the trade_id
// read where the hash was first seen is the same. Both are the aggregate's row numbers.
type candidate struct {
	first, row uint32
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
		{func(ctx context.Context) error { return f.scatter(ctx, segs, cut, rows) }, &phases.Scatter},
		{func(ctx context.Context) error { return f.notePrices(ctx, ft.prices, cut) }, &phases.Prices},
		{f.deduplicate, &phases.Deduplicate},
		{f.resolveCandidates, &phases.Resolve},
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

// scatterer is one scatter goroutine and the partitions it owns. Scatterers see every row
// and keep those of their partitions, so a partition has one writer and holds its rows in
// row order: half of them own the id partitions, the others the position partitions.
// (Split by batch instead, a partition had a list per scatterer, which deduplication and
// the sum merged by row: 1.9 s of the 50M-trade fold's 19.7 s of CPU. Split by partition
// alone, each scatterer read every row for both.)
type scatterer struct {
	ids, positions ownedParts
	idParts        [][]idEntry // the owned id partitions, the first at ids.first
	positionParts  [][]positionEntry
	// The partitions above are filled through these while the scatter runs.
	stagedIDs       *stagedParts[idEntry]
	stagedPositions *stagedParts[positionEntry]
	// Of the scatterers of positions, this is the nth of n; the first keeps the rows
	// whose keys do not pack and marks the symbols traded.
	nth, n int
	wide   []wideEntry
	// largeShares holds the signed quantities of the owned partitions' entries that hold
	// largeSharesMark, in row order.
	largeShares []largeShare
	// traded marks, by the aggregate's symbol id, the symbols of the rows in range.
	traded []bool
}

// ownedParts is a range of partition numbers.
type ownedParts struct{ first, n uint64 }

// share returns the w-th of workers equal ranges of n partitions.
func share(w, workers, n int) ownedParts {
	first := w * n / workers
	return ownedParts{first: uint64(first), n: uint64((w+1)*n/workers - first)}
}

// index returns part's place in the range, and whether it is in the range.
func (o ownedParts) index(part uint64) (uint64, bool) {
	i := part - o.first // wraps above the range for parts below it
	return i, i < o.n
}

// scatter reads the segments and appends every row in range to partitions. Goroutines it
// owns overlap Parquet decoding and scattering: the reader decodes batches, gives each
// its symbol ids (it alone touches the symbol table) and the fold row numbers of its rows
// in range (offsets ascend within a segment, so those rows are one span), and hands each
// batch to every scatterer, one per core, which appends the rows of the partitions it
// owns. Cancelling ctx or an error in any stops all.
func (f *fold) scatter(ctx context.Context, segs []Segment, cut ledger.Cut, rows int) error {
	workers := f.agg.scatterWorkers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	f.scatterers = make([]*scatterer, workers)
	// With one worker, it scatters both.
	idWorkers, positionWorkers := max(1, workers/2), max(1, workers-workers/2)
	for w := range f.scatterers {
		sc := &scatterer{}
		if w < idWorkers {
			sc.ids = share(w, idWorkers, 1<<idPartitionBits)
		}
		if p := w - (workers - positionWorkers); p >= 0 {
			sc.positions, sc.nth, sc.n = share(p, positionWorkers, f.users.count()), p, positionWorkers
		}
		// Hashes spread rows evenly, and users' ranges about evenly: sized up front with
		// some slack, the partitions rarely grow, which cost a third of the scatter phase
		// in the 50M-trade profile.
		sc.stagedIDs = newStagedParts(presized[idEntry](int(sc.ids.n), rows>>idPartitionBits))
		sc.stagedPositions = newStagedParts(presized[positionEntry](int(sc.positions.n), rows/f.users.count()))
		f.scatterers[w] = sc
	}
	g, gctx := errgroup.WithContext(ctx)
	inboxes := make([]chan *foldBatch, workers)
	for w := range inboxes {
		inboxes[w] = make(chan *foldBatch, 2)
	}
	g.Go(func() error {
		defer func() {
			for _, inbox := range inboxes {
				close(inbox)
			}
		}()
		for _, seg := range segs {
			segID := f.agg.segmentID(seg)
			err := readTradeColumns(gctx, seg.Path, f.agg.hashID, func(c *tradeColumns) error {
				b, err := f.prepareBatch(c, seg, segID, cut)
				if err != nil || b == nil {
					return err
				}
				c.retain()
				b.readers.Store(int32(workers))
				for w, inbox := range inboxes {
					select {
					case inbox <- b:
					case <-gctx.Done():
						b.readers.Add(int32(w + 1 - workers)) // the scatterers left without it
						b.done()
						return gctx.Err()
					}
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("read master segment %s: %w", seg.Path, err)
			}
		}
		return nil
	})
	for w, sc := range f.scatterers {
		g.Go(func() error {
			for b := range inboxes[w] {
				err := f.scatterBatch(sc, b)
				b.done()
				if err != nil {
					return fmt.Errorf("fold master segment %s: %w", b.seg.Path, err)
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	f.stats.Rows = int64(f.rows)
	for _, sc := range f.scatterers {
		sc.idParts, sc.positionParts = sc.stagedIDs.flush(), sc.stagedPositions.flush()
		sc.stagedIDs, sc.stagedPositions = nil, nil
		f.largeShares = append(f.largeShares, sc.largeShares...)
		for symbol, traded := range sc.traded {
			if traded {
				f.traded = append(f.traded, uint32(symbol))
			}
		}
	}
	// Each scatterer's are in row order; those of several interleave.
	slices.SortFunc(f.largeShares, func(a, b largeShare) int { return cmp.Compare(a.row, b.row) })
	return nil
}

// foldBatch is a batch of a segment on its way through the fold: rows [from, to) are in
// range and numbered firstFoldRow on.
type foldBatch struct {
	*tradeColumns
	seg          Segment
	from, to     int
	firstFoldRow uint32
	symbolIDs    []uint32 // the aggregate's id of each value of the batch's symbol dictionary
	signs        []int64  // the sign of each value of the side dictionary
	readers      atomic.Int32
}

// done is called by each reader of the batch; the last releases it.
func (b *foldBatch) done() {
	if b.readers.Add(-1) == 0 {
		b.release()
	}
}

// prepareBatch finds the batch's rows in range and numbers them; nil when there are none.
func (f *fold) prepareBatch(c *tradeColumns, seg Segment, segID uint32, cut ledger.Cut) (*foldBatch, error) {
	if c.firstRow+c.rows > math.MaxUint32 {
		return nil, fmt.Errorf("more than %d rows in one segment", math.MaxUint32)
	}
	if !slices.IsSorted(c.offset) {
		return nil, fmt.Errorf("rows %d-%d are not in offset order", c.firstRow, c.firstRow+c.rows-1)
	}
	from, _ := slices.BinarySearch(c.offset, f.agg.cut[seg.Partition])
	to, _ := slices.BinarySearch(c.offset, cut[seg.Partition])
	if from >= to {
		return nil, nil
	}
	if int64(f.firstRow)+int64(f.rows)+int64(to-from) > math.MaxUint32 {
		return nil, fmt.Errorf("more than %d trades in the master dataset: the batch layer numbers them in 32 bits", uint32(math.MaxUint32))
	}
	signs, err := sideSigns(c.sides.values)
	if err != nil {
		return nil, err
	}
	b := &foldBatch{tradeColumns: c, seg: seg, from: from, to: to, firstFoldRow: f.rows, signs: signs,
		symbolIDs: f.agg.internAll(c.symbols.values)}
	f.agg.spans = append(f.agg.spans, batchSpan{firstRow: f.firstRow + f.rows, segment: segID, segmentRow: uint32(c.firstRow + from)})
	f.rows += uint32(to - from)
	return b, nil
}

// scatterBatch appends the batch's rows of the scatterer's partitions.
func (f *fold) scatterBatch(sc *scatterer, b *foldBatch) error {
	if sc.ids.n > 0 {
		for i := b.from; i < b.to; i++ {
			hash := b.idHashes[i]
			row := f.firstRow + b.firstFoldRow + uint32(i-b.from)
			sc.stagedIDs.addOwned(sc.ids, hash>>(64-idPartitionBits), newIDEntry(hash, row))
		}
	}
	if sc.n == 0 { // not a scatterer of positions
		return nil
	}
	marksTraded := sc.nth == 0
	if marksTraded {
		for _, symbol := range b.symbolIDs {
			if int(symbol) >= len(sc.traded) {
				sc.traded = append(sc.traded, make([]bool, int(symbol)+1-len(sc.traded))...)
			}
		}
	}
	for i := b.from; i < b.to; i++ {
		user := b.userID[i]
		if user <= 0 {
			return fmt.Errorf("row %d (offset %d) has user_id %d", b.firstRow+i, b.offset[i], user)
		}
		row := b.firstFoldRow + uint32(i-b.from)
		symbol := b.symbolIDs[b.symbols.indices[i]]
		if marksTraded {
			sc.traded[symbol] = true
		}
		shares := b.signs[b.sides.indices[i]] * b.quantity[i]
		if key, ok := packedKey(user, symbol); ok {
			part := f.users.of(user)
			small, fits := entryShares(shares)
			if !fits {
				if _, owned := sc.positions.index(part); owned {
					sc.largeShares = append(sc.largeShares, largeShare{row: row, shares: shares})
				}
			}
			sc.stagedPositions.addOwned(sc.positions, part, positionEntry{key: key, shares: small, row: row})
		} else if sc.nth == 0 {
			sc.wide = append(sc.wide, wideEntry{user: user, symbol: symbol, shares: shares, row: row})
		}
	}
	return nil
}

// batchSpan says where a batch's rows in range lie in the master dataset: the aggregate's
// rows from firstRow on are the segment's rows from segmentRow on.
type batchSpan struct {
	firstRow   uint32
	segment    uint32
	segmentRow uint32
}

// takePartition hands over partition p from the scatterer that owns it, which then
// forgets it.
func takePartition[T any](scatterers []*scatterer, owned func(*scatterer) (ownedParts, [][]T), p int) []T {
	for _, sc := range scatterers {
		parts, lists := owned(sc)
		if i, ok := parts.index(uint64(p)); ok {
			list := lists[i]
			lists[i] = nil
			return list
		}
	}
	return nil
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
		entries := takePartition(f.scatterers, func(sc *scatterer) (ownedParts, [][]idEntry) { return sc.ids, sc.idParts }, p)
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

// sum adds up every partition's rows that are not duplicates, in row order, each
// partition in a table of its own, and collects the non-zero positions, sorted.
func (f *fold) sum(ctx context.Context) error {
	f.rankSymbols()
	type tally struct {
		applied, overflows, net int64
	}
	workers := runtime.GOMAXPROCS(0)
	tallies := make([]tally, workers)
	// A table per worker, cleared between partitions: a new one per partition cost
	// half a gigabyte of fresh memory for 50M trades.
	tables := make([]positionTable, workers)
	f.sorted = make([][]keyedPosition, f.users.count())
	sortBuffers := make([][]keyedPosition, workers)
	// Duplicates are rare; without any, the bitmap is not read (one cache miss a row).
	anyDuplicate := f.stats.Duplicates > 0
	_, err := forEachPartition(ctx, f.users.count(), func(w, p int) {
		entries := takePartition(f.scatterers, func(sc *scatterer) (ownedParts, [][]positionEntry) { return sc.positions, sc.positionParts }, p)
		// The table and the counts are the goroutine's own while it sums: kept in the
		// slices shared by the workers, side by side, every row wrote to a cache line
		// the other core wrote too (the table's count and the tallies were half of the
		// sum's time in the 50M-trade profile).
		table, t := tables[w], tallies[w]
		table.reset(len(entries) / 4)
		for _, e := range entries {
			if anyDuplicate && f.isDuplicate(e.row) {
				continue
			}
			shares := int64(e.shares)
			if e.shares == largeSharesMark {
				shares = largeShareOf(f.largeShares, e.row)
			}
			slot := table.slot(e.key)
			sum, ok := ledger.AddShares(slot.shares, shares)
			if !ok {
				t.overflows++
				continue
			}
			slot.shares = sum
			t.applied++
			t.net += shares
		}
		f.sorted[p] = table.sortedPositions(f.foldRank, &sortBuffers[w])
		tables[w], tallies[w] = table, t
	})
	if err != nil {
		return err
	}
	wide := map[position]int64{}
	var wideRows []wideEntry // one scatterer keeps them all, in row order
	for _, sc := range f.scatterers {
		wideRows = append(wideRows, sc.wide...)
	}
	for _, e := range wideRows {
		if f.isDuplicate(e.row) {
			continue
		}
		k := position{user: e.user, symbol: e.symbol}
		sum, ok := ledger.AddShares(wide[k], e.shares)
		if !ok {
			f.stats.Overflows++
			continue
		}
		wide[k] = sum
		f.stats.Applied++
		f.stats.NetShares += e.shares
	}
	for k, shares := range wide {
		if shares != 0 {
			f.wide = append(f.wide, position{user: k.user, symbol: f.foldRank[k.symbol], shares: shares})
		}
	}
	slices.SortFunc(f.wide, comparePositions)
	for _, t := range tallies {
		f.stats.Applied += t.applied
		f.stats.Overflows += t.overflows
		f.stats.NetShares += t.net
	}
	return nil
}

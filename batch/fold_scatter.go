package batch

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/autonews/autonews/ledger"
)

// The scatter reads the segments in two passes. The first reads offsets and trade_ids: it
// numbers the rows in range and appends each row's id entry to its id partition, and
// deduplication then marks the rows whose trade_id was folded before. The second reads
// users, symbols, sides and quantities, and appends the position entry of every row that
// is not a duplicate. A position entry then needs no row number to be skipped by: 12
// bytes where it was 16, 200 MB less memory written for the first time in the 50M-trade
// fold, and the sum tests no bitmap. Each pass decodes only its own columns, so the two
// read what one did.

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

// positionEntry is a row's position key and its signed quantity, in 12 bytes (a uint64
// key's alignment would make 16): the scatter writes one a row to fresh memory and the
// sum reads it back. A quantity that does not fit in 32 bits is kept beside, in its
// partition's order (see largeSharesMark).
type positionEntry struct {
	keyLow, keyHigh uint32 // packedKey(user, symbol)
	shares          int32  // or largeSharesMark
}

func newPositionEntry(key uint64, shares int32) positionEntry {
	return positionEntry{keyLow: uint32(key), keyHigh: uint32(key >> 32), shares: shares}
}

func (e positionEntry) key() uint64 { return uint64(e.keyHigh)<<32 | uint64(e.keyLow) }

// largeSharesMark stands in an entry for a signed quantity outside (MinInt32, MaxInt32],
// which the partition's list of large quantities holds in the entries' order. The
// contract allows quantities up to 10^12: should most trades be that large, these cost 8
// bytes a row more.
const largeSharesMark = math.MinInt32

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
}

// candidate is a row whose trade_id hash was folded before: a duplicate if the trade_id
// read where the hash was first seen is the same. Both are the aggregate's row numbers.
type candidate struct {
	first, row uint32
}

// batchRange is where a batch's rows in range lie: the batch starts at the segment's row
// start, and its rows [from, to) are numbered firstFoldRow on. The first pass works it
// out from the offsets; the second, from the batch's span (see batchSpan).
type batchRange struct {
	start        int
	from, to     int
	firstFoldRow uint32
}

// foldBatch is a batch of a segment on its way through a pass.
type foldBatch struct {
	*tradeColumns
	batchRange
	path    string
	readers atomic.Int32
}

// done is called by each reader of the batch; the last releases it.
func (b *foldBatch) done() {
	if b.readers.Add(-1) == 0 {
		b.release()
	}
}

// batchPreparer makes a batch read from a segment into a foldBatch, or returns nil when
// the batch holds no row in range.
type batchPreparer func(c *tradeColumns, seg Segment, segID uint32) (*foldBatch, error)

// segmentReaders is how many goroutines of a pass decode segments, each a segment at a
// time. With one, the 50M-trade fold's first pass waited on its trade_ids' decoding: its
// cores were busy 1.86 seconds a second, 1.89 with two, and the pass took 0.86-0.96 s
// against 0.88-1.11 s (four alternating runs). The second pass waits on its scatterer
// either way (1.77 and 1.81); two scatterers, each keeping half the partitions, were
// slower (1.08-1.19 s against 0.81-0.97 s).
const segmentReaders = 2

// decodedBatch is a batch a segment reader decoded, the end of a segment, or the error
// that stopped the reader.
type decodedBatch struct {
	columns    *tradeColumns
	segmentEnd bool
	err        error
}

// readPass reads the columns cols of the segments and hands every batch that prepare
// makes to each consumer, in order. It owns goroutines that decode segments side by side
// (each batch's columns too, see tradePages.read), one that prepares the batches in the
// segments' order, and one per consumer, so that decoding and scattering overlap.
// Cancelling ctx or an error in any stops all.
func (f *fold) readPass(ctx context.Context, segs []Segment, cols columnSet, prepare batchPreparer, consumers []func(*foldBatch) error) error {
	g, gctx := errgroup.WithContext(ctx)
	// Reader r decodes segments r, r+readers, ... into decoded[r], in order.
	decoded := make([]chan decodedBatch, min(segmentReaders, len(segs)))
	for r := range decoded {
		decoded[r] = make(chan decodedBatch, 2)
		g.Go(func() error {
			send := func(d decodedBatch) bool {
				select {
				case decoded[r] <- d:
					return true
				case <-gctx.Done():
					return false
				}
			}
			for i := r; i < len(segs); i += len(decoded) {
				err := readTradeColumns(gctx, segs[i].Path, f.agg.hashID, cols, func(c *tradeColumns) error {
					c.retain()
					if !send(decodedBatch{columns: c}) {
						c.release()
						return gctx.Err()
					}
					return nil
				})
				if err != nil {
					err = fmt.Errorf("read master segment %s: %w", segs[i].Path, err)
					send(decodedBatch{err: err}) // for the preparer to stop at, in order
					return err
				}
				if !send(decodedBatch{segmentEnd: true}) {
					return gctx.Err()
				}
			}
			return nil
		})
	}
	inboxes := make([]chan *foldBatch, len(consumers))
	for i := range inboxes {
		inboxes[i] = make(chan *foldBatch, 2)
	}
	g.Go(func() error {
		defer func() {
			for _, inbox := range inboxes {
				close(inbox)
			}
		}()
		for i, seg := range segs {
			segID := f.agg.segmentID(seg)
			for {
				var d decodedBatch
				select {
				case d = <-decoded[i%len(decoded)]:
				case <-gctx.Done():
					return gctx.Err()
				}
				if d.err != nil {
					return d.err
				}
				if d.segmentEnd {
					break
				}
				if err := f.handOut(gctx, d.columns, seg, segID, prepare, inboxes); err != nil {
					return err
				}
			}
		}
		return nil
	})
	for i, consume := range consumers {
		g.Go(func() error {
			for b := range inboxes[i] {
				err := consume(b)
				b.done()
				if err != nil {
					return fmt.Errorf("fold master segment %s: %w", b.path, err)
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// handOut prepares a decoded batch and hands it to every consumer's inbox; a batch with
// no row in range goes back to the pool at once.
func (f *fold) handOut(ctx context.Context, c *tradeColumns, seg Segment, segID uint32, prepare batchPreparer, inboxes []chan *foldBatch) error {
	b, err := prepare(c, seg, segID)
	if err != nil || b == nil {
		c.release()
		if err != nil {
			return fmt.Errorf("read master segment %s: %w", seg.Path, err)
		}
		return nil
	}
	b.readers.Store(int32(len(inboxes)))
	for i, inbox := range inboxes {
		select {
		case inbox <- b:
		case <-ctx.Done():
			b.readers.Add(int32(i + 1 - len(inboxes))) // the consumers left without it
			b.done()
			return ctx.Err()
		}
	}
	return nil
}

// scatterers is how many goroutines scatter a pass's rows: each sees every row and keeps
// those of the partitions it owns, so that a partition has one writer and holds its rows
// in row order. (Split by batch instead, a partition had a list per scatterer, which
// deduplication and the sum merged by row: 1.9 s of the 50M-trade fold's 19.7 s of CPU.)
func (f *fold) scatterers() int {
	if f.agg.scatterWorkers > 0 {
		return f.agg.scatterWorkers
	}
	return 1 // the pass's segment readers keep the other core busy (see segmentReaders)
}

// idScatterer is a goroutine of the first pass and the id partitions it owns.
type idScatterer struct {
	owned  ownedParts
	staged *stagedParts[idEntry] // while the pass runs
	parts  [][]idEntry           // the owned partitions, the first at owned.first
}

// positionScatterer is a goroutine of the second pass and the position partitions it
// owns.
type positionScatterer struct {
	owned  ownedParts
	staged *stagedParts[positionEntry] // while the pass runs
	parts  [][]positionEntry
	// largeShares holds, for each owned partition, the signed quantities of its entries
	// that hold largeSharesMark, in the entries' order.
	largeShares [][]int64
	// The first scatterer keeps the rows whose keys do not pack.
	first bool
	wide  []wideEntry
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

// takePartition hands over partition p from the scatterer that owns it, which then
// forgets it.
func takePartition[S, T any](scatterers []S, owned func(S) (ownedParts, [][]T), p int) []T {
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

// scatterIDs is the first pass: it numbers the segments' rows between the aggregate's
// cut and cut, and appends each one's id entry to its id partition.
func (f *fold) scatterIDs(ctx context.Context, segs []Segment, cut ledger.Cut, rows int) error {
	workers := f.scatterers()
	f.idScatterers = make([]*idScatterer, workers)
	consumers := make([]func(*foldBatch) error, workers)
	for w := range workers {
		sc := &idScatterer{owned: share(w, workers, 1<<idPartitionBits)}
		// Hashes spread rows evenly: sized up front with some slack, the partitions
		// rarely grow, which cost a third of the scatter in the 50M-trade profile.
		sc.staged = newStagedParts(presized[idEntry](int(sc.owned.n), rows>>idPartitionBits))
		f.idScatterers[w] = sc
		consumers[w] = func(b *foldBatch) error {
			f.scatterIDBatch(sc, b)
			return nil
		}
	}
	number := func(c *tradeColumns, seg Segment, segID uint32) (*foldBatch, error) {
		return f.numberBatch(c, seg, segID, cut)
	}
	if err := f.readPass(ctx, segs, offsetColumn|idColumn, number, consumers); err != nil {
		return err
	}
	f.stats.Rows = int64(f.rows)
	for _, sc := range f.idScatterers {
		sc.parts, sc.staged = sc.staged.flush(), nil
	}
	return nil
}

// numberBatch finds the batch's rows in range and numbers them; nil when there are none.
func (f *fold) numberBatch(c *tradeColumns, seg Segment, segID uint32, cut ledger.Cut) (*foldBatch, error) {
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
	r := batchRange{start: c.firstRow, from: from, to: to, firstFoldRow: f.rows}
	f.agg.spans = append(f.agg.spans, batchSpan{firstRow: f.firstRow + f.rows, segment: segID, segmentRow: uint32(c.firstRow + from), rows: uint32(to - from)})
	f.rows += uint32(to - from)
	return &foldBatch{tradeColumns: c, batchRange: r, path: seg.Path}, nil
}

// scatterIDBatch appends the id entries of the batch's rows in the scatterer's
// partitions.
func (f *fold) scatterIDBatch(sc *idScatterer, b *foldBatch) {
	for i := b.from; i < b.to; i++ {
		hash := b.idHashes[i]
		row := f.firstRow + b.firstFoldRow + uint32(i-b.from)
		sc.staged.addOwned(sc.owned, hash>>(64-idPartitionBits), newIDEntry(hash, row))
	}
}

// scatterPositions is the second pass: it appends the position entry of every row the
// first numbered that is not a duplicate to its position partition.
func (f *fold) scatterPositions(ctx context.Context, segs []Segment) error {
	workers := f.scatterers()
	f.positionScatterers = make([]*positionScatterer, workers)
	consumers := make([]func(*foldBatch) error, workers)
	for w := range workers {
		sc := &positionScatterer{owned: share(w, workers, f.users.count()), first: w == 0}
		// Users' ranges spread rows about evenly (see presized in scatterIDs).
		sc.staged = newStagedParts(presized[positionEntry](int(sc.owned.n), int(f.rows)/f.users.count()))
		sc.largeShares = make([][]int64, sc.owned.n)
		f.positionScatterers[w] = sc
		consumers[w] = func(b *foldBatch) error { return f.scatterPositionBatch(sc, b) }
	}
	f.nextSpan = f.firstSpan
	if err := f.readPass(ctx, segs, positionColumns, f.rangedBatch, consumers); err != nil {
		return err
	}
	if f.nextSpan != len(f.agg.spans) {
		return fmt.Errorf("the second pass over the master dataset met %d of the first pass's %d batches: were segments replaced?", f.nextSpan-f.firstSpan, len(f.agg.spans)-f.firstSpan)
	}
	for _, sc := range f.positionScatterers {
		sc.parts, sc.staged = sc.staged.flush(), nil
	}
	for symbol, traded := range f.tradedSymbols {
		if traded {
			f.traded = append(f.traded, uint32(symbol))
		}
	}
	return nil
}

// rangedBatch gives a batch of the second pass the range the first found in it, from the
// span it recorded; nil when the first found none.
func (f *fold) rangedBatch(c *tradeColumns, seg Segment, segID uint32) (*foldBatch, error) {
	if f.nextSpan == len(f.agg.spans) {
		return nil, nil
	}
	s := f.agg.spans[f.nextSpan]
	from := int(s.segmentRow) - c.firstRow
	if s.segment != segID || from < 0 || from >= c.rows {
		return nil, nil
	}
	if from+int(s.rows) > c.rows {
		return nil, fmt.Errorf("rows %d-%d hold %d rows the first pass found in range at row %d: was the segment replaced?", c.firstRow, c.firstRow+c.rows-1, s.rows, s.segmentRow)
	}
	f.nextSpan++
	r := batchRange{start: c.firstRow, from: from, to: from + int(s.rows), firstFoldRow: s.firstRow - f.firstRow}
	b := &foldBatch{tradeColumns: c, batchRange: r, path: seg.Path}
	if err := f.resolveRows(b); err != nil {
		return nil, err
	}
	return b, nil
}

// resolveRows checks the batch's rows in range and turns, in place, each row's symbol
// index into the aggregate's symbol id and its quantity into a signed one; it works out
// each row's position key and partition, and marks the symbols traded. It runs in the
// second pass's preparer, which otherwise waited for the scatterer, the slower of the
// two: in the scatterer, the 50M-trade fold's second pass took 0.97-1.24 s, against
// 0.82-1.00 s this way (four alternating runs).
func (f *fold) resolveRows(b *foldBatch) error {
	signs, err := sideSigns(b.sides.values)
	if err != nil {
		return err
	}
	symbolIDs := f.agg.internAll(b.symbols.values)
	for _, symbol := range symbolIDs {
		if int(symbol) >= len(f.tradedSymbols) {
			f.tradedSymbols = append(f.tradedSymbols, make([]bool, int(symbol)+1-len(f.tradedSymbols))...)
		}
	}
	users, symbols, sides, quantities := b.userID[b.from:b.to], b.symbols.indices[b.from:b.to], b.sides.indices[b.from:b.to], b.quantity[b.from:b.to]
	keys, parts := b.positionKeys[b.from:b.to], b.positionParts[b.from:b.to]
	for i, user := range users {
		if user <= 0 {
			return fmt.Errorf("row %d has user_id %d", b.start+b.from+i, user)
		}
		symbol := symbolIDs[symbols[i]]
		f.tradedSymbols[symbol] = true // a duplicate's symbol too: its price counts
		symbols[i] = int32(symbol)
		quantities[i] *= signs[sides[i]]
		key, ok := packedKey(user, symbol)
		keys[i], parts[i] = key, int32(f.users.of(user))
		if !ok {
			parts[i] = wideRow
		}
	}
	return nil
}

// wideRow stands for the position partition of a row whose key does not pack.
const wideRow = -1

// scatterPositionBatch appends the position entries of the batch's rows in the
// scatterer's partitions, duplicates left out, as resolveRows made them.
func (f *fold) scatterPositionBatch(sc *positionScatterer, b *foldBatch) error {
	// Duplicates are rare; without any, the bitmap is not read.
	anyDuplicate := f.stats.Duplicates > 0
	for i := b.from; i < b.to; i++ {
		if anyDuplicate && f.isDuplicate(b.firstFoldRow+uint32(i-b.from)) {
			continue
		}
		shares, part := b.quantity[i], b.positionParts[i]
		if part == wideRow {
			if sc.first {
				sc.wide = append(sc.wide, wideEntry{user: b.userID[i], symbol: uint32(b.symbols.indices[i]), shares: shares})
			}
			continue
		}
		small, fits := entryShares(shares)
		if !fits {
			if j, owned := sc.owned.index(uint64(part)); owned {
				sc.largeShares[j] = append(sc.largeShares[j], shares)
			}
		}
		sc.staged.addOwned(sc.owned, uint64(part), newPositionEntry(b.positionKeys[i], small))
	}
	return nil
}

// batchSpan says where a batch's rows in range lie in the master dataset: the aggregate's
// rows from firstRow on are the segment's rows from segmentRow on, rows of them. The
// aggregate keeps the spans to locate a candidate's row; a fold's second pass reads its
// batches' ranges from them.
type batchSpan struct {
	firstRow   uint32
	segment    uint32
	segmentRow uint32
	rows       uint32
}

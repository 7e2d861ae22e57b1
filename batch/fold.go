package batch

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"golang.org/x/sync/errgroup"

	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/message"
)

// Aggregate is the batch layer's running fold of the master dataset's trades. It holds
// every trade_id folded so far (as hashes, with where each trade was read), so that it can
// advance from one cut to a later one reading only the rows in between: a cycle then costs
// what arrived since the previous one, not the whole history, and stays exact.
//
// An Aggregate is not safe for concurrent use; the coordinator owns it. After an Advance
// fails, it matches no cut any more and refuses to advance: start a new one.
type Aggregate struct {
	master *Master
	cut    ledger.Cut

	hashID   func(string) uint64 // maphash with a seed of the aggregate's own; tests collide it
	ids      idSet
	collided map[string]struct{} // trade_ids whose hash an earlier, different trade_id holds

	segments   []Segment // the segments rows were read from; rowLocation.segment indexes it
	segmentIDs map[string]uint32

	symbols map[string]uint32 // symbol ids in the order symbols were first seen
	names   []string

	trades    int64 // trades applied below cut
	netShares int64 // their signed quantities, summed modulo 2^64 like the positions
	err       error
}

// NewAggregate starts an aggregate that has folded nothing: it advances from the empty
// snapshot.
func NewAggregate(master *Master) *Aggregate {
	seed := maphash.MakeSeed()
	return &Aggregate{
		master: master, cut: ledger.Cut{}, hashID: func(id string) uint64 { return maphash.String(seed, id) }, ids: newIDSet(0),
		collided: map[string]struct{}{}, segmentIDs: map[string]uint32{}, symbols: map[string]uint32{},
	}
}

// Cut returns the offsets below which the aggregate has folded every archived trade.
func (a *Aggregate) Cut() ledger.Cut { return a.cut.Clone() }

// ErrIncrementOverflow means a position of the base snapshot plus the new trades does not
// fit in 64 bits. Which trade to reject depends on the order of the whole history, so the
// caller recomputes from the start.
var ErrIncrementOverflow = errors.New("a position would overflow when new trades are added to the previous snapshot")

// Advance folds the archived trades between the aggregate's cut and cut into base, the
// snapshot at the aggregate's cut, and returns the snapshot of epoch at cut. Each trade_id
// counts once, at its first occurrence in (partition, offset) order.
func (a *Aggregate) Advance(ctx context.Context, base *ledger.Snapshot, epoch uint64, cut ledger.Cut) (*ledger.Snapshot, ComputeStats, error) {
	start := time.Now()
	if a.err != nil {
		return nil, ComputeStats{}, fmt.Errorf("the aggregate failed before and matches no cut: %w", a.err)
	}
	if !base.Cut.Equal(a.cut) {
		return nil, ComputeStats{}, fmt.Errorf("the aggregate holds the trades below %s, not below the base snapshot's cut %s", a.cut, base.Cut)
	}
	if !cut.Covers(a.cut) {
		return nil, ComputeStats{}, fmt.Errorf("cut %s is behind the aggregate's cut %s", cut, a.cut)
	}
	incremental := !a.cut.Equal(ledger.Cut{})
	snap, stats, err := a.advance(ctx, base, epoch, cut)
	if err != nil {
		a.err = err
		return nil, stats, err
	}
	a.cut = cut.Clone()
	a.trades += stats.Applied
	a.netShares += stats.NetShares
	stats.Trades, stats.NetShares = a.trades, a.netShares
	stats.Incremental = incremental
	stats.Elapsed = time.Since(start)
	return snap, stats, nil
}

func (a *Aggregate) advance(ctx context.Context, base *ledger.Snapshot, epoch uint64, cut ledger.Cut) (*ledger.Snapshot, ComputeStats, error) {
	segs, err := a.master.Segments(message.TradesTopic)
	if err != nil {
		return nil, ComputeStats{}, err
	}
	var todo []Segment
	var rows int
	covered := ledger.Cut{}
	for _, seg := range segs {
		lo, hi := a.cut[seg.Partition], cut[seg.Partition]
		if seg.Last < lo || seg.First >= hi {
			continue
		}
		todo = append(todo, seg)
		rows += int(min(seg.Last+1, hi) - max(seg.First, lo))
		covered[seg.Partition] = max(covered[seg.Partition], seg.Last+1)
	}
	for p, off := range cut {
		if off > a.cut[p] && covered[p] < off {
			return nil, ComputeStats{}, fmt.Errorf("master dataset covers partition %d only below offset %d, short of the cut at %d", p, covered[p], off)
		}
	}
	if need := a.ids.n + rows; tableSize(need) > len(a.ids.hashes) {
		a.ids.resize(need)
	}
	f := &fold{agg: a, positions: newPositionTable(rows / 4)}
	f.stats.Segments = len(todo)
	if err := f.run(ctx, todo, cut); err != nil {
		return nil, f.stats, err
	}
	if err := f.resolveCandidates(ctx); err != nil {
		return nil, f.stats, err
	}
	snap, err := f.merge(base, epoch, cut)
	return snap, f.stats, err
}

func (a *Aggregate) segmentID(seg Segment) uint32 {
	id, ok := a.segmentIDs[seg.Path]
	if !ok {
		id = uint32(len(a.segments))
		a.segments = append(a.segments, seg)
		a.segmentIDs[seg.Path] = id
	}
	return id
}

// internAll returns the aggregate's symbol id of each of a batch dictionary's values.
func (a *Aggregate) internAll(values *array.String, ids []uint32) []uint32 {
	ids = ids[:0]
	for i := 0; i < values.Len(); i++ {
		name := values.Value(i)
		id, ok := a.symbols[name]
		if !ok {
			name = cloneString(name) // Value aliases the batch's buffer
			id = uint32(len(a.names))
			a.symbols[name] = id
			a.names = append(a.names, name)
		}
		ids = append(ids, id)
	}
	return ids
}

// fold is one Advance's work: the trades between two cuts, summed by position.
type fold struct {
	agg        *Aggregate
	stats      ComputeStats
	positions  positionTable
	prices     []ledger.PriceMark // by symbol id; a zero At.Offset and TSMicros mean none
	priced     []bool
	candidates []candidate
}

// candidate is a trade whose trade_id hash was seen before: a duplicate if the trade_id
// read at first is the same.
type candidate struct {
	first  rowLocation
	id     string
	user   int64
	symbol uint32
	shares int64
	mark   ledger.PriceMark
}

// foldBatch is a batch of a segment on its way through the fold.
type foldBatch struct {
	*tradeColumns
	seg     Segment
	segID   uint32
	lo, hi  int64     // the offsets of the segment this run folds
	seen    []seenRow // rows whose trade_id hash was folded before, in row order
	unknown int       // index of seen's next row not yet visited by the fold
}

type seenRow struct {
	row   int // within the batch
	first rowLocation
}

// run folds the segments' rows between the aggregate's cut and cut. Three goroutines it
// owns form a pipeline, so that Parquet decoding, trade_id deduplication and summing
// overlap on two cores: the reader decodes batches, the deduplicator checks every
// trade_id against the id set (which only it touches), and the caller's goroutine sums
// positions (the only one to touch them and the symbol table). Cancelling ctx or an error
// in any stage stops all three.
func (f *fold) run(ctx context.Context, segs []Segment, cut ledger.Cut) error {
	g, gctx := errgroup.WithContext(ctx)
	read := make(chan *foldBatch, 4)
	deduplicated := make(chan *foldBatch, 4)
	send := func(to chan<- *foldBatch, b *foldBatch) error {
		select {
		case to <- b:
			return nil
		case <-gctx.Done():
			b.release()
			return gctx.Err()
		}
	}
	g.Go(func() error {
		defer close(read)
		for _, seg := range segs {
			segID := f.agg.segmentID(seg)
			err := readTradeColumns(gctx, seg.Path, func(c *tradeColumns) error {
				if c.firstRow+c.rows > math.MaxUint32 {
					return fmt.Errorf("more than %d rows in one segment", math.MaxUint32)
				}
				c.retain()
				return send(read, &foldBatch{tradeColumns: c, seg: seg, segID: segID, lo: f.agg.cut[seg.Partition], hi: cut[seg.Partition]})
			})
			if err != nil {
				return fmt.Errorf("read master segment %s: %w", seg.Path, err)
			}
		}
		return nil
	})
	g.Go(func() error {
		defer close(deduplicated)
		for b := range read {
			f.deduplicate(b)
			if err := send(deduplicated, b); err != nil {
				return err
			}
		}
		return nil
	})
	g.Go(func() error {
		var symbolIDs []uint32
		for b := range deduplicated {
			var err error
			symbolIDs, err = f.sum(b, symbolIDs)
			b.release()
			if err != nil {
				return fmt.Errorf("fold master segment %s: %w", b.seg.Path, err)
			}
		}
		return nil
	})
	return g.Wait()
}

// deduplicate notes every in-range trade_id of the batch in the id set, and lists the rows
// whose hash was there before.
func (f *fold) deduplicate(b *foldBatch) {
	for i := 0; i < b.rows; i++ {
		if offset := b.offset[i]; offset < b.lo || offset >= b.hi {
			continue
		}
		hash := f.agg.hashID(b.tradeID.Value(i))
		if first, seen := f.agg.ids.insert(hash, rowLocation{segment: b.segID, row: uint32(b.firstRow + i)}); seen {
			b.seen = append(b.seen, seenRow{row: i, first: first})
		}
	}
}

// sum applies the batch's in-range trades whose trade_id is new, and keeps the others as
// candidates for a duplicate.
func (f *fold) sum(b *foldBatch, symbolIDs []uint32) ([]uint32, error) {
	symbolIDs = f.agg.internAll(b.symbols.values, symbolIDs)
	signs, err := sideSigns(b.sides.values)
	if err != nil {
		return symbolIDs, err
	}
	for i := 0; i < b.rows; i++ {
		offset := b.offset[i]
		if offset < b.lo || offset >= b.hi {
			continue
		}
		user := b.userID[i]
		if user <= 0 {
			return symbolIDs, fmt.Errorf("row %d (offset %d) has user_id %d", b.firstRow+i, offset, user)
		}
		f.stats.Rows++
		symbol := symbolIDs[b.symbols.indices[i]]
		shares := signs[b.sides.indices[i]] * b.quantity[i]
		mark := ledger.PriceMark{Price: b.price[i], TSMicros: int64(b.ts[i]), At: ledger.LogPosition{Partition: b.seg.Partition, Offset: offset}}
		if b.unknown < len(b.seen) && b.seen[b.unknown].row == i {
			f.notePrice(symbol, mark)
			id := cloneString(b.tradeID.Value(i))
			f.candidates = append(f.candidates, candidate{first: b.seen[b.unknown].first, id: id, user: user, symbol: symbol, shares: shares, mark: mark})
			b.unknown++
			continue
		}
		f.apply(user, symbol, shares, mark)
	}
	return symbolIDs, nil
}

// sideSigns maps a batch's side dictionary to the sign each side gives a quantity.
func sideSigns(values *array.String) ([]int64, error) {
	signs := make([]int64, values.Len())
	for i := range signs {
		switch v := values.Value(i); v {
		case "BUY":
			signs[i] = 1
		case "SELL":
			signs[i] = -1
		default:
			return nil, fmt.Errorf("side %q is neither BUY nor SELL", v)
		}
	}
	return signs, nil
}

// apply is the batch layer's form of ledger.Book.Apply: the same sum, the same overflow
// refusal, the same last-price rule.
func (f *fold) apply(user int64, symbol uint32, shares int64, mark ledger.PriceMark) {
	if !f.positions.add(user, symbol, shares) {
		f.stats.Overflows++
		return
	}
	f.stats.Applied++
	f.stats.NetShares += shares
	f.notePrice(symbol, mark)
}

// notePrice moves the symbol's last price if mark is later. Redelivered rows count too:
// they carry their trade's price, and counting every row makes the last price independent
// of which copy of a trade a run folded first.
func (f *fold) notePrice(symbol uint32, mark ledger.PriceMark) {
	if int(symbol) >= len(f.prices) {
		f.prices = append(f.prices, make([]ledger.PriceMark, len(f.agg.names)-len(f.prices))...)
		f.priced = append(f.priced, make([]bool, len(f.agg.names)-len(f.priced))...)
	}
	if !f.priced[symbol] || mark.Supersedes(f.prices[symbol]) {
		f.prices[symbol], f.priced[symbol] = mark, true
	}
}

// resolveCandidates reads the first trade_id of every hash seen twice: the same id is a
// duplicate, a different one a hash collision, applied like any new trade.
func (f *fold) resolveCandidates(ctx context.Context) error {
	if len(f.candidates) == 0 {
		return nil
	}
	rowsBySegment := map[uint32][]int{}
	for _, c := range f.candidates {
		rowsBySegment[c.first.segment] = append(rowsBySegment[c.first.segment], int(c.first.row))
	}
	firstIDs := make(map[rowLocation]string, len(f.candidates))
	for seg, rows := range rowsBySegment {
		slices.Sort(rows)
		rows = slices.Compact(rows)
		path := f.agg.segments[seg].Path
		ids, err := readTradeIDs(ctx, path, rows)
		if err != nil {
			return fmt.Errorf("read trade ids of master segment %s: %w", path, err)
		}
		for i, row := range rows {
			firstIDs[rowLocation{segment: seg, row: uint32(row)}] = ids[i]
		}
	}
	for _, c := range f.candidates {
		if _, collidedBefore := f.agg.collided[c.id]; c.id == firstIDs[c.first] || collidedBefore {
			f.stats.Duplicates++
			continue
		}
		f.agg.collided[c.id] = struct{}{}
		f.apply(c.user, c.symbol, c.shares, c.mark)
	}
	f.candidates = nil
	return nil
}

// merge adds the fold's positions to base's and returns the snapshot of epoch at cut.
// Both are sorted, so this is one linear pass.
func (f *fold) merge(base *ledger.Snapshot, epoch uint64, cut ledger.Cut) (*ledger.Snapshot, error) {
	baseCols := base.Columns()
	names := slices.Concat(baseCols.SymbolNames, f.agg.names)
	slices.Sort(names)
	names = slices.Clip(slices.Compact(names))
	rank := make(map[string]uint32, len(names))
	for i, n := range names {
		rank[n] = uint32(i)
	}
	baseRank := make([]uint32, len(baseCols.SymbolNames))
	for i, n := range baseCols.SymbolNames {
		baseRank[i] = rank[n]
	}
	foldRank := make([]uint32, len(f.agg.names))
	for i, n := range f.agg.names {
		foldRank[i] = rank[n]
	}

	delta := make([]position, 0, f.positions.n+len(f.positions.wide))
	f.positions.each(func(user int64, symbol uint32, shares int64) {
		if shares != 0 {
			delta = append(delta, position{user: user, symbol: foldRank[symbol], shares: shares})
		}
	})
	f.positions = positionTable{}
	sortPositions(delta)

	n := len(baseCols.Users) + len(delta)
	out := ledger.SnapshotColumns{Users: make([]int64, 0, n), Symbols: make([]uint32, 0, n), Shares: make([]int64, 0, n), SymbolNames: names}
	emit := func(p position) {
		if p.shares != 0 {
			out.Users = append(out.Users, p.user)
			out.Symbols = append(out.Symbols, p.symbol)
			out.Shares = append(out.Shares, p.shares)
		}
	}
	i := 0
	for _, d := range delta {
		for ; i < len(baseCols.Users); i++ {
			b := position{user: baseCols.Users[i], symbol: baseRank[baseCols.Symbols[i]], shares: baseCols.Shares[i]}
			c := comparePositions(b, d)
			if c > 0 {
				break
			}
			if c == 0 {
				sum, ok := ledger.AddShares(b.shares, d.shares)
				if !ok {
					return nil, fmt.Errorf("user %d symbol %s: %w", d.user, names[d.symbol], ErrIncrementOverflow)
				}
				d.shares = sum
				i++
				break
			}
			emit(b)
		}
		emit(d)
	}
	for ; i < len(baseCols.Users); i++ {
		emit(position{user: baseCols.Users[i], symbol: baseRank[baseCols.Symbols[i]], shares: baseCols.Shares[i]})
	}
	if waste := cap(out.Users) - len(out.Users); waste > len(out.Users)/16 {
		out.Users, out.Symbols, out.Shares = slices.Clone(out.Users), slices.Clone(out.Symbols), slices.Clone(out.Shares)
	}

	prices := maps.Clone(base.Prices())
	if prices == nil {
		prices = map[string]ledger.PriceMark{}
	}
	for id, mark := range f.prices {
		name := f.agg.names[id]
		if old, ok := prices[name]; f.priced[id] && (!ok || mark.Supersedes(old)) {
			prices[name] = mark
		}
	}
	return ledger.NewSnapshot(epoch, cut, out, prices)
}

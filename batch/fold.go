package batch

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"

	"github.com/zeebo/xxh3"

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

	// hashID is XXH3 with a random seed of the aggregate's own, so that no input is made
	// to collide ahead of time; tests collide it. maphash took 6.0 ns a trade_id of the
	// bench (b0 to b49999999), XXH3 3.0.
	hashID func(string) uint64
	ids    []idSet // by the hash's top idPartitionBits
	// positionPartitionRows sizes the fold's position partitions; tests make them small.
	positionPartitionRows int
	// scatterWorkers is how many goroutines scatter a pass's rows; 0 is the default (see
	// fold.scatterers). Tests try several.
	scatterWorkers int
	// mergeSpans is how many spans the merge is split into; 0 is one per core. Tests try
	// several.
	mergeSpans int
	collided   map[string]struct{} // trade_ids whose hash an earlier, different trade_id holds

	segments   []Segment // the segments rows were read from; rowLocation.segment indexes it
	segmentIDs map[string]uint32
	// rows is how many rows the aggregate has folded: each has a number below it, which
	// the id set keeps, and spans say where the numbered rows lie in the master dataset.
	rows  uint32
	spans []batchSpan // in row order

	symbols message.SymbolNumbers // symbol ids in the order symbols were first seen

	trades    int64 // trades applied below cut
	netShares int64 // their signed quantities, summed modulo 2^64 like the positions
	err       error

	// idsSorted is closed when the goroutine that sorts the id set's unsorted runs,
	// started by the last Advance, is done; nil when none was started.
	idsSorted chan struct{}
}

// NewAggregate starts an aggregate that has folded nothing: it advances from the empty
// snapshot.
func NewAggregate(master *Master) *Aggregate {
	seed := rand.Uint64()
	return &Aggregate{
		master: master, cut: ledger.Cut{}, hashID: func(id string) uint64 { return xxh3.HashStringSeed(id, seed) }, ids: make([]idSet, 1<<idPartitionBits),
		positionPartitionRows: defaultPositionPartitionRows,
		collided:              map[string]struct{}{}, segmentIDs: map[string]uint32{},
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
	a.waitForSortedIDs()
	snap, stats, err := a.advance(ctx, base, epoch, cut)
	if err != nil {
		a.err = err
		return nil, stats, err
	}
	a.sortIDs()
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
	f := &fold{agg: a, firstRow: a.rows, firstSpan: len(a.spans), baseNames: base.Columns().SymbolNames}
	f.stats.Segments = len(todo)
	if err := f.run(ctx, todo, cut, rows); err != nil {
		return nil, f.stats, err
	}
	a.rows += f.rows
	start := time.Now()
	snap, err := f.merge(ctx, base, epoch, cut)
	f.stats.Phases.Merge = time.Since(start)
	return snap, f.stats, err
}

// sortIDs sorts, in a goroutine of its own, the runs of the id set that a first fold
// left unsorted (see idSet.addFirst), so that the snapshot is out sooner: the 50M-trade
// fold deduplicated in 0.16-0.19 s, against 0.32-0.40 s sorting each part (four
// alternating runs). The goroutine ends with the sort, and the next Advance waits for it.
func (a *Aggregate) sortIDs() {
	var parts []int
	for p := range a.ids {
		if a.ids[p].unsorted {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return
	}
	done := make(chan struct{})
	a.idsSorted = done
	go func() {
		defer close(done)
		scratch := make([]idScratch, runtime.GOMAXPROCS(0))
		forEachPartition(context.Background(), len(parts), func(w, i int) {
			a.ids[parts[i]].sortRun(&scratch[w])
		})
	}()
}

// waitForSortedIDs returns once the id set's runs are sorted.
func (a *Aggregate) waitForSortedIDs() {
	if a.idsSorted != nil {
		<-a.idsSorted
		a.idsSorted = nil
	}
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

// rowLocation names a row of the master dataset: a segment the aggregate has read and the
// row's number within it.
type rowLocation struct {
	segment uint32
	row     uint32
}

// locate returns where the aggregate's row lies in the master dataset.
func (a *Aggregate) locate(row uint32) rowLocation {
	i, found := slices.BinarySearchFunc(a.spans, row, func(s batchSpan, row uint32) int { return cmp.Compare(s.firstRow, row) })
	if !found {
		i-- // the span that starts before row
	}
	s := a.spans[i]
	return rowLocation{segment: s.segment, row: s.segmentRow + (row - s.firstRow)}
}

// internAll returns the aggregate's symbol id of each of a batch dictionary's values.
func (a *Aggregate) internAll(values []string) []uint32 {
	ids := make([]uint32, 0, len(values))
	for _, name := range values {
		id, ok := a.symbols.Lookup(name)
		if !ok {
			id = a.symbols.Number(cloneString(name)) // name may alias the batch's buffer
		}
		ids = append(ids, id)
	}
	return ids
}

// fold is one Advance's work: the trades between two cuts, summed by position.
type fold struct {
	agg   *Aggregate
	stats ComputeStats
	rows  uint32 // rows scattered so far; a row's number in the fold
	// firstRow is the aggregate's number of the fold's row 0: the id set keeps a row by
	// the aggregate's number, firstRow plus its number in the fold.
	firstRow uint32

	// The first pass appends a span to the aggregate's for each batch it finds rows in
	// range in, from firstSpan on; the second pass reads them again, and is at nextSpan.
	firstSpan, nextSpan int

	idScatterers       []*idScatterer
	positionScatterers []*positionScatterer
	users              userPartitions
	candidates         []candidate
	duplicate          []uint64 // bit per row: a trade_id folded before

	// prices are last prices by the aggregate's symbol id. Every row counts, redelivered
	// ones too: they carry their trade's price, and counting every row makes the last
	// price independent of which copy of a trade was read first.
	prices ledger.SymbolMarks
	// traded are the symbols of the rows in range: each needs a price. The second
	// pass's reader marks them in tradedSymbols, by the aggregate's symbol id.
	traded        []uint32
	tradedSymbols []bool

	// The snapshot's symbols are ranked by name; baseRank and foldRank map the base
	// snapshot's and the aggregate's symbol ids to their rank among names.
	baseNames, names   []string
	baseRank, foldRank []uint32

	// The fold's non-zero positions, by symbol rank: each position partition's sorted,
	// the partitions in user order; and the few whose keys do not pack, sorted.
	sorted [][]keyedPosition
	wide   []position
}

// sideSigns maps a batch's side dictionary to the sign each side gives a quantity.
func sideSigns(values []string) ([]int64, error) {
	signs := make([]int64, len(values))
	for i := range signs {
		switch v := values[i]; v {
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

// rankSymbols ranks the base snapshot's symbols and the aggregate's by name.
func (f *fold) rankSymbols() {
	names := slices.Concat(f.baseNames, f.agg.symbols.Names())
	slices.Sort(names)
	f.names = slices.Clip(slices.Compact(names))
	rank := make(map[string]uint32, len(f.names))
	for i, n := range f.names {
		rank[n] = uint32(i)
	}
	f.baseRank, f.foldRank = make([]uint32, len(f.baseNames)), make([]uint32, f.agg.symbols.Len())
	for i, n := range f.baseNames {
		f.baseRank[i] = rank[n]
	}
	for i, n := range f.agg.symbols.Names() {
		f.foldRank[i] = rank[n]
	}
}

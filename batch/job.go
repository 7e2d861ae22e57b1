package batch

import (
	"context"
	"fmt"
	"time"

	"github.com/autonews/autonews/ledger"
)

// ComputeStats describes what one batch computation folded.
type ComputeStats struct {
	Segments   int
	Rows       int64 // master rows folded by this run
	Applied    int64 // trades this run applied to the snapshot
	Duplicates int64 // rows skipped because their trade_id was already applied
	Overflows  int64 // trades rejected because a position would overflow
	// Trades is every trade the snapshot holds, from this run and the runs it built on.
	Trades int64
	// NetShares is the sum of the signed quantities of every trade the snapshot holds;
	// the verify step checks it against the snapshot's positions.
	NetShares int64
	// Incremental is true when the run built on a previous snapshot rather than on the
	// whole history.
	Incremental bool
	// PriceRowGroups is how many row groups were read for last prices; the others held
	// only trades older than every symbol's last.
	PriceRowGroups int
	Elapsed        time.Duration
	// Phases says where Elapsed went.
	Phases FoldPhases
}

// FoldPhases are the durations of a fold's phases (see fold.run).
type FoldPhases struct {
	ScatterIDs, Deduplicate, Resolve, ScatterPositions, Prices, Sum, Merge time.Duration
}

func (p FoldPhases) String() string {
	return fmt.Sprintf("scatter ids %s, deduplicate %s, resolve %s, scatter positions %s, prices %s, sum %s, merge %s",
		p.ScatterIDs.Round(time.Millisecond), p.Deduplicate.Round(time.Millisecond), p.Resolve.Round(time.Millisecond),
		p.ScatterPositions.Round(time.Millisecond), p.Prices.Round(time.Millisecond), p.Sum.Round(time.Millisecond), p.Merge.Round(time.Millisecond))
}

// Compute folds every archived trade below cut into the snapshot of epoch, from the whole
// history. Each trade_id is applied once, at its first occurrence in (partition, offset)
// order, which makes the batch view exact however often a trade was delivered. The master
// dataset must cover cut.
func Compute(ctx context.Context, master *Master, epoch uint64, cut ledger.Cut) (*ledger.Snapshot, ComputeStats, error) {
	return NewAggregate(master).Advance(ctx, ledger.EmptySnapshot(), epoch, cut)
}

package batch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/message"
)

// ComputeStats describes what one batch computation folded.
type ComputeStats struct {
	Segments   int
	Rows       int64 // master rows below the cut
	Applied    int64 // trades applied to the snapshot
	Duplicates int64 // rows skipped because their trade_id was already applied
	Overflows  int64 // trades rejected because a position would overflow
	// NetShares is the sum of the signed quantities applied; the verify step checks it
	// against the snapshot's positions.
	NetShares int64
	Elapsed   time.Duration
}

// Compute folds every archived trade below cut into the snapshot of epoch. Each trade_id
// is applied once, at its first occurrence in (partition, offset) order, which makes the
// batch view exact however often a trade was delivered. The master dataset must cover cut.
func Compute(ctx context.Context, master *Master, epoch uint64, cut ledger.Cut) (*ledger.Snapshot, ComputeStats, error) {
	start := time.Now()
	var stats ComputeStats
	segs, err := master.Segments(message.TradesTopic)
	if err != nil {
		return nil, stats, err
	}
	covered := ledger.Cut{}
	book := ledger.NewBook()
	seen := make(map[string]struct{})
	for _, seg := range segs {
		if seg.First >= cut[seg.Partition] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, stats, err
		}
		if covered[seg.Partition] == 0 {
			covered[seg.Partition] = seg.First
		}
		covered[seg.Partition] = max(covered[seg.Partition], seg.Last+1)
		stats.Segments++
		err := master.ReadTrades(ctx, seg, func(t ArchivedTrade) error {
			if !cut.Includes(t.At) {
				return nil
			}
			stats.Rows++
			if _, dup := seen[t.ID]; dup {
				stats.Duplicates++
				return nil
			}
			seen[t.ID] = struct{}{}
			if err := book.Apply(t.Trade, t.At); err != nil {
				if errors.Is(err, ledger.ErrOverflow) {
					stats.Overflows++
					return nil
				}
				return err
			}
			stats.Applied++
			stats.NetShares += t.SignedQuantity()
			return nil
		})
		if err != nil {
			return nil, stats, err
		}
	}
	for p, off := range cut {
		if off > 0 && covered[p] < off {
			return nil, stats, fmt.Errorf("master dataset covers partition %d only below offset %d, short of the cut at %d", p, covered[p], off)
		}
	}
	snap := book.Freeze(epoch, cut)
	stats.Elapsed = time.Since(start)
	return snap, stats, nil
}

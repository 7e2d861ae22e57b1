package batch

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/message"
)

// RecentTradeIDs returns the ids of up to limit of the latest trades below cut, oldest
// first, read from the newest segments of each partition: what the speed layer's
// deduplication window would hold had it never restarted.
func (m *Master) RecentTradeIDs(ctx context.Context, cut ledger.Cut, limit int) ([]string, error) {
	segs, err := m.Segments(message.TradesTopic)
	if err != nil {
		return nil, err
	}
	byPartition := map[int32][]Segment{}
	for _, s := range segs {
		if s.First < cut[s.Partition] {
			byPartition[s.Partition] = append(byPartition[s.Partition], s)
		}
	}
	if len(byPartition) == 0 || limit <= 0 {
		return nil, nil
	}
	perPartition := max(1, limit/len(byPartition))
	var ids []string
	for _, p := range slices.Sorted(maps.Keys(byPartition)) {
		var recent []string
		for i := len(byPartition[p]) - 1; i >= 0 && len(recent) < perPartition; i-- {
			rows, err := readIDsBelow(ctx, byPartition[p][i].Path, cut[p])
			if err != nil {
				return nil, fmt.Errorf("read master segment %s: %w", byPartition[p][i].Path, err)
			}
			recent = append(rows[max(0, len(rows)-(perPartition-len(recent))):], recent...)
		}
		ids = append(ids, recent...)
	}
	return ids, nil
}

// readIDsBelow returns the trade ids of a segment's rows below offset end, in offset
// order. It reads two columns of the nine: at start-up this seeds the deduplication
// window from a million rows, and reading whole rows took a quarter of a restart.
func readIDsBelow(ctx context.Context, path string, end int64) ([]string, error) {
	rr, pf, err := openTradeReader(ctx, path, pqarrow.ArrowReadProperties{BatchSize: readBatchRows}, []int{colOffset, colTradeID}, nil)
	if err != nil {
		return nil, err
	}
	defer pf.Close()
	defer rr.Release()
	var ids []string
	for rr.Next() {
		rec := rr.RecordBatch()
		offsets, okOffsets := rec.Column(0).(*array.Int64)
		tradeIDs, okIDs := rec.Column(1).(*array.String)
		if !okOffsets || !okIDs {
			return nil, fmt.Errorf("columns offset and trade_id are %s and %s, want int64 and utf8", rec.Column(0).DataType(), rec.Column(1).DataType())
		}
		for i, off := range offsets.Int64Values() {
			if off < end {
				ids = append(ids, cloneString(tradeIDs.Value(i)))
			}
		}
	}
	return ids, rr.Err()
}

package batch

import (
	"context"
	"maps"
	"slices"

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
			var rows []string
			err := m.ReadTrades(ctx, byPartition[p][i], func(t ArchivedTrade) error {
				if cut.Includes(t.At) {
					rows = append(rows, t.ID)
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
			recent = append(rows[max(0, len(rows)-(perPartition-len(recent))):], recent...)
		}
		ids = append(ids, recent...)
	}
	return ids, nil
}

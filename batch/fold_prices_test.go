package batch

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet"

	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/message"
)

// Last prices are the same whatever order trades were archived in; the order only
// decides how many row groups the fold reads for them.
func TestLastPricesWhateverTheOrderTradesWereArchivedIn(t *testing.T) {
	const partitions, perPartition, segmentRows = 3, 2000, 250 // 24 row groups
	base := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct {
		name string
		ts   func(p, off int) time.Time
		// rare is a symbol traded only at offset 0 of partition 0, when set.
		rare       bool
		statistics bool
		// mostRowGroups is how many row groups the fold may read for prices.
		mostRowGroups int
	}{
		{"in time order", func(p, off int) time.Time { return base.Add(time.Duration(off) * time.Second) }, false, true, 2 * partitions},
		{"newest first", func(p, off int) time.Time { return base.Add(-time.Duration(off) * time.Second) }, false, true, 2 * partitions},
		{"in time order, one symbol traded once at the start", func(p, off int) time.Time { return base.Add(time.Duration(off) * time.Second) }, true, true, 24},
		{"in random order", func(p, off int) time.Time { return base.Add(time.Duration(rng.IntN(perPartition)) * time.Second) }, false, true, 24},
		{"all at one time: the log position decides", func(p, off int) time.Time { return base }, false, true, 24},
		{"in time order, without statistics", func(p, off int) time.Time { return base.Add(time.Duration(off) * time.Second) }, false, false, 24},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := history{master: openMaster(t), end: ledger.Cut{}}
			symbols := []string{"MMM", "KO", "BRK.B", "A", "GOOGL", "T"}
			for p := range partitions {
				var rows []ArchivedTrade
				for off := range perPartition {
					symbol := symbols[rng.IntN(len(symbols))]
					if tc.rare && p == 0 && off == 0 {
						symbol = "RARE"
					}
					tr := archived(fmt.Sprintf("T%d-%d", p, off), rng.Int64N(50)+1, symbol, message.Buy, rng.Int64N(100)+1, int32(p), int64(off))
					tr.Price, tr.TS = float64(rng.IntN(1000))/10, tc.ts(p, off)
					rows = append(rows, tr)
				}
				for first := 0; first < len(rows); first += segmentRows {
					seg := rows[first:min(first+segmentRows, len(rows))]
					props := parquet.NewWriterProperties(append(tradeWriterOptions(), parquet.WithStats(tc.statistics))...)
					if _, err := h.master.writeSegment(message.TradesTopic, int32(p), int64(first), int64(first+len(seg)-1), props, []arrow.RecordBatch{tradeRecord(seg)}); err != nil {
						t.Fatal(err)
					}
				}
				h.trades = append(h.trades, rows...)
				h.end[int32(p)] = int64(len(rows))
			}
			// The whole history, and a cut inside every partition's newest segment.
			inside := ledger.Cut{}
			for p, end := range h.end {
				inside[p] = end - segmentRows/2
			}
			for _, cut := range []ledger.Cut{h.end, inside} {
				snap, stats, err := Compute(context.Background(), h.master, 1, cut)
				if err != nil {
					t.Fatal(err)
				}
				h.sameAsBook(t, snap, h.book(t, cut))
				if stats.PriceRowGroups < 1 || stats.PriceRowGroups > tc.mostRowGroups {
					t.Fatalf("cut %s: read %d row groups for prices, want 1 to %d", cut, stats.PriceRowGroups, tc.mostRowGroups)
				}
			}
		})
	}
}

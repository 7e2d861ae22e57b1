package batch

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/message"
)

// The archiver keeps trades in plain columns and hands them to the Parquet writer as
// Arrow arrays over the same memory; a segment written from them reads back as the
// trades, whatever their ids, symbols and sides, and a holder that built a record starts
// empty.
func TestTradeRowsWriteSegmentsThatReadBackAsTheirTrades(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	m := openMaster(t)
	held := newTradeRows(100)
	offset := int64(0)
	for segment := range 2 {
		var want []ArchivedTrade
		for range 5000 {
			id := fmt.Sprintf("T-%d", offset)
			switch rng.IntN(4) {
			case 0:
				id = strings.Repeat("é", rng.IntN(message.MaxTradeIDLen/2)+1)
			case 1:
				id = fmt.Sprintf("%x", rng.Uint64())
			}
			side := message.Buy
			if rng.IntN(3) == 0 {
				side = message.Sell
			}
			tr := ArchivedTrade{
				Trade: message.Trade{ID: id, UserID: rng.Int64N(1e12) + 1, Symbol: fmt.Sprintf("S%d.%c", rng.IntN(40), 'A'+rng.IntN(3)),
					Side: side, Quantity: rng.Int64N(message.MaxQuantity) + 1, Price: float64(rng.IntN(1e7)) / 1e4,
					TS: time.UnixMicro(1_700_000_000_000_000 + rng.Int64N(1e12)).UTC()},
				At: ledger.LogPosition{Partition: 3, Offset: offset},
			}
			offset++
			held.add(tr.Trade, tr.At)
			want = append(want, tr)
		}
		if held.Len() != len(want) {
			t.Fatalf("segment %d: holding %d rows, want %d", segment, held.Len(), len(want))
		}
		rec := held.Build()
		if held.Len() != 0 {
			t.Fatalf("segment %d: %d rows held after the build", segment, held.Len())
		}
		seg, err := m.writeSegment(message.TradesTopic, 3, want[0].At.Offset, want[len(want)-1].At.Offset, tradeWriterProperties(), []arrow.RecordBatch{rec})
		rec.Release()
		if err != nil {
			t.Fatal(err)
		}
		var got []ArchivedTrade
		if err := m.ReadTrades(context.Background(), seg, func(a ArchivedTrade) error { got = append(got, a); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("segment %d: read %d trades, want %d", segment, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("segment %d row %d: read %+v, want %+v", segment, i, got[i], want[i])
			}
		}
	}
}

// A segment may hold at most as many trades as their longest ids fit in an Arrow string
// array: a larger MaxSegmentRows is lowered to it, a smaller one kept.
func TestArchiverSegmentsStayWithinAnArrowStringArray(t *testing.T) {
	for _, c := range []struct{ asked, want int }{{0, 1 << 20}, {1000, 1000}, {1 << 30, maxTradeRows}} {
		cfg := ArchiverConfig{MaxSegmentRows: c.asked}
		cfg.setDefaults()
		if cfg.MaxSegmentRows != c.want {
			t.Errorf("MaxSegmentRows %d became %d, want %d", c.asked, cfg.MaxSegmentRows, c.want)
		}
		if int64(cfg.MaxSegmentRows)*message.MaxTradeIDLen > math.MaxInt32 {
			t.Errorf("MaxSegmentRows %d: ids of %d bytes overflow 32-bit offsets", cfg.MaxSegmentRows, message.MaxTradeIDLen)
		}
	}
}

package batch

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"golang.org/x/sync/errgroup"

	"github.com/autonews/autonews/ledger"
)

// A symbol's last price is that of its latest trade (by ts, then log position), so only
// the newest rows decide it. Read with every row, prices and timestamps were about a tenth
// of the scatter (the 50M-trade fold: 3.6–4.0 s without them against 4.0–4.4 s). The
// prices phase instead reads row groups newest first, by the greatest ts their
// statistics give, and stops once every symbol traded in range has a price later than
// anything left to read. Trades are archived in about the order they happened, so that
// is the newest row group or two of each partition; in any other order it reads more,
// up to every row group, and finds the same prices.

// priceSource is a row group of a segment, and the greatest ts its statistics give
// (math.MaxInt64 without statistics, so that it is read before any is skipped).
type priceSource struct {
	seg      Segment
	rowGroup int
	latest   int64
}

// latestTS is the greatest ts the row group's statistics give, or math.MaxInt64.
func latestTS(rg *metadata.RowGroupMetaData) int64 {
	chunk, err := rg.ColumnChunk(colTS)
	if err != nil {
		return math.MaxInt64
	}
	stats, err := chunk.Statistics()
	if err != nil {
		return math.MaxInt64
	}
	if ints, ok := stats.(*metadata.Int64Statistics); ok && ints.HasMinMax() {
		return ints.Max()
	}
	return math.MaxInt64
}

// notePrices finds the last price of every symbol traded in range, reading the sources
// (newest first) on every core. Each worker takes the newest row group left unless the
// prices found so far settle it; a worker may read a row group that the one being read
// by the other would have settled, which costs time, never a price.
func (f *fold) notePrices(ctx context.Context, sources []priceSource, cut ledger.Cut) error {
	var mu sync.Mutex // guards next, f.prices and f.stats.PriceRowGroups
	next := 0
	g, gctx := errgroup.WithContext(ctx)
	for range min(len(sources), runtime.GOMAXPROCS(0)) {
		g.Go(func() error {
			for gctx.Err() == nil {
				mu.Lock()
				if next == len(sources) || f.pricesSettled(sources[next].latest) {
					mu.Unlock()
					return nil
				}
				src := sources[next]
				next++
				mu.Unlock()
				var marks ledger.SymbolMarks
				if err := f.readPrices(gctx, src, cut, &marks); err != nil {
					return fmt.Errorf("read master segment %s: row group %d: %w", src.seg.Path, src.rowGroup, err)
				}
				mu.Lock()
				marks.Each(f.prices.Note)
				f.stats.PriceRowGroups++
				mu.Unlock()
			}
			return gctx.Err()
		})
	}
	return g.Wait()
}

// pricesSettled reports whether no trade at or before latest can change a price: every
// symbol traded in range has one set by a later trade.
func (f *fold) pricesSettled(latest int64) bool {
	for _, symbol := range f.traded {
		if mark, ok := f.prices.Get(symbol); !ok || mark.TSMicros <= latest {
			return false
		}
	}
	return true
}

// readPrices notes in marks the price of every row of the row group in range.
func (f *fold) readPrices(ctx context.Context, src priceSource, cut ledger.Cut, marks *ledger.SymbolMarks) error {
	props := pqarrow.ArrowReadProperties{BatchSize: readBatchRows}
	props.SetReadDict(colSymbol, true)
	rr, pf, err := openTradeReader(ctx, src.seg.Path, props, []int{colOffset, colSymbol, colPrice, colTS}, []int{src.rowGroup})
	if err != nil {
		return err
	}
	defer pf.Close()
	defer rr.Release()
	partition := src.seg.Partition
	from, to := f.agg.cut[partition], cut[partition]
	for rr.Next() {
		cols, err := priceColumnsOf(rr.RecordBatch())
		if err != nil {
			return err
		}
		// The scatter, which read these rows, numbered every symbol in range; the others
		// may have no number.
		const unnumbered = math.MaxUint32
		ids := make([]uint32, len(cols.symbols.values))
		for i := range ids {
			ids[i] = unnumbered
			if id, ok := f.agg.symbols.Lookup(cols.symbols.values[i]); ok {
				ids[i] = id
			}
		}
		for i, offset := range cols.offsets {
			if offset < from || offset >= to {
				continue
			}
			symbol := ids[cols.symbols.indices[i]]
			if symbol == unnumbered {
				return fmt.Errorf("offset %d: symbol %s was not folded", offset, cols.symbols.values[cols.symbols.indices[i]])
			}
			marks.Note(symbol, ledger.PriceMark{Price: cols.prices[i], TSMicros: int64(cols.ts[i]),
				At: ledger.LogPosition{Partition: partition, Offset: offset}})
		}
	}
	return rr.Err()
}

// priceColumns are the columns of a batch that decide last prices.
type priceColumns struct {
	offsets []int64
	symbols dictColumn
	prices  []float64
	ts      []arrow.Timestamp
}

func priceColumnsOf(rec arrow.RecordBatch) (priceColumns, error) {
	var c priceColumns
	var err error
	if c.symbols, err = newDictColumn(rec.Column(1), "symbol"); err != nil {
		return c, err
	}
	for _, col := range []struct {
		name string
		arr  arrow.Array
		take func(arrow.Array) bool
	}{
		{"offset", rec.Column(0), func(a arrow.Array) bool {
			v, ok := a.(*array.Int64)
			if ok {
				c.offsets = v.Int64Values()
			}
			return ok
		}},
		{"price", rec.Column(2), func(a arrow.Array) bool {
			v, ok := a.(*array.Float64)
			if ok {
				c.prices = v.Float64Values()
			}
			return ok
		}},
		{"ts", rec.Column(3), func(a arrow.Array) bool {
			v, ok := a.(*array.Timestamp)
			if ok {
				c.ts = v.TimestampValues()
			}
			return ok
		}},
	} {
		if !col.take(col.arr) {
			return c, fmt.Errorf("column %s is %s, want %s", col.name, col.arr.DataType(), tradeSchema.Field(tradeSchema.FieldIndices(col.name)[0]).Type)
		}
		if col.arr.NullN() > 0 {
			return c, fmt.Errorf("column %s holds nulls", col.name)
		}
	}
	return c, nil
}

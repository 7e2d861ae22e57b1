package batch

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"

	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/message"
)

// history is a generated master dataset and the book an independent reducer (ledger.Book,
// applying each trade_id once in partition and offset order) builds from it.
type history struct {
	master *Master
	trades []ArchivedTrade // in partition, offset order
	end    ledger.Cut
}

// writeHistory archives n trades over partitions in segments of up to segmentRows,
// redelivering about one in ten, sometimes into a later segment or another partition.
func writeHistory(t *testing.T, rng *rand.Rand, n, partitions, segmentRows int) history {
	return writeHistoryOfUsers(t, rng, n, partitions, segmentRows, func() int64 { return rng.Int64N(40) + 1 })
}

func writeHistoryOfUsers(t *testing.T, rng *rand.Rand, n, partitions, segmentRows int, user func() int64) history {
	t.Helper()
	return writeHistoryWith(t, rng, n, partitions, segmentRows, user, tradeWriterProperties())
}

// writeHistoryWith writes a history whose segments have the given Parquet properties.
func writeHistoryWith(t *testing.T, rng *rand.Rand, n, partitions, segmentRows int, user func() int64, props *parquet.WriterProperties) history {
	t.Helper()
	h := history{master: openMaster(t), end: ledger.Cut{}}
	symbols := []string{"MMM", "KO", "BRK.B", "A", "GOOGL", "T"}
	var issued []message.Trade
	for p := range partitions {
		var rows []ArchivedTrade
		for off := range n / partitions {
			var tr message.Trade
			if len(issued) > 0 && rng.IntN(10) == 0 {
				tr = issued[rng.IntN(len(issued))]
			} else {
				side := message.Buy
				if rng.IntN(3) == 0 {
					side = message.Sell
				}
				tr = archived(fmt.Sprintf("T%d", len(issued)), user(), symbols[rng.IntN(len(symbols))], side, rng.Int64N(100)+1, int32(p), int64(off)).Trade
				tr.Price = float64(rng.IntN(1000)) / 10
				tr.TS = tr.TS.Add(-time.Duration(rng.IntN(5)) * time.Second) // out of order: the later ts wins
				issued = append(issued, tr)
			}
			rows = append(rows, ArchivedTrade{Trade: tr, At: ledger.LogPosition{Partition: int32(p), Offset: int64(off)}})
		}
		for first := 0; first < len(rows); first += segmentRows {
			seg := rows[first:min(first+segmentRows, len(rows))]
			if _, err := h.master.writeSegment(message.TradesTopic, int32(p), int64(first), int64(first+len(seg)-1), props, []arrow.RecordBatch{tradeRecord(seg)}); err != nil {
				t.Fatal(err)
			}
		}
		h.trades = append(h.trades, rows...)
		h.end[int32(p)] = int64(len(rows))
	}
	return h
}

// book reduces the history below cut with ledger.Book, the speed layer's reducer.
func (h history) book(t *testing.T, cut ledger.Cut) *ledger.Book {
	t.Helper()
	b := ledger.NewBook()
	seen := map[string]bool{}
	for _, tr := range h.trades {
		if !cut.Includes(tr.At) || seen[tr.ID] {
			continue
		}
		seen[tr.ID] = true
		if err := b.Apply(tr.Trade, tr.At); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// lastPrices is every symbol's last price below cut: the latest row by (ts, partition,
// offset), redeliveries included, so that the rule does not depend on which copy of a
// trade a run saw first.
func (h history) lastPrices(cut ledger.Cut) map[string]ledger.PriceMark {
	prices := map[string]ledger.PriceMark{}
	for _, tr := range h.trades {
		mark := ledger.PriceMark{Price: tr.Price, TSMicros: tr.TS.UnixMicro(), At: tr.At}
		if old, ok := prices[tr.Symbol]; cut.Includes(tr.At) && (!ok || mark.Supersedes(old)) {
			prices[tr.Symbol] = mark
		}
	}
	return prices
}

// sameAsBook fails unless snap holds exactly the book's positions and the history's last
// prices below the snapshot's cut.
func (h history) sameAsBook(t *testing.T, snap *ledger.Snapshot, b *ledger.Book) {
	t.Helper()
	want := b.Holdings(math.MinInt64, math.MaxInt64)
	var got []ledger.Holding
	for i := range snap.Len() {
		got = append(got, snap.Row(i))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("snapshot holds %d positions, the book %d:\n got  %v\n want %v", len(got), len(want), got, want)
	}
	prices := h.lastPrices(snap.Cut)
	for sym, mark := range prices {
		if got, ok := snap.Price(sym); !ok || got != mark {
			t.Fatalf("price of %s: %+v, want %+v", sym, got, mark)
		}
	}
	if len(snap.Prices()) != len(prices) {
		t.Fatalf("%d prices, want %d", len(snap.Prices()), len(prices))
	}
}

func TestAdvancingStepByStepEqualsTheReducerOverTheWholeHistory(t *testing.T) {
	for seed := range uint64(6) {
		// Odd seeds add users whose ids do not pack into the fold's 64-bit keys.
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			user := func() int64 {
				if seed%2 == 1 && rng.IntN(10) == 0 {
					return 1<<50 + rng.Int64N(3)
				}
				return rng.Int64N(40) + 1
			}
			h := writeHistoryOfUsers(t, rng, 3000, 3, 400, user)
			agg := NewAggregate(h.master)
			agg.positionPartitionRows = 1 << seed // from one partition to many
			agg.mergeSpans = 1 + int(seed)%4
			snap := ledger.EmptySnapshot()
			cut := ledger.Cut{}
			for step := 1; !cut.Equal(h.end); step++ {
				next := cut.Clone()
				for p, end := range h.end {
					next[p] = min(end, next[p]+rng.Int64N(900)) // cuts fall inside segments too
				}
				var stats ComputeStats
				var err error
				snap, stats, err = agg.Advance(context.Background(), snap, uint64(step), next)
				if err != nil {
					t.Fatal(err)
				}
				if stats.Incremental != (step > 1) {
					t.Fatalf("step %d: incremental=%v", step, stats.Incremental)
				}
				h.sameAsBook(t, snap, h.book(t, next))
				full, fullStats, err := Compute(context.Background(), h.master, uint64(step), next)
				if err != nil {
					t.Fatal(err)
				}
				if fullStats.Trades != stats.Trades || fullStats.NetShares != stats.NetShares {
					t.Fatalf("step %d: incremental folded %d trades (net %d), full %d (net %d)", step, stats.Trades, stats.NetShares, fullStats.Trades, fullStats.NetShares)
				}
				h.sameAsBook(t, full, h.book(t, next))
				cut = next
			}
		})
	}
}

func TestHashCollisionsNeitherDropNorDoubleTrades(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	h := writeHistory(t, rng, 2000, 2, 300)
	half := ledger.Cut{0: 500, 1: 700}
	for name, hash := range map[string]func(string) uint64{
		"every id collides":       func(string) uint64 { return 42 },
		"every id hashes to zero": func(string) uint64 { return 0 }, // once the id set's empty slot
		"ids collide by length":   func(id string) uint64 { return uint64(len(id)) },
	} {
		t.Run(name, func(t *testing.T) {
			agg := NewAggregate(h.master)
			agg.hashID = hash
			snap, _, err := agg.Advance(context.Background(), ledger.EmptySnapshot(), 1, half)
			if err != nil {
				t.Fatal(err)
			}
			h.sameAsBook(t, snap, h.book(t, half))
			snap, stats, err := agg.Advance(context.Background(), snap, 2, h.end)
			if err != nil {
				t.Fatal(err)
			}
			h.sameAsBook(t, snap, h.book(t, h.end))
			if rows := int64(len(h.trades)); stats.Trades+countDuplicates(h.trades) != rows {
				t.Fatalf("%d trades and %d duplicates, want %d rows in all", stats.Trades, countDuplicates(h.trades), rows)
			}
		})
	}
}

func countDuplicates(trades []ArchivedTrade) int64 {
	seen := map[string]bool{}
	var dups int64
	for _, tr := range trades {
		if seen[tr.ID] {
			dups++
		}
		seen[tr.ID] = true
	}
	return dups
}

func TestAnAggregateRefusesAnotherBaseAndAFailedOne(t *testing.T) {
	h := writeHistory(t, rand.New(rand.NewPCG(1, 1)), 200, 1, 100)
	agg := NewAggregate(h.master)
	snap, _, err := agg.Advance(context.Background(), ledger.EmptySnapshot(), 1, ledger.Cut{0: 100})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := agg.Advance(context.Background(), ledger.EmptySnapshot(), 2, ledger.Cut{0: 200}); err == nil {
		t.Fatal("advanced from a snapshot at another cut")
	}
	if _, _, err := agg.Advance(context.Background(), snap, 2, ledger.Cut{0: 50}); err == nil {
		t.Fatal("advanced backwards")
	}
	if _, _, err := agg.Advance(context.Background(), snap, 2, ledger.Cut{0: 900}); err == nil {
		t.Fatal("advanced beyond the master dataset")
	}
	if _, _, err := agg.Advance(context.Background(), snap, 2, ledger.Cut{0: 200}); err == nil {
		t.Fatal("an aggregate that failed part-way advanced again")
	}
}

func TestAnIncrementThatOverflowsAPositionAsksForAFullRecompute(t *testing.T) {
	m := openMaster(t)
	big := archived("a", 1, "MMM", message.Buy, 1, 0, 0)
	big.Quantity = math.MaxInt64
	if _, err := m.WriteTrades(0, 0, 0, []ArchivedTrade{big}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.WriteTrades(0, 1, 1, []ArchivedTrade{archived("b", 1, "MMM", message.Buy, 1, 0, 1)}); err != nil {
		t.Fatal(err)
	}
	agg := NewAggregate(m)
	snap, _, err := agg.Advance(context.Background(), ledger.EmptySnapshot(), 1, ledger.Cut{0: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := agg.Advance(context.Background(), snap, 2, ledger.Cut{0: 2}); !errors.Is(err, ErrIncrementOverflow) {
		t.Fatalf("got %v, want ErrIncrementOverflow", err)
	}
	full, stats, err := Compute(context.Background(), m, 2, ledger.Cut{0: 2})
	if err != nil {
		t.Fatal(err)
	}
	if full.Row(0).Shares != math.MaxInt64 || stats.Overflows != 1 {
		t.Fatalf("full recompute holds %d shares with %d overflows, want the first trade only", full.Row(0).Shares, stats.Overflows)
	}
}

func TestAFoldRefusesASegmentWhoseOffsetsDoNotAscend(t *testing.T) {
	m := openMaster(t)
	rows := []ArchivedTrade{archived("a", 1, "MMM", message.Buy, 5, 0, 1), archived("b", 1, "MMM", message.Buy, 5, 0, 0)}
	seg, err := m.WriteTrades(0, 0, 1, rows)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = Compute(context.Background(), m, 1, ledger.Cut{0: 2})
	if err == nil || !strings.Contains(err.Error(), "offset order") || !strings.Contains(err.Error(), seg.Path) {
		t.Fatalf("a segment out of offset order was folded: %v", err)
	}
}

func TestAFoldRefusesSegmentsWhoseColumnsBreakTheContract(t *testing.T) {
	row := `{"partition":0,"offset":0,"trade_id":"a","user_id":1,"symbol":"MMM","side":"BUY","quantity":5,"price":10,"ts":"2026-11-25T14:00:00Z"}`
	for _, tc := range []struct {
		name   string
		change func(fields []arrow.Field) // makes the schema the file is written with
		rows   string
		want   string
	}{
		{"trade_id missing", func(f []arrow.Field) { f[colTradeID].Nullable = true },
			`[` + strings.Replace(row, `"a"`, `null`, 1) + `]`, "rows 0-0: column trade_id: the column holds nulls"},
		{"trade_id a number", func(f []arrow.Field) { f[colTradeID].Type = arrow.PrimitiveTypes.Int64 },
			`[` + strings.Replace(row, `"a"`, `7`, 1) + `]`, "rows 0-0: column trade_id: the column holds INT64 values, want byte arrays"},
		{"price missing", func(f []arrow.Field) { f[colPrice].Nullable = true },
			`[` + strings.Replace(row, `"price":10`, `"price":null`, 1) + `]`, "row group 0: column price holds nulls"},
		{"user_id text", func(f []arrow.Field) { f[colUserID].Type = arrow.BinaryTypes.String },
			`[` + strings.Replace(row, `"user_id":1`, `"user_id":"1"`, 1) + `]`, "rows 0-0: column user_id: the column holds BYTE_ARRAY values, want int64"},
		{"user_id not positive", func([]arrow.Field) {},
			`[` + strings.Replace(row, `"user_id":1`, `"user_id":0`, 1) + `]`, "row 0 has user_id 0"},
		{"ts in milliseconds", func(f []arrow.Field) { f[colTS].Type = &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"} },
			`[` + row + `]`, "timeUnit=milliseconds, is_from_converted_type=false, force_set_converted_type=false), want a timestamp in microseconds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := openMaster(t)
			fields := slices.Clone(tradeSchema.Fields())
			tc.change(fields)
			rec, _, err := array.RecordFromJSON(memory.DefaultAllocator, arrow.NewSchema(fields, nil), strings.NewReader(tc.rows))
			if err != nil {
				t.Fatal(err)
			}
			defer rec.Release()
			seg, err := m.writeSegment(message.TradesTopic, 0, 0, 0, parquet.NewWriterProperties(), []arrow.RecordBatch{rec})
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = Compute(context.Background(), m, 1, ledger.Cut{0: 1})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), seg.Path) {
				t.Fatalf("got %v, want an error naming %s and saying %q", err, seg.Path, tc.want)
			}
		})
	}
}

func TestUserPartitionsKeepUsersInOrder(t *testing.T) {
	for _, tc := range []struct {
		lo, hi int64
		bits   uint8
	}{{1, 1, 0}, {1, 40, 3}, {100, 200, 2}, {1, 1 << 40, 10}, {-5, 5, 4}, {1, math.MaxInt64, 12}} {
		u := newUserPartitions(tc.lo, tc.hi, tc.bits)
		if u.count() != 1<<tc.bits {
			t.Fatalf("%+v: %d partitions, want %d", tc, u.count(), 1<<tc.bits)
		}
		rng := rand.New(rand.NewPCG(uint64(tc.hi), 3))
		users := []int64{math.MinInt64, tc.lo - 1, tc.lo, tc.lo + 1, tc.hi - 1, tc.hi, tc.hi + 1, math.MaxInt64}
		span := uint64(tc.hi - tc.lo)
		for i := range uint64(4 * u.count()) { // evenly spread, then at random
			users = append(users, tc.lo+int64(span/uint64(4*u.count())*i))
		}
		for range 1000 {
			users = append(users, tc.lo+rng.Int64N(max(1, tc.hi-tc.lo+1)))
		}
		slices.Sort(users)
		used := map[uint64]bool{}
		for i, user := range users {
			p := u.of(user)
			if p >= uint64(u.count()) || i > 0 && p < u.of(users[i-1]) {
				t.Fatalf("%+v: user %d in partition %d, after user %d in %d", tc, user, p, users[i-1], u.of(users[i-1]))
			}
			if user >= tc.lo && user <= tc.hi {
				used[p] = true
			}
		}
		// Users in range spread over at least half the partitions.
		if span >= uint64(u.count()) && len(used) < u.count()/2 {
			t.Fatalf("%+v: users in range use %d of %d partitions", tc, len(used), u.count())
		}
	}
}

func TestAFoldOverSegmentsWithoutStatisticsIsTheSame(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	h := history{master: openMaster(t), end: ledger.Cut{}}
	for first, users := range map[int64][2]int64{0: {100, 200}, 100: {1, 300}} {
		var rows []ArchivedTrade
		for off := first; off < first+100; off++ {
			rows = append(rows, archived(fmt.Sprint("T", off), users[0]+rng.Int64N(users[1]-users[0]), "MMM", message.Buy, rng.Int64N(9)+1, 0, off))
		}
		rec := tradeRecord(rows)
		// The second segment has no statistics and users on both sides of the first's.
		props := parquet.NewWriterProperties(parquet.WithStats(first == 0))
		if _, err := h.master.writeSegment(message.TradesTopic, 0, first, first+99, props, []arrow.RecordBatch{rec}); err != nil {
			t.Fatal(err)
		}
		h.trades = append(h.trades, rows...)
	}
	slices.SortFunc(h.trades, func(a, b ArchivedTrade) int { return cmp.Compare(a.At.Offset, b.At.Offset) })
	h.end[0] = 200
	for _, perPartition := range []int{1, 8, 1 << 16} {
		agg := NewAggregate(h.master)
		agg.positionPartitionRows = perPartition
		snap, _, err := agg.Advance(context.Background(), ledger.EmptySnapshot(), 1, h.end)
		if err != nil {
			t.Fatal(err)
		}
		h.sameAsBook(t, snap, h.book(t, h.end))
	}
}

func tradeRecord(rows []ArchivedTrade) arrow.RecordBatch {
	held := newTradeRows(len(rows))
	for _, r := range rows {
		held.add(r.Trade, r.At)
	}
	return held.Build()
}

func TestAFoldReadsTradeIDsAcrossPagesAndRowGroups(t *testing.T) {
	for _, tc := range []struct {
		name string
		ids  []parquet.WriterProperty
		// plain: the ids are read straight from the pages (see plainByteArrayPages).
		plain bool
	}{
		{"PLAIN, data pages v1", []parquet.WriterProperty{parquet.WithDictionaryFor("trade_id", false)}, true},
		{"PLAIN, data pages v2", []parquet.WriterProperty{parquet.WithDictionaryFor("trade_id", false), parquet.WithDataPageVersion(parquet.DataPageV2)}, true},
		{"dictionary-encoded", []parquet.WriterProperty{parquet.WithDictionaryFor("trade_id", true)}, false},
		{"DELTA_BYTE_ARRAY", []parquet.WriterProperty{parquet.WithDictionaryFor("trade_id", false), parquet.WithEncodingFor("trade_id", parquet.Encodings.DeltaByteArray)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(9, 10))
			// Pages of a few dozen ids and row groups of 700 rows: every batch the fold
			// reads spans pages, and some span row groups; a tenth of the trades are
			// redelivered.
			props := parquet.NewWriterProperties(append([]parquet.WriterProperty{parquet.WithDataPageSize(256), parquet.WithMaxRowGroupLength(700),
				parquet.WithDictionaryDefault(false), parquet.WithDictionaryFor("symbol", true), parquet.WithDictionaryFor("side", true)}, tc.ids...)...)
			h := writeHistoryWith(t, rng, 6000, 2, 2500, func() int64 { return rng.Int64N(200) + 1 }, props)
			segs, err := h.master.Segments(message.TradesTopic)
			if err != nil {
				t.Fatal(err)
			}
			for _, seg := range segs {
				pf, err := file.OpenParquetFile(seg.Path, false)
				if err != nil {
					t.Fatal(err)
				}
				if plain := plainByteArrays(pf, colTradeID) != nil; plain != tc.plain {
					t.Fatalf("%s: read from the pages: %v, want %v", seg.Path, plain, tc.plain)
				}
				pf.Close()
			}
			snap, stats, err := Compute(context.Background(), h.master, 1, h.end)
			if err != nil {
				t.Fatal(err)
			}
			h.sameAsBook(t, snap, h.book(t, h.end))
			if stats.Duplicates != countDuplicates(h.trades) || stats.Duplicates == 0 {
				t.Fatalf("%d duplicates found, want %d", stats.Duplicates, countDuplicates(h.trades))
			}
		})
	}
}

func TestAFoldReadsPricesAndQuantitiesWhoseDictionariesFilledUp(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	// A dictionary page of 256 bytes holds 32 of the history's 1,000 prices and 100
	// quantities: the writer falls back to plain and delta pages within each column chunk.
	props := parquet.NewWriterProperties(append(tradeWriterOptions(),
		parquet.WithDictionaryPageSizeLimit(256), parquet.WithDataPageSize(512), parquet.WithBatchSize(64), parquet.WithMaxRowGroupLength(900))...)
	h := writeHistoryWith(t, rng, 6000, 2, 2500, func() int64 { return rng.Int64N(200) + 1 }, props)
	segs, err := h.master.Segments(message.TradesTopic)
	if err != nil {
		t.Fatal(err)
	}
	pf, err := file.OpenParquetFile(segs[0].Path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	for _, col := range []int{colPrice, colQuantity} {
		if encodings := dataPageEncodings(t, pf, col); !encodings[parquet.Encodings.RLEDict] || !encodings[parquet.Encodings.Plain] {
			t.Fatalf("column %d has data pages in %v: want dictionary pages, then plain ones", col, encodings)
		}
	}
	snap, _, err := Compute(context.Background(), h.master, 1, h.end)
	if err != nil {
		t.Fatal(err)
	}
	h.sameAsBook(t, snap, h.book(t, h.end))
}

// dataPageEncodings returns the encodings of the data pages of column col, in every row
// group of a segment file.
func dataPageEncodings(t *testing.T, pf *file.Reader, col int) map[parquet.Encoding]bool {
	t.Helper()
	const dictionaryPage = 2 // the Parquet format's DICTIONARY_PAGE
	encodings := map[parquet.Encoding]bool{}
	for rg := range pf.NumRowGroups() {
		chunk, err := pf.MetaData().RowGroup(rg).ColumnChunk(col)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range chunk.EncodingStats() {
			if s.PageType != dictionaryPage {
				encodings[s.Encoding] = true
			}
		}
	}
	return encodings
}

func TestAFoldIsTheSameWhateverItsScatterersAndPartitions(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	user := func() int64 {
		if rng.IntN(20) == 0 {
			return 1<<50 + rng.Int64N(3) // does not pack into a 64-bit key
		}
		return rng.Int64N(60) + 1
	}
	h := writeHistoryOfUsers(t, rng, 4000, 3, 500, user)
	// One scatterer does everything; two split ids from positions; more share each
	// side's partitions, some owning none when there are fewer partitions than they.
	// The merge is split into as many spans.
	for workers := 1; workers <= 5; workers++ {
		for _, perPartition := range []int{1, 64, 1 << 20} {
			agg := NewAggregate(h.master)
			agg.scatterWorkers, agg.positionPartitionRows, agg.mergeSpans = workers, perPartition, workers
			snap, stats, err := agg.Advance(context.Background(), ledger.EmptySnapshot(), 1, h.end)
			if err != nil {
				t.Fatal(err)
			}
			h.sameAsBook(t, snap, h.book(t, h.end))
			if stats.Duplicates != countDuplicates(h.trades) {
				t.Fatalf("%d scatterers, %d rows a partition: %d duplicates, want %d", workers, perPartition, stats.Duplicates, countDuplicates(h.trades))
			}
		}
	}
}

// Quantities that do not fit in 32 bits travel beside the fold's position entries; they
// must sum exactly, in log order, with the small ones around them, overflows included.
func TestQuantitiesBeyond32BitsSumInLogOrder(t *testing.T) {
	quantities := []int64{1, 7, math.MaxInt32 - 1, math.MaxInt32, math.MaxInt32 + 1, 1 << 40, math.MaxInt64 / 2, math.MaxInt64}
	rng := rand.New(rand.NewPCG(31, 32))
	m := openMaster(t)
	h := history{master: m, end: ledger.Cut{}}
	for p := range int32(2) {
		var rows []ArchivedTrade
		for off := range int64(600) {
			side := message.Buy
			if rng.IntN(2) == 0 {
				side = message.Sell // a sale of 2^31 is exactly math.MinInt32 shares
			}
			tr := archived(fmt.Sprintf("T%d-%d", p, off), rng.Int64N(64)+1, []string{"MMM", "KO"}[rng.IntN(2)], side, quantities[rng.IntN(len(quantities))], p, off)
			if len(rows) > 0 && rng.IntN(8) == 0 { // a redelivery: counts once
				tr.Trade = rows[rng.IntN(len(rows))].Trade
			}
			rows = append(rows, tr)
		}
		for first := 0; first < len(rows); first += 250 {
			seg := rows[first:min(first+250, len(rows))]
			if _, err := m.WriteTrades(p, seg[0].At.Offset, seg[len(seg)-1].At.Offset, seg); err != nil {
				t.Fatal(err)
			}
		}
		h.trades = append(h.trades, rows...)
		h.end[p] = int64(len(rows))
	}
	book, refused := ledger.NewBook(), int64(0)
	seen := map[string]bool{}
	for _, tr := range h.trades {
		if seen[tr.ID] {
			continue
		}
		seen[tr.ID] = true
		if err := book.Apply(tr.Trade, tr.At); errors.Is(err, ledger.ErrOverflow) {
			refused++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	// With four scatterers, two of positions owning half of the 64 users each, the large
	// quantities the two keep interleave by row.
	for workers := 1; workers <= 4; workers++ {
		agg := NewAggregate(m)
		agg.scatterWorkers, agg.positionPartitionRows = workers, 64
		snap, stats, err := agg.Advance(context.Background(), ledger.EmptySnapshot(), 1, h.end)
		if err != nil {
			t.Fatal(err)
		}
		h.sameAsBook(t, snap, book)
		if refused == 0 || stats.Overflows != refused {
			t.Fatalf("%d scatterers: %d overflows, the book refused %d (want some)", workers, stats.Overflows, refused)
		}
	}
}

// An aggregate's rows, numbered across its folds, are found where their batches lie:
// at a span's first row, inside it and at its last.
func TestAggregateRowsAreLocatedInTheirBatches(t *testing.T) {
	a := &Aggregate{spans: []batchSpan{
		{firstRow: 0, segment: 0, segmentRow: 5},
		{firstRow: 10, segment: 1, segmentRow: 0},
		{firstRow: 25, segment: 0, segmentRow: 100}, // a later fold reading on in segment 0
	}}
	for row, want := range map[uint32]rowLocation{
		0: {0, 5}, 9: {0, 14}, 10: {1, 0}, 24: {1, 14}, 25: {0, 100}, 1000: {0, 1075},
	} {
		if got := a.locate(row); got != want {
			t.Errorf("row %d: %+v, want %+v", row, got, want)
		}
	}
}

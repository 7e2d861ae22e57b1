package benchmark

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"github.com/autonews/autonews/batch"
	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/message"
)

// batchRecompute writes a master dataset of generated trades, then measures the batch job
// over it, an incremental run over one more segment per partition, the bytes per trade on
// disk, and the memory a loaded snapshot takes per row.
func batchRecompute(ctx context.Context, o Options) ([]Result, error) {
	dir, err := os.MkdirTemp("", "autonews-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	master, err := batch.OpenMaster(filepath.Join(dir, "master"))
	if err != nil {
		return nil, err
	}
	n := size(o, 1_000_000, 50_000_000)
	gen := newHistoryWriter(master, n/50) // 50M trades over 1M users: about 10M positions, as the targets assume
	start := time.Now()
	if err := gen.write(n); err != nil {
		return nil, err
	}
	writeRate := float64(n) / since(start)
	bytes := diskBytes(master.Dir())

	runtime.GC()
	agg := batch.NewAggregate(master)
	stopProfile := o.profileWindow("batch")
	snap, stats, err := agg.Advance(ctx, ledger.EmptySnapshot(), 1, gen.cut())
	stopProfile()
	if err != nil {
		return nil, err
	}
	computeTime := stats.Elapsed.Seconds()
	computeRate := float64(stats.Rows) / computeTime
	results := []Result{{Scenario: "batch recompute: master dataset → snapshot of holdings and prices", Value: computeRate, Unit: "trades/s",
		Target: "≥ 20,000,000", Met: met(computeRate >= 20e6),
		Note: fmt.Sprintf("%d trades in %.2fs (%s), %d positions, exact trade_id dedup; written at %.0f trades/s", n, computeTime, stats.Phases, snap.Len(), writeRate)}}
	if o.DuckDB != "" {
		res, err := duckDBBatch(ctx, o.DuckDB, master.Dir())
		if err != nil {
			return nil, err
		}
		if res.Trades != int64(n) {
			return nil, fmt.Errorf("DuckDB read %d trades from the master dataset, AutoNews wrote %d", res.Trades, n)
		}
		theirs := res.HoldingsSeconds + res.PricesSeconds
		results = append(results, Result{Scenario: "batch recompute: time relative to DuckDB on the same Parquet files", Value: computeTime / theirs, Unit: "× DuckDB's time",
			Target: "< 1", Met: met(computeTime < theirs),
			Note: fmt.Sprintf("%s, %d threads: %.2fs (holdings %.2fs + prices %.2fs), %d positions", res.Engine, res.Threads, theirs, res.HoldingsSeconds, res.PricesSeconds, res.Positions)})
	}

	added := n / 20
	if err := gen.write(added); err != nil {
		return nil, err
	}
	stopProfile = o.profileWindow("incremental")
	snap, inc, err := agg.Advance(ctx, snap, 2, gen.cut())
	stopProfile()
	if err != nil {
		return nil, err
	}
	ratio := inc.Elapsed.Seconds() / computeTime
	results = append(results, Result{Scenario: "incremental batch: previous snapshot + new segments", Value: ratio, Unit: "× a full recompute's time",
		Target: "proportional to the new data", Met: met(ratio <= 3*float64(added)/float64(n)+0.1),
		Note: fmt.Sprintf("%d new trades on %d: %.2fs (%s), %.0f new trades/s; met when under 3× the new share of the history plus 0.1 for the snapshot merge", added, n, inc.Elapsed.Seconds(), inc.Phases, float64(inc.Rows)/inc.Elapsed.Seconds())})

	store, err := batch.OpenStore(filepath.Join(dir, "snapshots"))
	if err != nil {
		return nil, err
	}
	if _, err := store.Publish(snap, batch.Manifest{Cut: map[string]ledger.Cut{message.TradesTopic: snap.Cut}}); err != nil {
		return nil, err
	}
	agg, snap = nil, nil
	settle := func() { runtime.GC(); runtime.GC() } // the second collects what the first's finalizers freed
	settle()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start = time.Now()
	loaded, _, err := store.Load(2)
	if err != nil {
		return nil, err
	}
	loadTime := since(start)
	settle()
	runtime.ReadMemStats(&after)
	perRow := float64(after.HeapAlloc-before.HeapAlloc) / float64(loaded.Len())
	runtime.KeepAlive(loaded)
	perTrade := float64(bytes) / float64(n)
	return append(results,
		Result{Scenario: "master dataset on disk", Value: perTrade, Unit: "bytes/trade", Target: "≤ 16", Met: met(perTrade <= 16)},
		Result{Scenario: "snapshot memory", Value: perRow, Unit: "bytes/holdings row", Target: "≤ 24", Met: met(perRow <= 24),
			Note: fmt.Sprintf("%d rows loaded in %.2fs", loaded.Len(), loadTime)},
	), nil
}

// historyWriter archives generated trades round-robin over partitions, a segment at a
// time: each user trades a portfolio of ten symbols, two buys for each sale.
type historyWriter struct {
	master  *batch.Master
	users   int64
	rng     *rand.Rand
	symbols []string
	next    []int64 // next offset of each partition
	written int
	ts      time.Time
}

const benchPartitions, benchSegmentRows = 4, 1 << 20

func newHistoryWriter(master *batch.Master, users int) *historyWriter {
	symbols := make([]string, 500)
	for i := range symbols {
		symbols[i] = fmt.Sprintf("S%03d", i)
	}
	return &historyWriter{master: master, users: int64(users), rng: rand.New(rand.NewPCG(3, 4)), symbols: symbols,
		next: make([]int64, benchPartitions), ts: time.Date(2026, 1, 2, 14, 30, 0, 0, time.UTC)}
}

func (w *historyWriter) write(n int) error {
	rows := make([]batch.ArchivedTrade, 0, benchSegmentRows)
	for end := w.written + n; w.written < end; {
		p := int32(w.written / benchSegmentRows % benchPartitions)
		rows = rows[:0]
		for len(rows) < benchSegmentRows && w.written < end {
			side := message.Buy
			if w.rng.IntN(3) == 0 {
				side = message.Sell
			}
			user := w.rng.Int64N(w.users) + 1
			rows = append(rows, batch.ArchivedTrade{
				Trade: message.Trade{ID: fmt.Sprintf("b%d", w.written), UserID: user, Symbol: w.portfolioSymbol(user),
					Side: side, Quantity: w.rng.Int64N(200) + 1, Price: float64(w.rng.IntN(50000)+100) / 100, TS: w.ts.Add(time.Duration(w.written) * time.Millisecond)},
				At: ledger.LogPosition{Partition: p, Offset: w.next[p] + int64(len(rows))},
			})
			w.written++
		}
		if _, err := w.master.WriteTrades(p, w.next[p], w.next[p]+int64(len(rows))-1, rows); err != nil {
			return err
		}
		w.next[p] += int64(len(rows))
	}
	return nil
}

// portfolioSymbol picks one of the ten symbols the user trades, popular symbols more
// often: fifty trades a user give about ten positions, as the targets assume.
func (w *historyWriter) portfolioSymbol(user int64) string {
	slot := uint64(user)*0x9E3779B97F4A7C15 + uint64(w.rng.IntN(10))*0xBF58476D1CE4E5B9
	return w.symbols[min(int(slot>>32%500), int(slot%500))]
}

// cut is the cut just past everything written.
func (w *historyWriter) cut() ledger.Cut {
	cut := ledger.Cut{}
	for p, off := range w.next {
		cut[int32(p)] = off
	}
	return cut
}

func diskBytes(dir string) int64 {
	var bytes int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				bytes += info.Size()
			}
		}
		return nil
	})
	return bytes
}

// duckDBResult is what the bench/duckdb command prints.
type duckDBResult struct {
	Engine          string  `json:"engine"`
	Threads         int     `json:"threads"`
	Trades          int64   `json:"trades"`
	Positions       int64   `json:"positions"`
	HoldingsSeconds float64 `json:"holdings_seconds"`
	PricesSeconds   float64 `json:"prices_seconds"`
}

func duckDBBatch(ctx context.Context, command, masterDir string) (duckDBResult, error) {
	var res duckDBResult
	cmd := exec.CommandContext(ctx, command, "--master", masterDir, "--threads", fmt.Sprint(runtime.GOMAXPROCS(0)))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return res, fmt.Errorf("run %s (build it with: cd bench/duckdb && go build -o %s .): %w", command, command, err)
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return res, fmt.Errorf("read %s's result %q: %w", command, out, err)
	}
	return res, nil
}

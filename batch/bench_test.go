package batch

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/message"
)

// benchMaster writes n generated trades in one segment of partition 0.
func benchMaster(b *testing.B, n int) (*Master, ledger.Cut) {
	b.Helper()
	m, err := OpenMaster(filepath.Join(b.TempDir(), "master"))
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	rows := make([]ArchivedTrade, n)
	for i := range rows {
		rows[i] = ArchivedTrade{Trade: message.Trade{ID: fmt.Sprint(i), UserID: rng.Int64N(int64(n/5)) + 1, Symbol: fmt.Sprintf("S%d", rng.IntN(500)),
			Side: message.Buy, Quantity: 10, Price: 1, TS: time.Unix(int64(i), 0)}, At: ledger.LogPosition{Offset: int64(i)}}
	}
	if _, err := m.WriteTrades(0, 0, int64(n-1), rows); err != nil {
		b.Fatal(err)
	}
	return m, ledger.Cut{0: int64(n)}
}

func BenchmarkCompute(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("trades=%d", n), func(b *testing.B) {
			m, cut := benchMaster(b, n)
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := Compute(context.Background(), m, 1, cut); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "trades/s")
		})
	}
}

func BenchmarkSnapshotLoad(b *testing.B) {
	m, cut := benchMaster(b, 1_000_000)
	snap, _, err := Compute(context.Background(), m, 1, cut)
	if err != nil {
		b.Fatal(err)
	}
	store, _ := OpenStore(filepath.Join(b.TempDir(), "snapshots"))
	if _, err := store.Publish(snap, Manifest{}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := store.Load(1); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(snap.Len()), "rows")
}

// BenchmarkArchiveTrades feeds decoded trades to the trades archiver and writes them as
// one segment, as the server does with what the speed layer fetched.
func BenchmarkArchiveTrades(b *testing.B) {
	const n = 200_000
	rng := rand.New(rand.NewPCG(3, 4))
	records := make([]*kgo.Record, n)
	trades := make([]message.Trade, n)
	for i := range records {
		trades[i] = message.Trade{ID: fmt.Sprintf("T-%09d", i), UserID: rng.Int64N(100_000) + 1, Symbol: fmt.Sprintf("S%d", rng.IntN(500)),
			Side: message.Side(rng.IntN(2)), Quantity: rng.Int64N(1000) + 1, Price: float64(rng.IntN(100_000)) / 100, TS: time.Unix(1_700_000_000+int64(i), 0).UTC()}
		records[i] = &kgo.Record{Topic: message.TradesTopic, Partition: 0, Offset: int64(i)}
	}
	b.ReportAllocs()
	for b.Loop() {
		master, err := OpenMaster(filepath.Join(b.TempDir(), "master"))
		if err != nil {
			b.Fatal(err)
		}
		archiver, err := NewArchiver(master, TradeCodec, ArchiverConfig{Partitions: []int32{0}, FlushInterval: time.Hour, MaxSegmentRows: 2 * n})
		if err != nil {
			b.Fatal(err)
		}
		for from := 0; from < n; from += 1000 {
			archiver.FeedTrades(records[from:from+1000], func(i int) (message.Trade, bool) { return trades[from+i], true })
		}
		if err := archiver.flush(func(*pendingSegment) bool { return true }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed())/float64(b.N*n), "ns/trade")
}

// BenchmarkIDSetAdd adds a part's share of a 50M-trade fold's ids (49k) to the id set:
// as the first fold does, to an empty part, and as a later cycle does, 5% more to a
// part holding the rest; and sorts a first fold's run, as the aggregate does once the
// first fold is out.
func BenchmarkIDSetAdd(b *testing.B) {
	const part = 50_000_000 >> idPartitionBits
	rng := rand.New(rand.NewPCG(5, 6))
	entries := func(n int) []idEntry {
		out := make([]idEntry, n)
		for i := range out {
			out[i] = newIDEntry(rng.Uint64()>>idPartitionBits, uint32(i))
		}
		return out
	}
	var scratch idScratch
	for _, tc := range []struct {
		name      string
		held, new int
	}{{"first fold", 0, part}, {"increment of 5%", part, part / 20}} {
		b.Run(tc.name, func(b *testing.B) {
			var base idSet
			base.add(entries(tc.held), &scratch, func(first, row uint32) {})
			base.sortRun(&scratch)
			fresh := entries(tc.new)
			// add keeps the run in the scratch's memory or the entries', and the other
			// becomes the scratch: a fold's parts take turns with the two.
			var batch []idEntry
			b.ReportAllocs()
			for b.Loop() {
				set := idSet{runs: slices.Clone(base.runs)}
				batch = append(batch[:0], fresh...)
				set.add(batch, &scratch, func(first, row uint32) {})
				batch = set.runs[len(set.runs)-1]
			}
			b.ReportMetric(float64(b.Elapsed())/float64(b.N*tc.new), "ns/id")
		})
	}
	b.Run("sorting a first fold's run", func(b *testing.B) {
		fresh := entries(part)
		var run []idEntry
		b.ReportAllocs()
		for b.Loop() {
			set := idSet{runs: [][]idEntry{append(run[:0], fresh...)}, unsorted: true}
			set.sortRun(&scratch) // the sorted run in the scratch's memory, the run's the scratch's
			run = set.runs[0]
		}
		b.ReportMetric(float64(b.Elapsed())/float64(b.N*part), "ns/id")
	})
}

package batch

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

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

package speed

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/autonews/autonews/ledger"
)

// BenchmarkApply measures the speed layer applying fetched trades: decoding, the dedup
// window, the delta tables and the price map, without Kafka.
func BenchmarkApply(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	const batch = 1000
	records := make([]*kgo.Record, batch)
	l := New(Config{Partitions: []int32{0}}, ledger.EmptySnapshot())
	b.ReportAllocs()
	offset := int64(0)
	for b.Loop() {
		b.StopTimer() // building records is the producer's work, not the speed layer's
		for i := range records {
			user := rng.Int64N(100_000) + 1
			records[i] = record(0, offset, fmt.Sprintf("B%d", offset), user, "BUY", 10)
			offset++
		}
		b.StartTimer()
		l.apply(fetch(records...))
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "trades/s")
}

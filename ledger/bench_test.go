package ledger

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/autonews/autonews/message"
)

func BenchmarkApply(b *testing.B) {
	for _, users := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 1))
			trades := make([]message.Trade, 1<<16)
			for i := range trades {
				trades[i] = trade("t", rng.Int64N(int64(users))+1, fmt.Sprintf("S%d", rng.IntN(500)), message.Buy, 10, 1, int64(i))
			}
			book := NewBook()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				_ = book.Apply(trades[i%len(trades)], LogPosition{Offset: int64(i)})
				i++
			}
		})
	}
}

package speed

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/message"
)

// A delta seeded at a later cut holds exactly the trades at or beyond it: the positions
// and last prices of a book that applied only those, in order. The seeded delta numbers
// its symbols in its own order, which differs from the delta it came from.
func TestASeededDeltaHoldsExactlyTheTradesBeyondItsBase(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	symbols := []string{"MMM", "KO", "AAPL", "NVDA", "T"}
	type applied struct {
		trade message.Trade
		at    ledger.LogPosition
	}
	var trades []applied
	next := map[int32]int64{}
	for i := range 400 {
		p := int32(rng.IntN(3))
		side := message.Buy
		if rng.IntN(3) == 0 {
			side = message.Sell
		}
		trades = append(trades, applied{
			trade: message.Trade{ID: fmt.Sprint(i), UserID: int64(rng.IntN(6) + 1), Symbol: symbols[(i/80+rng.IntN(2))%len(symbols)],
				Side: side, Quantity: int64(rng.IntN(100) + 1), Price: float64(rng.IntN(50) + 1), TS: time.Unix(int64(i), 0)},
			at: ledger.LogPosition{Partition: p, Offset: next[p]},
		})
		next[p]++
	}
	d := newDelta(ledger.Cut{})
	for _, a := range trades {
		if err := d.apply(a.trade, ledger.MarkOf(a.trade, a.at)); err != nil {
			t.Fatal(err)
		}
	}
	base := ledger.Cut{0: next[0] / 2, 1: next[1] - 3, 2: 0}
	seeded := d.seed(base)

	want := ledger.NewBook()
	for _, a := range trades {
		if !base.Includes(a.at) {
			if err := want.Apply(a.trade, a.at); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got, w := seeded.book.Holdings(0, 100), want.Holdings(0, 100); !slices.Equal(got, w) {
		t.Fatalf("seeded holdings\n%v\nwant\n%v", got, w)
	}
	for _, s := range symbols {
		got, gotOK := seeded.book.Price(s)
		w, wOK := want.Price(s)
		if got != w || gotOK != wOK {
			t.Fatalf("%s: seeded price %v %v, want %v %v", s, got, gotOK, w, wOK)
		}
	}
	// Seeding again from the seeded delta reads its own numbering.
	later := ledger.Cut{0: next[0] - 5, 1: next[1] - 1, 2: next[2] / 2}
	again, want2 := seeded.seed(later), ledger.NewBook()
	for _, a := range trades {
		if !later.Includes(a.at) {
			want2.Apply(a.trade, a.at)
		}
	}
	if got, w := again.book.Holdings(0, 100), want2.Holdings(0, 100); !slices.Equal(got, w) {
		t.Fatalf("seeded twice\n%v\nwant\n%v", got, w)
	}
}

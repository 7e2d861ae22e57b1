package ledger

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/autonews/autonews/message"
)

func trade(id string, user int64, sym string, side message.Side, qty int64, price float64, ts int64) message.Trade {
	return message.Trade{ID: id, UserID: user, Symbol: sym, Side: side, Quantity: qty, Price: price, TS: time.UnixMicro(ts).UTC()}
}

func TestApplySumsSignedQuantitiesAndAllowsShorts(t *testing.T) {
	b := NewBook()
	steps := []struct {
		tr   message.Trade
		want int64
	}{
		{trade("1", 1, "MMM", message.Buy, 5000, 100, 1), 5000},
		{trade("2", 1, "MMM", message.Sell, 1000, 101, 2), 4000},
		{trade("3", 1, "MMM", message.Sell, 6000, 99, 3), -2000},
	}
	for i, s := range steps {
		if err := b.Apply(s.tr, LogPosition{0, int64(i)}); err != nil {
			t.Fatal(err)
		}
		if got := b.Shares(1, "MMM"); got != s.want {
			t.Fatalf("after trade %s: %d shares, want %d", s.tr.ID, got, s.want)
		}
	}
	if m, _ := b.Price("MMM"); m.Price != 99 {
		t.Fatalf("last price %v, want 99", m.Price)
	}
}

func TestApplyRejectsOverflowInsteadOfWrapping(t *testing.T) {
	b := NewBook()
	for i := 0; i < 9_300_000; i++ {
		if err := b.Apply(trade("x", 1, "X", message.Buy, message.MaxQuantity, 1, 1), LogPosition{0, int64(i)}); err != nil {
			if !errors.Is(err, ErrOverflow) {
				t.Fatal(err)
			}
			if b.Shares(1, "X") < 0 {
				t.Fatal("position wrapped around")
			}
			return
		}
	}
	t.Fatal("no overflow reported")
}

func TestLastPriceIsTheLatestTimestampThenLogPosition(t *testing.T) {
	b := NewBook()
	apply := func(price float64, ts int64, p int32, off int64) {
		if err := b.Apply(trade("t", 1, "A", message.Buy, 1, price, ts), LogPosition{p, off}); err != nil {
			t.Fatal(err)
		}
	}
	apply(10, 100, 0, 5)
	apply(11, 50, 1, 9) // older trade arriving later: ignored
	apply(12, 100, 0, 4)
	apply(13, 100, 1, 0) // same time, higher partition: wins
	if m, _ := b.Price("A"); m.Price != 13 {
		t.Fatalf("price %v, want 13", m.Price)
	}
}

func TestFreezeSortsAndHidesZeroPositions(t *testing.T) {
	b := NewBook()
	_ = b.Apply(trade("1", 2, "ZZ", message.Buy, 1, 1, 1), LogPosition{0, 0})
	_ = b.Apply(trade("2", 1, "B", message.Buy, 3, 1, 1), LogPosition{0, 1})
	_ = b.Apply(trade("3", 1, "A", message.Buy, 2, 1, 1), LogPosition{0, 2})
	_ = b.Apply(trade("4", 1, "C", message.Buy, 2, 1, 1), LogPosition{0, 3})
	_ = b.Apply(trade("5", 1, "C", message.Sell, 2, 1, 1), LogPosition{0, 4})
	s := b.Freeze(7, Cut{0: 5})
	var got []Holding
	for i := 0; i < s.Len(); i++ {
		got = append(got, s.Row(i))
	}
	want := []Holding{{1, "A", 2}, {1, "B", 3}, {2, "ZZ", 1}}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if _, err := NewSnapshot(7, s.Cut, s.Columns(), s.Prices()); err != nil {
		t.Fatalf("a frozen snapshot must pass its own invariants: %v", err)
	}
}

func TestNewSnapshotRejectsBrokenColumns(t *testing.T) {
	for name, cols := range map[string]SnapshotColumns{
		"unsorted rows":    {Users: []int64{2, 1}, Symbols: []uint32{0, 0}, Shares: []int64{1, 1}, SymbolNames: []string{"A"}},
		"duplicate rows":   {Users: []int64{1, 1}, Symbols: []uint32{0, 0}, Shares: []int64{1, 1}, SymbolNames: []string{"A"}},
		"zero position":    {Users: []int64{1}, Symbols: []uint32{0}, Shares: []int64{0}, SymbolNames: []string{"A"}},
		"unknown symbol":   {Users: []int64{1}, Symbols: []uint32{3}, Shares: []int64{1}, SymbolNames: []string{"A"}},
		"ragged columns":   {Users: []int64{1, 2}, Symbols: []uint32{0}, Shares: []int64{1}, SymbolNames: []string{"A"}},
		"unsorted symbols": {SymbolNames: []string{"B", "A"}},
	} {
		if _, err := NewSnapshot(1, Cut{}, cols, nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// The union of a snapshot and a delta equals one book that applied every trade: the
// property the swap relies on.
func TestUnionEqualsOneBookOverAllTrades(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	symbols := []string{"A", "AAPL", "MMM", "T", "ZION"}
	all, base, delta := NewBook(), NewBook(), NewBook()
	const cutAt = 3000
	for i := 0; i < 6000; i++ {
		side := message.Buy
		if rng.IntN(3) == 0 {
			side = message.Sell
		}
		tr := trade("t", rng.Int64N(50)+1, symbols[rng.IntN(len(symbols))], side, rng.Int64N(100)+1, 1, int64(i))
		pos := LogPosition{0, int64(i)}
		_ = all.Apply(tr, pos)
		if i < cutAt {
			_ = base.Apply(tr, pos)
		} else {
			_ = delta.Apply(tr, pos)
		}
	}
	s := base.Freeze(1, Cut{0: cutAt})
	for _, r := range []struct{ lo, hi int64 }{{1, 50}, {7, 7}, {10, 20}, {0, math.MaxInt64}} {
		from, to := s.UserRows(r.lo, r.hi)
		it := s.Union(from, to, delta.Holdings(r.lo, r.hi))
		var got []Holding
		for h, ok := it.Next(); ok; h, ok = it.Next() {
			got = append(got, h)
		}
		if want := all.Holdings(r.lo, r.hi); !slices.Equal(got, want) {
			t.Fatalf("users %d..%d: union %v, want %v", r.lo, r.hi, got, want)
		}
	}
}

func TestCut(t *testing.T) {
	c := Cut{0: 5, 1: 3}
	if !c.Includes(LogPosition{0, 4}) || c.Includes(LogPosition{0, 5}) || c.Includes(LogPosition{2, 0}) {
		t.Fatal("Includes")
	}
	if !c.Covers(Cut{0: 5}) || c.Covers(Cut{1: 4}) || !(Cut{0: 5, 1: 3, 2: 0}).Equal(c) {
		t.Fatal("Covers/Equal")
	}
	if c.String() != "p0:5 p1:3" {
		t.Fatal(c.String())
	}
}

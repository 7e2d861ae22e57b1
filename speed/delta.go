package speed

import (
	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/message"
)

// Delta is a delta table: the trades at or beyond its base cut, folded into a book. It
// keeps the trades it applied so that the next delta can be seeded from them when a cut
// falls behind what the speed layer already applied. The Layer serializes access.
type Delta struct {
	base ledger.Cut
	// floor is base by partition number, for the test every record takes.
	floor   []int64
	book    *ledger.Book
	applied []appliedTrade
	// tradesByUser counts the trades applied per user: who is active since the cut.
	tradesByUser map[int64]int
}

type appliedTrade struct {
	trade message.Trade
	at    ledger.LogPosition
}

func newDelta(base ledger.Cut) *Delta {
	var floor []int64
	for p, off := range base {
		if p >= 0 {
			floor = append(floor, make([]int64, max(0, int(p)+1-len(floor)))...)
			floor[p] = off
		}
	}
	return &Delta{base: base.Clone(), floor: floor, book: ledger.NewBook(), tradesByUser: map[int64]int{}}
}

// accepts reports whether the record belongs in this delta: it is at or beyond the base.
func (d *Delta) accepts(at ledger.LogPosition) bool {
	switch {
	case at.Partition < 0:
		return !d.base.Includes(at)
	case int(at.Partition) < len(d.floor):
		return at.Offset >= d.floor[at.Partition]
	}
	return true // a partition the base does not name is at offset 0
}

func (d *Delta) apply(t message.Trade, at ledger.LogPosition) error {
	if err := d.book.Apply(t, at); err != nil {
		return err
	}
	d.applied = append(d.applied, appliedTrade{trade: t, at: at})
	d.tradesByUser[t.UserID]++
	return nil
}

// seed builds a delta at base from the trades this delta applied at or beyond base.
func (d *Delta) seed(base ledger.Cut) *Delta {
	next := newDelta(base)
	for _, a := range d.applied {
		if next.accepts(a.at) {
			// A trade that overflows only within this subset of trades stays out; the
			// next batch run, which sees them all in order, settles the position.
			_ = next.apply(a.trade, a.at)
		}
	}
	return next
}

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
	applied appliedLog
}

func newDelta(base ledger.Cut) *Delta {
	var floor []int64
	for p, off := range base {
		if p >= 0 {
			floor = append(floor, make([]int64, max(0, int(p)+1-len(floor)))...)
			floor[p] = off
		}
	}
	return &Delta{base: base.Clone(), floor: floor, book: ledger.NewBook()}
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

func (d *Delta) apply(t message.Trade, mark ledger.PriceMark) error {
	return d.applySymbol(t, d.book.Symbol(t.Symbol), mark)
}

// applySymbol is apply given the book's number for the trade's symbol.
func (d *Delta) applySymbol(t message.Trade, symbol uint32, mark ledger.PriceMark) error {
	if err := d.book.ApplySymbol(t, symbol, mark); err != nil {
		return err
	}
	d.applied.add(appliedTrade{userID: t.UserID, symbol: symbol, shares: t.SignedQuantity(), mark: mark})
	return nil
}

// seed builds a delta at base from the trades this delta applied at or beyond base.
func (d *Delta) seed(base ledger.Cut) *Delta {
	next := newDelta(base)
	// The two books number symbols each in their own order: each of this book's numbers is
	// looked up by name once, not once a trade.
	var renumber []uint32 // by this book's number: next's number plus one, 0 until looked up
	d.applied.each(func(a *appliedTrade) {
		if next.accepts(a.mark.At) {
			if int(a.symbol) >= len(renumber) {
				renumber = append(renumber, make([]uint32, int(a.symbol)+1-len(renumber))...)
			}
			if renumber[a.symbol] == 0 {
				renumber[a.symbol] = next.book.Symbol(d.book.SymbolName(a.symbol)) + 1
			}
			symbol := renumber[a.symbol] - 1
			// A trade that overflows only within this subset of trades stays out; the
			// next batch run, which sees them all in order, settles the position.
			if next.book.AddNumbered(a.userID, symbol, a.shares, a.mark) {
				next.applied.add(appliedTrade{userID: a.userID, symbol: symbol, shares: a.shares, mark: a.mark})
			}
		}
	})
	return next
}

// appliedTrade is what seeding a delta needs of a trade: no trade id (deduplication is
// done before a delta sees a trade) and the symbol as its book's number. It holds no
// pointer, so the collector never scans the log: a delta holds millions of trades
// between cycles, and marking them was most of the collector's work during ingest.
type appliedTrade struct {
	userID int64
	symbol uint32 // the delta's book's number
	shares int64
	mark   ledger.PriceMark
}

// appliedLog is an append-only list in fixed-size chunks: a delta holds millions of trades
// between cycles, and a profile of ingest spent a tenth of its time copying one growing
// slice.
type appliedLog struct {
	chunks [][]appliedTrade
}

const appliedChunk = 1 << 14

func (l *appliedLog) add(a appliedTrade) {
	if n := len(l.chunks); n == 0 || len(l.chunks[n-1]) == appliedChunk {
		l.chunks = append(l.chunks, make([]appliedTrade, 0, appliedChunk))
	}
	last := &l.chunks[len(l.chunks)-1]
	*last = append(*last, a)
}

func (l *appliedLog) each(fn func(*appliedTrade)) {
	for _, c := range l.chunks {
		for i := range c {
			fn(&c[i])
		}
	}
}

package ledger

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/autonews/autonews/message"
)

// Snapshot is the immutable batch view of one epoch: every non-zero position of the
// trades below Cut, sorted by user and symbol, and the last price of every symbol traded
// below Cut. It is shared by concurrent readers without locking.
type Snapshot struct {
	Epoch uint64
	Cut   Cut

	// Positions, stored as columns: row i is users[i] holding shares[i] of
	// symbolNames[symbols[i]]. symbolNames is sorted, so symbol ids order like names.
	users       []int64
	symbols     []uint32
	shares      []int64
	symbolNames []string

	prices map[string]PriceMark
}

// EmptySnapshot is epoch 0: nothing below a cut at offset zero.
func EmptySnapshot() *Snapshot {
	return &Snapshot{Cut: Cut{}, prices: map[string]PriceMark{}}
}

// Freeze turns the book into the snapshot of epoch at cut. The book must not be used after.
func (b *Book) Freeze(epoch uint64, cut Cut) *Snapshot {
	// Number the held symbols by name, so that snapshot symbol ids order like names.
	held := make([]bool, b.symbols.Len())
	rows := 0
	b.accounts.each(func(_ int64, acct *account) {
		for _, p := range acct.positions {
			if p.shares != 0 {
				rows++
				held[p.symbol] = true
			}
		}
	})
	var names []string
	for id, name := range b.symbols.Names() {
		if held[id] {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	snapshotID := make([]uint32, b.symbols.Len())
	for i, n := range names {
		id, _ := b.symbols.Lookup(n)
		snapshotID[id] = uint32(i)
	}
	users := make([]int64, 0, b.accounts.len())
	b.accounts.each(func(u int64, _ *account) { users = append(users, u) })
	slices.Sort(users)
	s := &Snapshot{
		Epoch: epoch, Cut: cut.Clone(), symbolNames: names, prices: b.Prices(),
		users: make([]int64, 0, rows), symbols: make([]uint32, 0, rows), shares: make([]int64, 0, rows),
	}
	for _, u := range users {
		start := len(s.users)
		for _, p := range b.accounts.get(u).positions {
			if p.shares != 0 {
				s.users = append(s.users, u)
				s.symbols = append(s.symbols, snapshotID[p.symbol])
				s.shares = append(s.shares, p.shares)
			}
		}
		sortRowsBySymbol(s.symbols[start:], s.shares[start:])
	}
	b.accounts, b.marks, b.symbols = accountTable{}, SymbolMarks{}, message.SymbolNumbers{}
	return s
}

func sortRowsBySymbol(symbols []uint32, shares []int64) {
	sort.Sort(symbolRows{symbols, shares})
}

type symbolRows struct {
	symbols []uint32
	shares  []int64
}

func (r symbolRows) Len() int           { return len(r.symbols) }
func (r symbolRows) Less(i, j int) bool { return r.symbols[i] < r.symbols[j] }
func (r symbolRows) Swap(i, j int) {
	r.symbols[i], r.symbols[j] = r.symbols[j], r.symbols[i]
	r.shares[i], r.shares[j] = r.shares[j], r.shares[i]
}

// SnapshotColumns is the stored form of a snapshot's positions, as written to and read
// from disk.
type SnapshotColumns struct {
	Users       []int64
	Symbols     []uint32
	Shares      []int64
	SymbolNames []string
}

// Columns exposes the snapshot's positions for persistence. The slices are shared and must
// not be modified.
func (s *Snapshot) Columns() SnapshotColumns {
	return SnapshotColumns{Users: s.users, Symbols: s.symbols, Shares: s.shares, SymbolNames: s.symbolNames}
}

// NewSnapshot rebuilds a snapshot from stored columns, checking the invariants that
// readers rely on: rows sorted by user and symbol, no duplicates, no zero positions, and
// every symbol id within the dictionary.
func NewSnapshot(epoch uint64, cut Cut, cols SnapshotColumns, prices map[string]PriceMark) (*Snapshot, error) {
	n := len(cols.Users)
	if len(cols.Symbols) != n || len(cols.Shares) != n {
		return nil, fmt.Errorf("snapshot columns differ in length: %d users, %d symbols, %d shares", n, len(cols.Symbols), len(cols.Shares))
	}
	if !slices.IsSorted(cols.SymbolNames) {
		return nil, fmt.Errorf("snapshot symbol dictionary is not sorted")
	}
	for i := 0; i < n; i++ {
		if int(cols.Symbols[i]) >= len(cols.SymbolNames) {
			return nil, fmt.Errorf("snapshot row %d: symbol id %d outside a dictionary of %d", i, cols.Symbols[i], len(cols.SymbolNames))
		}
		if cols.Shares[i] == 0 {
			return nil, fmt.Errorf("snapshot row %d: zero position stored", i)
		}
		if i > 0 && !(cols.Users[i-1] < cols.Users[i] || cols.Users[i-1] == cols.Users[i] && cols.Symbols[i-1] < cols.Symbols[i]) {
			return nil, fmt.Errorf("snapshot row %d: rows out of order", i)
		}
	}
	if prices == nil {
		prices = map[string]PriceMark{}
	}
	return &Snapshot{Epoch: epoch, Cut: cut.Clone(), users: cols.Users, symbols: cols.Symbols, shares: cols.Shares,
		symbolNames: cols.SymbolNames, prices: prices}, nil
}

// Len is the number of stored positions.
func (s *Snapshot) Len() int { return len(s.users) }

// Row returns stored position i.
func (s *Snapshot) Row(i int) Holding {
	return Holding{UserID: s.users[i], Symbol: s.symbolNames[s.symbols[i]], Shares: s.shares[i]}
}

// UserRows returns the row range [from, to) of users in [lo, hi].
func (s *Snapshot) UserRows(lo, hi int64) (from, to int) {
	from, _ = slices.BinarySearch(s.users, lo)
	if hi == math.MaxInt64 {
		return from, len(s.users)
	}
	to, _ = slices.BinarySearch(s.users, hi+1)
	return from, to
}

// Price returns the symbol's last price below the cut.
func (s *Snapshot) Price(symbol string) (PriceMark, bool) {
	m, ok := s.prices[symbol]
	return m, ok
}

// Prices returns the snapshot's last prices; the map is shared and must not be modified.
func (s *Snapshot) Prices() map[string]PriceMark { return s.prices }

// Union yields the positions S ⊕ D: the snapshot's rows [from, to) summed with delta, a
// sorted list of delta positions over the same users. Positions that sum to zero are
// hidden.
func (s *Snapshot) Union(from, to int, delta []Holding) *UnionIter {
	return &UnionIter{s: s, i: from, end: to, delta: delta}
}

// UnionIter walks a snapshot range and a delta list in (user, symbol) order.
type UnionIter struct {
	s     *Snapshot
	i     int
	end   int
	delta []Holding
}

// Next returns the next non-zero position, or false at the end.
func (it *UnionIter) Next() (Holding, bool) {
	for {
		var h Holding
		hasBase, hasDelta := it.i < it.end, len(it.delta) > 0
		switch {
		case !hasBase && !hasDelta:
			return Holding{}, false
		case hasBase && hasDelta:
			base := it.s.Row(it.i)
			d := it.delta[0]
			switch c := compareHolding(base, d); {
			case c < 0:
				h = base
				it.i++
			case c > 0:
				h = d
				it.delta = it.delta[1:]
			default:
				h = base
				h.Shares += d.Shares
				it.i++
				it.delta = it.delta[1:]
			}
		case hasBase:
			h = it.s.Row(it.i)
			it.i++
		default:
			h = it.delta[0]
			it.delta = it.delta[1:]
		}
		if h.Shares != 0 {
			return h, true
		}
	}
}

func compareHolding(a, b Holding) int {
	switch {
	case a.UserID < b.UserID:
		return -1
	case a.UserID > b.UserID:
		return 1
	}
	return compareString(a.Symbol, b.Symbol)
}

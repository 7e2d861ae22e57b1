package ledger

// View is what a reader of holdings sees at one moment: the published snapshot, the
// active delta's positions of the users asked for (sorted), and the last price of every
// symbol across both.
type View struct {
	Snapshot *Snapshot
	Delta    []Holding
	Prices   map[string]PriceMark
}

// Price returns the last price of symbol.
func (v View) Price(symbol string) (float64, bool) {
	m, ok := v.Prices[symbol]
	return m.Price, ok
}

// MergePrices overlays later prices on base without modifying either.
func MergePrices(base, later map[string]PriceMark) map[string]PriceMark {
	out := make(map[string]PriceMark, len(base)+len(later))
	for s, m := range base {
		out[s] = m
	}
	for s, m := range later {
		NotePrice(out, s, m)
	}
	return out
}

// Portfolio returns one user's positions, priced and weighted, ordered by symbol.
func (v View) Portfolio(userID int64) []Valued {
	return Value(v.AppendUser(nil, userID), v.Price)
}

// AppendUser appends one user's non-zero positions, ordered by symbol, to dst.
func (v View) AppendUser(dst []Holding, userID int64) []Holding {
	from, to := v.Snapshot.UserRows(userID, userID)
	it := UnionIter{s: v.Snapshot, i: from, end: to, delta: v.Delta}
	for h, ok := it.Next(); ok; h, ok = it.Next() {
		if h.UserID == userID {
			dst = append(dst, h)
		}
	}
	return dst
}

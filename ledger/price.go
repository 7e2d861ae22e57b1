package ledger

import "github.com/autonews/autonews/message"

// PriceMark is a symbol's last traded price and the trade that set it.
type PriceMark struct {
	Price float64
	// TSMicros is the trade's timestamp in microseconds since the Unix epoch.
	TSMicros int64
	At       LogPosition
}

// MarkOf is the price mark the trade read at position at sets.
func MarkOf(t message.Trade, at LogPosition) PriceMark {
	return PriceMark{Price: t.Price, TSMicros: t.TS.UnixMicro(), At: at}
}

// NotePrice keeps m as symbol's mark in prices unless the mark there is later.
func NotePrice(prices map[string]PriceMark, symbol string, m PriceMark) {
	if old, ok := prices[symbol]; !ok || m.Supersedes(old) {
		prices[symbol] = m
	}
}

// Supersedes reports whether m is a later trade than o: the later timestamp wins, ties
// broken by partition and offset so that every layer picks the same price.
func (m PriceMark) Supersedes(o PriceMark) bool {
	if m.TSMicros != o.TSMicros {
		return m.TSMicros > o.TSMicros
	}
	return o.At.Less(m.At)
}

// SymbolMarks are last prices by symbol number, for those who number symbols (the book,
// the batch fold): a slice instead of a map keyed by name.
type SymbolMarks struct {
	marks []PriceMark
	set   []bool
}

// Note keeps mark as the symbol's price unless a later one is there.
func (m *SymbolMarks) Note(symbol uint32, mark PriceMark) {
	if int(symbol) >= len(m.marks) {
		grow := int(symbol) + 1 - len(m.marks)
		m.marks = append(m.marks, make([]PriceMark, grow)...)
		m.set = append(m.set, make([]bool, grow)...)
	}
	if !m.set[symbol] || mark.Supersedes(m.marks[symbol]) {
		m.marks[symbol], m.set[symbol] = mark, true
	}
}

// Clear forgets every price, keeping the room they took.
func (m *SymbolMarks) Clear() { clear(m.set) }

// Get returns the symbol's price, if it has one.
func (m *SymbolMarks) Get(symbol uint32) (PriceMark, bool) {
	if int(symbol) >= len(m.marks) || !m.set[symbol] {
		return PriceMark{}, false
	}
	return m.marks[symbol], true
}

// Each calls fn with every symbol that has a price.
func (m *SymbolMarks) Each(fn func(symbol uint32, mark PriceMark)) {
	for symbol, mark := range m.marks {
		if m.set[symbol] {
			fn(uint32(symbol), mark)
		}
	}
}

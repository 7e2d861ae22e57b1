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

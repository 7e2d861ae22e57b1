package message

import (
	"maps"
	"sync"
	"sync/atomic"
)

// internedSymbols holds one string per ticker symbol seen, so that decoding a trade does
// not allocate its symbol: every trade carries one of a few hundred symbols, and the
// strings are kept by the speed layer and the archiver for millions of trades. Readers
// look up the current map without locking; a new symbol copies the map under mu.
var internedSymbols struct {
	mu      sync.Mutex
	current atomic.Pointer[map[string]string]
}

// maxInternedSymbols bounds the table against a stream of made-up symbols; beyond it a
// symbol is allocated per trade, as without the table.
const maxInternedSymbols = 1 << 12

// internSymbol returns symbol as a string shared by every trade of that symbol.
func internSymbol(symbol []byte) string {
	if m := internedSymbols.current.Load(); m != nil {
		if s, ok := (*m)[string(symbol)]; ok {
			return s
		}
	}
	internedSymbols.mu.Lock()
	defer internedSymbols.mu.Unlock()
	old := internedSymbols.current.Load()
	if old != nil {
		if s, ok := (*old)[string(symbol)]; ok {
			return s
		}
		if len(*old) >= maxInternedSymbols {
			return string(symbol)
		}
	}
	next := map[string]string{}
	if old != nil {
		next = maps.Clone(*old)
	}
	s := string(symbol)
	next[s] = s
	internedSymbols.current.Store(&next)
	return s
}

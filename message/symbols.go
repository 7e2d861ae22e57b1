package message

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
)

// internedSymbols holds one string per ticker symbol seen, so that decoding a trade does
// not allocate its symbol: every trade carries one of a few hundred symbols, and the
// strings are kept by the speed layer and the archiver for millions of trades. Readers
// look up the current table without locking; a new symbol copies the table under mu.
var internedSymbols struct {
	mu      sync.Mutex
	current atomic.Pointer[internTable]
}

// maxInternedSymbols bounds the table against a stream of made-up symbols; beyond it a
// symbol is allocated per trade, as without the table.
const maxInternedSymbols = 1 << 12

// internTable is an open-addressing table of symbols keyed by their bytes packed into
// two words, which a lookup compares without a call (a Go map hashed the name and
// compared strings: 35 ns a trade in BenchmarkDecodeTrade's profile).
type internTable struct {
	slots []internSlot // a power of two, at most half full
	count int
}

type internSlot struct {
	key    packedSymbol // zero in an empty slot
	symbol string
}

// packedSymbol is a symbol of 1 to 12 bytes: its first eight bytes, and the next four
// with its length in the top byte, so that no symbol packs to zero.
type packedSymbol struct{ low, high uint64 }

func packSymbol(symbol []byte) packedSymbol {
	var buf [16]byte
	copy(buf[:], symbol)
	return packedSymbol{low: binary.LittleEndian.Uint64(buf[:8]), high: binary.LittleEndian.Uint64(buf[8:]) | uint64(len(symbol))<<56}
}

func (t *internTable) find(key packedSymbol) *internSlot {
	mask := uint64(len(t.slots) - 1)
	for i := (key.low ^ key.high*0x9e3779b97f4a7c15) * 0xbf58476d1ce4e5b9 >> 32 & mask; ; i = (i + 1) & mask {
		if slot := &t.slots[i]; slot.key == key || slot.key == (packedSymbol{}) {
			return slot
		}
	}
}

// internSymbol returns symbol, a well-formed ticker symbol, as a string shared by every
// trade of that symbol.
func internSymbol(symbol []byte) string {
	if len(symbol) == 0 || len(symbol) > MaxSymbolLen {
		return string(symbol)
	}
	key := packSymbol(symbol)
	if t := internedSymbols.current.Load(); t != nil {
		if slot := t.find(key); slot.key == key {
			return slot.symbol
		}
	}
	internedSymbols.mu.Lock()
	defer internedSymbols.mu.Unlock()
	old := internedSymbols.current.Load()
	if old != nil {
		if slot := old.find(key); slot.key == key {
			return slot.symbol
		}
		if old.count >= maxInternedSymbols {
			return string(symbol)
		}
	}
	size := 64
	if old != nil {
		for size < 2*(old.count+1) {
			size *= 2
		}
	}
	next := &internTable{slots: make([]internSlot, size)}
	if old != nil {
		for _, slot := range old.slots {
			if slot.key != (packedSymbol{}) {
				*next.find(slot.key) = slot
			}
		}
		next.count = old.count
	}
	s := string(symbol)
	*next.find(key) = internSlot{key: key, symbol: s}
	next.count++
	internedSymbols.current.Store(next)
	return s
}

package message

import (
	"math"
	"unsafe"
)

// SymbolNumbers numbers symbols from 0 in the order they are first met, for tables
// indexed by symbol. Decoded trades share one string per symbol (internSymbol), so a
// symbol met again is found by the address of its string in a small direct-mapped cache
// before its name is hashed: map lookups by name, in the speed layer's book and in the
// archiver's symbol column, were 4% of the product's CPU in the ingest profile.
//
// The zero value is an empty numbering. Number changes the numbering and its cache; Lookup and Name only read them, so a
// caller that guards the numbering with a sync.RWMutex may look up under a read lock.
type SymbolNumbers struct {
	byName map[string]uint32
	names  []string
	recent [recentSymbolSlots]recentSymbol
}

// recentSymbolSlots is eight times the symbols a market lists, so that few collide in it
// (with 1,024 slots, a sixth of the ingest profile's lookups still went to the map); a
// collision costs only the lookup by name.
const (
	recentSymbolBits  = 12
	recentSymbolSlots = 1 << recentSymbolBits
)

// recentSymbol is a symbol's string, by its address and length, and its number. A zero
// slot matches no string: the empty string is never cached.
type recentSymbol struct {
	data   *byte
	length uint32 // symbols are short; a longer string is never cached
	number uint32
}

// slot is where symbol's string would be cached: its address, mixed by a Fibonacci
// multiplier, picks one of the slots.
func (s *SymbolNumbers) slot(symbol string) *recentSymbol {
	address := uint64(uintptr(unsafe.Pointer(unsafe.StringData(symbol))))
	return &s.recent[address*0x9e3779b97f4a7c15>>(64-recentSymbolBits)]
}

// cached returns symbol's number if its very string is in the cache.
func (s *SymbolNumbers) cached(symbol string) (uint32, bool) {
	slot := s.slot(symbol)
	if slot.data != nil && slot.data == unsafe.StringData(symbol) && int(slot.length) == len(symbol) {
		return slot.number, true
	}
	return 0, false
}

// Number returns symbol's number, numbering it if it is new.
func (s *SymbolNumbers) Number(symbol string) uint32 {
	if n, ok := s.cached(symbol); ok {
		return n
	}
	n, ok := s.byName[symbol]
	if !ok {
		if s.byName == nil {
			s.byName = map[string]uint32{}
		}
		n = uint32(len(s.names))
		s.byName[symbol] = n
		s.names = append(s.names, symbol)
	}
	if symbol != "" && len(symbol) <= math.MaxUint32 {
		*s.slot(symbol) = recentSymbol{data: unsafe.StringData(symbol), length: uint32(len(symbol)), number: n}
	}
	return n
}

// Lookup returns symbol's number, if it has one.
func (s *SymbolNumbers) Lookup(symbol string) (uint32, bool) {
	if n, ok := s.cached(symbol); ok {
		return n, true
	}
	n, ok := s.byName[symbol]
	return n, ok
}

// Name is the symbol numbered n.
func (s *SymbolNumbers) Name(n uint32) string { return s.names[n] }

// Names are the symbols by number. The caller must not change them.
func (s *SymbolNumbers) Names() []string { return s.names }

// Len is how many symbols are numbered.
func (s *SymbolNumbers) Len() int { return len(s.names) }

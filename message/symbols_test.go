package message

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"unsafe"
)

// Every well-formed symbol interns to itself, and to one string however often it is met
// and from however many goroutines, until the table is full; beyond that a symbol is
// still itself, only not shared.
func TestSymbolsInternToOneStringEach(t *testing.T) {
	symbols := []string{"A", "MMM", "BRK.B", "BF-B", "ABCDEFGHIJKL", "ABCDEFGH", "ABCDEFGHI", "ABCDEFGHIJK"}
	for i := range 300 {
		symbols = append(symbols, fmt.Sprintf("T%d", i), fmt.Sprintf("T%d.X", i))
	}
	var wg sync.WaitGroup
	results := make([][]string, 4)
	for g := range results {
		wg.Add(1)
		go func() { // one reader of the table among several; the test waits for all
			defer wg.Done()
			for range 3 {
				results[g] = results[g][:0]
				for _, s := range symbols {
					results[g] = append(results[g], internSymbol([]byte(s)))
				}
			}
		}()
	}
	wg.Wait()
	for g, got := range results {
		for i, s := range got {
			if s != symbols[i] {
				t.Fatalf("goroutine %d interned %q as %q", g, symbols[i], s)
			}
			if unsafe.StringData(s) != unsafe.StringData(results[0][i]) {
				t.Fatalf("%q interned to two strings", s)
			}
		}
	}
}

func TestSymbolsBeyondTheInternTableAreStillThemselves(t *testing.T) {
	before := internedSymbols.current.Load()
	defer internedSymbols.current.Store(before) // the other tests intern their symbols
	for i := range maxInternedSymbols + 10 {
		s := fmt.Sprintf("Z%d", i)
		if got := internSymbol([]byte(s)); got != s {
			t.Fatalf("%q interned as %q", s, got)
		}
	}
	if got := internSymbol([]byte("MMM")); got != "MMM" {
		t.Fatalf("MMM interned as %q", got)
	}
}

// Symbols are numbered in the order first met, whether met again as the same string or
// as another with the same name, and looking one up never numbers it.
func TestSymbolNumbersFollowTheOrderFirstMet(t *testing.T) {
	var numbers SymbolNumbers // the zero value is ready
	if _, ok := numbers.Lookup("MMM"); ok {
		t.Fatal("an empty numbering knows MMM")
	}
	var names []string
	for i := range 5000 { // far more than the cache's slots: collisions are certain
		names = append(names, fmt.Sprintf("S%d", i))
	}
	for round := range 3 {
		for i, name := range names {
			if round == 1 {
				name = strings.Clone(name) // another string of the same name
			}
			if n := numbers.Number(name); n != uint32(i) {
				t.Fatalf("round %d: %s numbered %d, want %d", round, name, n, i)
			}
			if n, ok := numbers.Lookup(strings.Clone(name)); !ok || n != uint32(i) {
				t.Fatalf("round %d: lookup of %s: %d, %v", round, name, n, ok)
			}
		}
	}
	if _, ok := numbers.Lookup("NEW"); ok || numbers.Len() != len(names) {
		t.Fatalf("lookup of an unknown symbol: %v, %d numbered", ok, numbers.Len())
	}
	if first, again := numbers.Number(""), numbers.Number(""); first != uint32(len(names)) || again != first {
		t.Fatalf("the empty string numbered %d, then %d", first, again)
	}
	for i, name := range numbers.Names()[:len(names)] {
		if name != names[i] || numbers.Name(uint32(i)) != name {
			t.Fatalf("number %d names %q, want %q", i, name, names[i])
		}
	}
}

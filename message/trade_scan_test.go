package message

import (
	"math/rand/v2"
	"testing"
)

func TestWordCheckFindsQuotesBackslashesAndControlsAnywhere(t *testing.T) {
	special := func(w uint64) bool {
		for i := range 8 {
			if c := byte(w >> (8 * i)); c == '"' || c == '\\' || c < 0x20 {
				return true
			}
		}
		return false
	}
	var words []uint64
	for c := range 256 { // every byte at every place, among plain bytes and among high ones
		for i := range 8 {
			for _, fill := range []uint64{0x6161616161616161, 0xe9e9e9e9e9e9e9e9, 0x2121212121212121} {
				words = append(words, fill&^(0xff<<(8*i))|uint64(c)<<(8*i))
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100_000 {
		words = append(words, rng.Uint64())
	}
	for _, w := range words {
		if got := hasQuoteBackslashOrControl(w); got != special(w) {
			t.Fatalf("%#016x: %v, want %v", w, got, special(w))
		}
	}
}

package message

import "testing"

func BenchmarkDecodeTrade(b *testing.B) {
	key, value := []byte("42"), []byte(goodTrade)
	b.ReportAllocs()
	b.SetBytes(int64(len(value)))
	for b.Loop() {
		if _, err := DecodeTrade(key, value); err != nil {
			b.Fatal(err)
		}
	}
}

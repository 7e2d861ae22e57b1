package message

import (
	"strings"
	"testing"
)

func BenchmarkDecodeTrade(b *testing.B) {
	for _, c := range []struct{ name, value string }{
		{"contract", goodTrade},
		{"with-producer-fields", strings.Replace(goodTrade, "{", `{"order_ref":"O-88213-XNYS-20261125-000417","venue":"XNYS","fee":0.35,`, 1)},
		{"with-producer-fields-after", strings.TrimSuffix(goodTrade, "}") + `,"order_ref":"O-88213-XNYS-20261125-000417","venue":"XNYS","fee":0.35}`},
	} {
		b.Run(c.name, func(b *testing.B) {
			key, value := []byte("42"), []byte(c.value)
			b.ReportAllocs()
			b.SetBytes(int64(len(value)))
			for b.Loop() {
				if _, err := DecodeTrade(key, value); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

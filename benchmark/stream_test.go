package benchmark

import (
	"testing"

	"github.com/autonews/autonews/message"
)

// Padded trades are as long as asked and still decode to the trades they were.
func TestPaddedTradesDecodeAsBefore(t *testing.T) {
	records := tradeRecords(50, 10, 1)
	var want []message.Trade
	for _, r := range records {
		tr, err := message.DecodeTrade(r.Key, r.Value)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, tr)
	}
	padTo(records, 200)
	for i, r := range records {
		if len(r.Value) != 200 {
			t.Fatalf("record %d is %d bytes: %s", i, len(r.Value), r.Value)
		}
		got, err := message.DecodeTrade(r.Key, r.Value)
		if err != nil {
			t.Fatalf("%s: %v", r.Value, err)
		}
		if got != want[i] {
			t.Fatalf("%s decodes to %+v, want %+v", r.Value, got, want[i])
		}
	}
}

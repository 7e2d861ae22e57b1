package benchmark

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

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

// Packed records come back as they went in.
func TestPackedRecordsAreTheRecords(t *testing.T) {
	records := append(tradeRecords(20, 10, 1), &kgo.Record{Topic: message.TradesTopic, Value: []byte("{}")})
	packed := pack(records)
	if packed.len() != len(records) {
		t.Fatalf("%d packed records, want %d", packed.len(), len(records))
	}
	for i, r := range records {
		got := packed.record(i)
		if got.Topic != r.Topic || !bytes.Equal(got.Key, r.Key) || !bytes.Equal(got.Value, r.Value) {
			t.Fatalf("record %d: %s %q %q, want %s %q %q", i, got.Topic, got.Key, got.Value, r.Topic, r.Key, r.Value)
		}
	}
}

// Records handed out in blocks are the packed records, across a block's end, each in
// memory of its own.
func TestRecordsInBlocksAreThePackedRecords(t *testing.T) {
	packed := pack(tradeRecords(recordBlock+10, 10, 1))
	next := packed.inBlocks()
	seen := map[*kgo.Record]bool{}
	for i := range packed.len() {
		got, want := next(i), packed.record(i)
		if seen[got] || got.Topic != want.Topic || !bytes.Equal(got.Key, want.Key) || !bytes.Equal(got.Value, want.Value) {
			t.Fatalf("record %d: %s %q %q (seen before: %v), want %s %q %q", i, got.Topic, got.Key, got.Value, seen[got], want.Topic, want.Key, want.Value)
		}
		seen[got] = true
	}
}

// The catch-up rate is what was left at the producer's last acknowledgement over the
// time it took; there is none when nothing was left.
func TestCatchUpIsTheRateOfWhatWasLeft(t *testing.T) {
	for _, c := range []struct {
		name                string
		total, appliedAtAck int64
		acked, elapsed      float64
		want                string
	}{
		{"half left", 1000, 500, 1, 2, " (the last 500, left when the producer was done, at 500 trades/s)"},
		{"nothing left", 1000, 1000, 1, 1, ""},
		{"applied as acknowledged", 1000, 999, 1, 1, ""},
	} {
		if got := catchUp(c.total, c.appliedAtAck, c.acked, c.elapsed); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// A scenario name that does not exist is an error naming those that do, before any
// scenario starts.
func TestAnUnknownScenarioIsAnErrorThatNamesTheScenarios(t *testing.T) {
	results, err := Run(context.Background(), Options{Only: []string{"ingest", "ingst"}})
	if err == nil || !strings.Contains(err.Error(), `"ingst"`) || !strings.Contains(err.Error(), "ingest, ingest-encoded, freshness") {
		t.Fatalf("error %v, want one naming ingst and the scenarios", err)
	}
	if len(results) != 0 {
		t.Fatalf("%d results: a scenario ran", len(results))
	}
}

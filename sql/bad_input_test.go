package sql_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/message"
)

// A corpus of bad messages interleaved with good ones: every bad one lands in
// rejected_messages with a precise reason, every good one is applied, and the server goes
// on serving.
func TestBadInputIsRejectedPreciselyAndNothingElseStops(t *testing.T) {
	h := startHarness(t)
	good := func(id string, qty int) string {
		return fmt.Sprintf(`{"trade_id":%q,"user_id":3,"symbol":"MMM","side":"BUY","quantity":%d,"price":10,"ts":"2026-01-02T15:00:00Z"}`, id, qty)
	}
	trade := `{"trade_id":"B","user_id":3,"symbol":"MMM","side":"BUY","quantity":1,"price":10,"ts":"2026-01-02T15:00:00Z"}`
	with := func(old, new string) string { return strings.Replace(trade, old, new, 1) }
	corpus := []struct {
		name, key, value, reason string
		nullKey                  bool
	}{
		{"malformed JSON", "3", `{"trade_id":"B",`, "malformed JSON", false},
		{"not an object", "3", `"just a string"`, "must be a JSON object", false},
		{"wrong type", "3", with(`"quantity":1`, `"quantity":"1"`), "quantity must be a JSON number", false},
		{"missing field", "3", with(`"side":"BUY",`, ""), "missing side", false},
		{"unknown side", "3", with(`"BUY"`, `"SHORT"`), `side "SHORT" must be BUY or SELL`, false},
		{"zero quantity", "3", with(`"quantity":1`, `"quantity":0`), "quantity 0 is not positive", false},
		{"negative quantity", "3", with(`"quantity":1`, `"quantity":-7`), "quantity -7 is not positive", false},
		{"huge quantity", "3", with(`"quantity":1`, `"quantity":1000000000001`), "exceeds the limit of 1000000000000", false},
		{"NaN price", "3", with(`"price":10`, `"price":NaN`), "malformed JSON", false},
		{"negative price", "3", with(`"price":10`, `"price":-1`), "price -1 is not positive", false},
		{"odd symbol", "3", with(`"MMM"`, `"MM;M"`), `symbol "MM;M"`, false},
		{"invalid UTF-8", "3", with(`"B"`, "\"B\xff\""), "not valid UTF-8", false},
		{"control characters", "3", with(`"B"`, `"B\u0007"`), "trade_id contains control characters", false},
		{"empty payload", "3", "", "empty payload", false},
		{"1 MiB payload", "3", `{"pad":"` + strings.Repeat("x", 1<<20-20) + `"}`, "exceeds the 65536-byte limit", false},
		{"null key", "", trade, "missing message key", true},
		{"key of another user", "4", trade, "does not match user_id", false},
	}
	records := []*kgo.Record{}
	want := 0
	for i, c := range corpus {
		id := fmt.Sprintf("G%d", i)
		records = append(records, &kgo.Record{Topic: message.TradesTopic, Key: []byte("3"), Value: []byte(good(id, i+1))})
		want += i + 1
		r := &kgo.Record{Topic: message.TradesTopic, Key: []byte(c.key), Value: []byte(c.value)}
		if c.nullKey {
			r.Key = nil
		}
		records = append(records, r)
	}
	producer, err := kgo.NewClient(kgo.SeedBrokers(h.srv.KafkaAddr()), kgo.ProducerBatchMaxBytes(4<<20),
		kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer producer.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	offsets := make([]int64, len(records))
	for i, r := range records { // one by one, in order, on one partition
		res := producer.ProduceSync(ctx, r)
		if err := res.FirstErr(); err != nil {
			t.Fatalf("produce %d: %v", i, err)
		}
		offsets[i] = res[0].Record.Offset
	}
	if err := h.srv.Speed().WaitApplied(ctx, ledger.Cut{0: offsets[len(offsets)-1] + 1}); err != nil {
		t.Fatal(err)
	}

	if got, err := h.query("SELECT shares FROM holdings WHERE user_id = 3"); err != nil || got != fmt.Sprintf("%d\n", want) {
		t.Fatalf("good trades: %q %v, want %d", got, err, want)
	}
	rows, err := h.db.Query("SELECT `offset`, reason, length(payload) FROM rejected_messages WHERE topic = 'trades' ORDER BY `offset`")
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[int64]string{}
	lengths := map[int64]int{}
	for rows.Next() {
		var off int64
		var reason string
		var length int
		if err := rows.Scan(&off, &reason, &length); err != nil {
			t.Fatal(err)
		}
		reasons[off], lengths[off] = reason, length
	}
	rows.Close()
	for i, c := range corpus {
		off := offsets[2*i+1]
		if !strings.Contains(reasons[off], c.reason) {
			t.Errorf("%s at offset %d: reason %q, want %q", c.name, off, reasons[off], c.reason)
		}
		if lengths[off] > 4096 {
			t.Errorf("%s: %d bytes of payload kept, more than 4 KiB", c.name, lengths[off])
		}
	}
	if len(reasons) != len(corpus) {
		t.Errorf("%d rejections for %d bad messages", len(reasons), len(corpus))
	}
	t.Logf("%d bad messages tried, %d rejected with their reasons, %d good ones applied", len(corpus), len(reasons), len(corpus))
}

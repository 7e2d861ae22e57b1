package speed

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/autonews/autonews/internal/kafkatest"
	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/message"
)

// The tap sees every record the layer reads, once, in log order per partition, with the
// trade the layer decoded from it or why it is none: the trades archiver writes the
// master dataset from it.
func TestTheTapSeesEveryRecordInLogOrderWithItsDecodedTrade(t *testing.T) {
	seeds, client := kafkatest.Start(t, message.TradesTopic, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const n = 2*pipelineBatch + 500 // more than one batch per fetch
	for i := range n {
		value := kafkatest.NotATrade
		if i%100 != 7 {
			value = kafkatest.Trade(fmt.Sprintf("t%d", i), int64(i%50+1))
		}
		client.Produce(ctx, &kgo.Record{Partition: int32(i % 2), Key: message.TradeKey(int64(i%50 + 1)), Value: value}, nil)
	}
	if err := client.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	seen := map[int32][]string{} // per partition, "offset:id" or "offset:rejected"
	layer := New(Config{Partitions: []int32{0, 1}, ClientOpts: []kgo.Opt{kgo.SeedBrokers(seeds...)},
		Tap: func(records []*kgo.Record, trades []DecodedTrade) {
			for i, r := range records {
				entry := fmt.Sprintf("%d:%s", r.Offset, trades[i].Trade.ID)
				if trades[i].Err != nil {
					entry = fmt.Sprintf("%d:rejected", r.Offset)
				}
				seen[r.Partition] = append(seen[r.Partition], entry)
			}
		}}, ledger.EmptySnapshot())
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- layer.Run(runCtx) }() // stopped below
	if err := layer.WaitApplied(ctx, ledger.Cut{0: n / 2, 1: n / 2}); err != nil {
		t.Fatal(err)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for p := range int32(2) {
		var want []string
		for off := range n / 2 {
			i := 2*off + int(p) // the producer alternated partitions
			entry := fmt.Sprintf("%d:t%d", off, i)
			if i%100 == 7 {
				entry = fmt.Sprintf("%d:rejected", off)
			}
			want = append(want, entry)
		}
		if got := fmt.Sprint(seen[p]); got != fmt.Sprint(want) {
			t.Fatalf("partition %d: the tap saw %.300s…, want %.300s…", p, got, fmt.Sprint(want))
		}
	}
}

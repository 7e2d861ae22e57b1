package sql_test

import (
	"context"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/autonews/autonews/message"
)

// The server is killed with SIGKILL three times while trades stream in and cycles run
// every few hundred milliseconds. Every trade is delivered at least once (what was not
// acknowledged is sent again, as a producer would); at the end the holdings equal the
// independent sum, and a further kill with no traffic loses nothing.
func TestKillDashNineMidStreamLosesNothing(t *testing.T) {
	p := newProcess(t, "--cycle-interval", "300ms", "--archive-flush-interval", "100ms")
	p.start()
	rng := rand.New(rand.NewPCG(3, 5))
	symbols := []string{"AAPL", "MMM", "GOOGL", "BRK.B", "T", "NVDA"}
	trades, want := randomTrades(rng, 5000, 80, symbols, "K")

	producer, err := kgo.NewClient(kgo.SeedBrokers(p.kafkaAddr), kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer producer.Close()
	produce := func(batch []message.Trade, timeout time.Duration) error {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		records := make([]*kgo.Record, len(batch))
		for i, tr := range batch {
			records[i] = &kgo.Record{Topic: message.TradesTopic, Key: message.TradeKey(tr.UserID), Value: message.EncodeTrade(tr)}
		}
		return producer.ProduceSync(ctx, records...).FirstErr()
	}

	var (
		mu       sync.Mutex
		unacked  [][]message.Trade
		produced = make(chan struct{})
	)
	go func() {
		defer close(produced)
		for i := 0; i < len(trades); i += 50 {
			batch := trades[i:min(i+50, len(trades))]
			if err := produce(batch, 3*time.Second); err != nil {
				mu.Lock()
				unacked = append(unacked, batch)
				mu.Unlock()
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	kills := 0
	for ; kills < 3; kills++ {
		time.Sleep(time.Duration(300+rng.IntN(700)) * time.Millisecond)
		p.kill()
		p.start()
	}
	<-produced
	for _, batch := range unacked {
		if err := produce(batch, 30*time.Second); err != nil {
			t.Fatalf("redeliver after the kills: %v", err)
		}
	}
	t.Logf("%d trades, %d kills, %d batches redelivered", len(trades), kills, len(unacked))

	if out := p.runCycle(); !strings.Contains(out, "succeeded") {
		t.Fatalf("final cycle: %s", out)
	}
	if got := p.waitForQuery(holdingsQuery, renderPositions(want), 30*time.Second); sortedOutput(got) != renderPositions(want) {
		t.Fatalf("holdings differ from the independent sum after %d kills\n got: %.300s\nwant: %.300s", kills, sortedOutput(got), renderPositions(want))
	}

	// With nothing in flight, a kill and restart serve exactly the same holdings at once.
	before, err := p.query(holdingsQuery)
	if err != nil {
		t.Fatal(err)
	}
	p.kill()
	p.start()
	after, err := p.query(holdingsQuery)
	if err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Fatalf("holdings changed across a kill with no traffic\nbefore: %.300s\n after: %.300s", before, after)
	}
	p.stop()
}

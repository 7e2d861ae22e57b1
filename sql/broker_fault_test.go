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

// With the broker in a process of its own, it is killed with SIGKILL and restarted while
// trades flow: the server keeps serving reads, reconnects, and applies every trade exactly
// once, duplicates the broker re-accepted after its crash included.
func TestBrokerKillsWhileTradesFlow(t *testing.T) {
	broker := newProcess(t)
	broker.startBroker()
	p := newProcess(t, "--brokers", broker.kafkaAddr, "--cycle-interval", "500ms", "--archive-flush-interval", "100ms")
	p.start()
	rng := rand.New(rand.NewPCG(11, 13))
	trades, want := randomTrades(rng, 3000, 40, []string{"AAPL", "MMM", "KO", "T"}, "BK")
	producer, err := kgo.NewClient(kgo.SeedBrokers(broker.kafkaAddr), kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer producer.Close()

	var (
		mu      sync.Mutex
		unacked [][]message.Trade
		done    = make(chan struct{})
		reads   int
		readErr error
	)
	go func() { // reads go on while the broker is down
		for {
			select {
			case <-done:
				return
			default:
			}
			if _, err := p.query("SELECT count(*) FROM holdings WHERE user_id = 1"); err != nil {
				mu.Lock()
				readErr = err
				mu.Unlock()
			}
			mu.Lock()
			reads++
			mu.Unlock()
			time.Sleep(10 * time.Millisecond)
		}
	}()
	produceBatch := func(batch []message.Trade, timeout time.Duration) error {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		records := make([]*kgo.Record, len(batch))
		for i, tr := range batch {
			records[i] = &kgo.Record{Topic: message.TradesTopic, Key: message.TradeKey(tr.UserID), Value: message.EncodeTrade(tr)}
		}
		return producer.ProduceSync(ctx, records...).FirstErr()
	}
	go func() {
		defer close(done)
		for i := 0; i < len(trades); i += 30 {
			batch := trades[i:min(i+30, len(trades))]
			if err := produceBatch(batch, 2*time.Second); err != nil {
				mu.Lock()
				unacked = append(unacked, batch)
				mu.Unlock()
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	const kills = 3
	for k := 0; k < kills; k++ {
		time.Sleep(time.Duration(300+rng.IntN(400)) * time.Millisecond)
		broker.kill()
		time.Sleep(200 * time.Millisecond) // the server keeps serving without a broker
		broker.startBroker()
	}
	<-done
	for _, batch := range unacked { // what the crash left unacknowledged is sent again
		if err := produceBatch(batch, 30*time.Second); err != nil {
			t.Fatalf("redeliver: %v", err)
		}
	}
	mu.Lock()
	t.Logf("%d trades, %d broker kills, %d batches redelivered, %d reads during the stream", len(trades), kills, len(unacked), reads)
	if readErr != nil {
		t.Errorf("a read failed while the broker was down: %v", readErr)
	}
	mu.Unlock()
	if got := p.waitForQuery(holdingsQuery, renderPositions(want), 60*time.Second); sortedOutput(got) != renderPositions(want) {
		t.Fatalf("holdings differ from the independent sum\n got: %.300s\nwant: %.300s", sortedOutput(got), renderPositions(want))
	}
	if out := p.runCycle(); !strings.Contains(out, "succeeded") {
		t.Fatalf("cycle after the broker kills: %s", out)
	}
	if got, err := p.query("CALL autonews.verify()"); err != nil || got != "" {
		t.Fatalf("verify: %q %v", got, err)
	}
	p.stop()
	broker.stop()
}

package sql_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/autonews/autonews/message"
)

// atLeastOnce streams records in batches while faults happen, as a producer that retries
// would: a batch not acknowledged in time is kept and delivered again at the end, so every
// record reaches the log at least once (perhaps twice).
type atLeastOnce struct {
	t        testing.TB
	producer *kgo.Client
	done     chan struct{}

	mu      sync.Mutex
	unacked [][]*kgo.Record
}

// streamAtLeastOnce starts sending records to the broker at addr in batches of batchSize,
// pausing between batches; the goroutine it starts ends when all were sent once.
func streamAtLeastOnce(t testing.TB, addr string, records []*kgo.Record, batchSize int, pause time.Duration) *atLeastOnce {
	producer, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)))
	if err != nil {
		t.Fatal(err)
	}
	s := &atLeastOnce{t: t, producer: producer, done: make(chan struct{})}
	t.Cleanup(producer.Close)
	go func() {
		defer close(s.done)
		for i := 0; i < len(records); i += batchSize {
			batch := records[i:min(i+batchSize, len(records))]
			if err := s.send(batch, 2*time.Second); err != nil {
				s.mu.Lock()
				s.unacked = append(s.unacked, batch)
				s.mu.Unlock()
			}
			time.Sleep(pause)
		}
	}()
	return s
}

func (s *atLeastOnce) send(batch []*kgo.Record, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for _, r := range batch {
		r.Partition, r.Offset = 0, 0 // a retry is a new produce
	}
	return s.producer.ProduceSync(ctx, batch...).FirstErr()
}

// finish waits for the stream, delivers again what was not acknowledged, and returns how
// many batches that was.
func (s *atLeastOnce) finish() int {
	s.t.Helper()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, batch := range s.unacked {
		if err := s.send(batch, 30*time.Second); err != nil {
			s.t.Fatalf("redeliver: %v", err)
		}
	}
	return len(s.unacked)
}

// tradeRecord is a trade as its producer sends it.
func tradeRecord(t message.Trade) *kgo.Record {
	return &kgo.Record{Topic: message.TradesTopic, Key: message.TradeKey(t.UserID), Value: message.EncodeTrade(t)}
}

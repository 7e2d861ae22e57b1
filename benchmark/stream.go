package benchmark

import (
	"bytes"
	"context"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/loadgen"
	"github.com/autonews/autonews/message"
	"github.com/autonews/autonews/news"
)

// tradeRecords pre-encodes n generated trades over users, so that producing measures the
// pipeline, not the generator.
func tradeRecords(n, users int, seed uint64) []*kgo.Record {
	g := loadgen.New(loadgen.Config{Seed: seed, Users: users, NewsRatio: 0, IDPrefix: "bench"}, news.DefaultDictionary())
	out := make([]*kgo.Record, n)
	for i := range out {
		m := g.Next()
		out[i] = &kgo.Record{Topic: m.Topic, Key: m.Key, Value: m.Value}
	}
	return out
}

// padTo makes every record's value at least size bytes with a field the message contract
// ignores (an order reference), as trades from a real venue carry fields AutoNews does
// not read: the ingest target is stated for 200-byte messages, and the generator's are
// shorter.
func padTo(records []*kgo.Record, size int) {
	const field = `,"order_ref":""}`
	for _, r := range records {
		if missing := size - len(r.Value); missing > 0 && bytes.HasSuffix(r.Value, []byte("}")) {
			v := make([]byte, 0, max(size, len(r.Value)+len(field)))
			v = append(v, r.Value[:len(r.Value)-1]...)
			v = append(v, field[:len(field)-2]...)
			v = append(v, bytes.Repeat([]byte("x"), max(0, missing-len(field)+1))...)
			r.Value = append(v, `"}`...)
		}
	}
}

func newsRecords(n int, seed uint64) []*kgo.Record {
	g := loadgen.New(loadgen.Config{Seed: seed, NewsRatio: 1, IDPrefix: "bench"}, news.DefaultDictionary())
	out := make([]*kgo.Record, n)
	for i := range out {
		m := g.Next()
		out[i] = &kgo.Record{Topic: m.Topic, Key: m.Key, Value: m.Value}
	}
	return out
}

func producer(kafkaAddr string) (*kgo.Client, error) {
	return kgo.NewClient(kgo.SeedBrokers(kafkaAddr), kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)),
		kgo.ProducerLinger(2*time.Millisecond), kgo.MaxBufferedRecords(1<<20))
}

// produceTo sends records to the broker at kafkaAddr with a producer of its own and
// returns, once all are acknowledged, the offsets after the last one per topic and
// partition.
func produceTo(ctx context.Context, kafkaAddr string, records []*kgo.Record) (map[string]ledger.Cut, error) {
	client, err := producer(kafkaAddr)
	if err != nil {
		return nil, err
	}
	defer client.Close()
	return produceAll(ctx, client, records)
}

// produceAll sends records asynchronously and returns, once all are acknowledged, the
// offsets after the last one per topic and partition.
func produceAll(ctx context.Context, client *kgo.Client, records []*kgo.Record) (map[string]ledger.Cut, error) {
	var mu sync.Mutex
	var firstErr error
	ends := map[string]ledger.Cut{message.TradesTopic: {}, message.NewsTopic: {}}
	for _, r := range records {
		client.Produce(ctx, r, func(r *kgo.Record, err error) {
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = err
				return
			}
			ends[r.Topic][r.Partition] = max(ends[r.Topic][r.Partition], r.Offset+1)
		})
	}
	if err := client.Flush(ctx); err != nil {
		return nil, err
	}
	mu.Lock()
	defer mu.Unlock()
	return ends, firstErr
}

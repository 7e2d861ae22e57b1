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

// producer is the bench's client. It buffers 64k records (13 MB of 200-byte trades), as
// much as it needs to keep the broker busy: with a million, the ingest scenario, whose
// product runs in the bench's process, had the collector mark a million buffered
// records at every cycle (587k-589k against 620k-636k trades/s with 32k to 128k).
func producer(kafkaAddr string) (*kgo.Client, error) {
	return kgo.NewClient(kgo.SeedBrokers(kafkaAddr), kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)),
		kgo.ProducerLinger(2*time.Millisecond), kgo.MaxBufferedRecords(1<<16))
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
	return produceAll(ctx, client, len(records), func(i int) *kgo.Record { return records[i] })
}

// packedRecords hold pre-encoded records of one topic in pointer-free memory. A real
// producer does not keep millions of records alive; the ingest scenario runs the product
// in the bench's own process, whose collector would walk every one of them at each cycle
// (9% of that scenario's CPU was the collector).
type packedRecords struct {
	topic string
	bytes []byte
	ends  []int // per record, the end of its key, then of its value, in bytes
}

func pack(records []*kgo.Record) *packedRecords {
	size := 0
	for _, r := range records {
		size += len(r.Key) + len(r.Value)
	}
	// Sized once: growing it by appends copied hundreds of megabytes, in copies the
	// collector cannot interrupt.
	p := &packedRecords{bytes: make([]byte, 0, size), ends: make([]int, 0, 2*len(records))}
	for _, r := range records {
		p.topic = r.Topic
		p.bytes = append(p.bytes, r.Key...)
		p.ends = append(p.ends, len(p.bytes))
		p.bytes = append(p.bytes, r.Value...)
		p.ends = append(p.ends, len(p.bytes))
	}
	return p
}

func (p *packedRecords) len() int { return len(p.ends) / 2 }

// record returns record i, sharing the packed bytes.
func (p *packedRecords) record(i int) *kgo.Record {
	start := 0
	if i > 0 {
		start = p.ends[2*i-1]
	}
	keyEnd, end := p.ends[2*i], p.ends[2*i+1]
	return &kgo.Record{Topic: p.topic, Key: p.bytes[start:keyEnd:keyEnd], Value: p.bytes[keyEnd:end:end]}
}

// produceAll sends n records asynchronously and returns, once all are acknowledged, the
// offsets after the last one per topic and partition.
func produceAll(ctx context.Context, client *kgo.Client, n int, record func(i int) *kgo.Record) (map[string]ledger.Cut, error) {
	var mu sync.Mutex
	var firstErr error
	ends := map[string]ledger.Cut{message.TradesTopic: {}, message.NewsTopic: {}}
	// One promise for every record: a closure made in the loop was one more allocation a
	// record, on the two cores the product measured shares.
	promise := func(r *kgo.Record, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil && firstErr == nil {
			firstErr = err
			return
		}
		ends[r.Topic][r.Partition] = max(ends[r.Topic][r.Partition], r.Offset+1)
	}
	for i := range n {
		client.Produce(ctx, record(i), promise)
	}
	if err := client.Flush(ctx); err != nil {
		return nil, err
	}
	mu.Lock()
	defer mu.Unlock()
	return ends, firstErr
}

package benchmark

import (
	"bytes"
	"cmp"
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
	r := new(kgo.Record)
	p.fill(i, r)
	return r
}

// fill makes r record i, sharing the packed bytes.
func (p *packedRecords) fill(i int, r *kgo.Record) {
	start := 0
	if i > 0 {
		start = p.ends[2*i-1]
	}
	keyEnd, end := p.ends[2*i], p.ends[2*i+1]
	*r = kgo.Record{Topic: p.topic, Key: p.bytes[start:keyEnd:keyEnd], Value: p.bytes[keyEnd:end:end]}
}

// recordBlock is how many records the bench's producer allocates at once.
const recordBlock = 4096

// inBlocks returns record, as a producer calls it (each i once, in order), with the
// records allocated recordBlock at a time: one at a time they were 3% of the ingest
// window's CPU. The records of a block lie in the order they are produced and then
// encoded, as one at a time they did; records reused once acknowledged did not, and
// ingest fell by a tenth.
func (p *packedRecords) inBlocks() func(i int) *kgo.Record {
	var block []kgo.Record
	return func(i int) *kgo.Record {
		if len(block) == 0 {
			block = make([]kgo.Record, recordBlock)
		}
		r := &block[0]
		block = block[1:]
		p.fill(i, r)
		return r
	}
}

// produceAll sends n records asynchronously and returns, once all are acknowledged, the
// offsets after the last one per topic and partition.
func produceAll(ctx context.Context, client *kgo.Client, n int, record func(i int) *kgo.Record) (map[string]ledger.Cut, error) {
	var mu sync.Mutex // franz-go calls the promises one at a time; this is for the end
	var firstErr error
	// The offsets after the last acknowledged record, by topic and partition: the promise
	// runs once a record, and two map updates there were 2% of the ingest window's CPU.
	ends := map[string][]int64{}
	var lastTopic string
	var lastEnds []int64 // ends[lastTopic]
	// One promise for every record: a closure made in the loop was one more allocation a
	// record, on the two cores the product measured shares.
	promise := func(r *kgo.Record, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			firstErr = cmp.Or(firstErr, err)
			return
		}
		if lastEnds == nil || r.Topic != lastTopic {
			lastTopic, lastEnds = r.Topic, ends[r.Topic]
		}
		if int(r.Partition) >= len(lastEnds) {
			lastEnds = append(lastEnds, make([]int64, int(r.Partition)+1-len(lastEnds))...)
			ends[r.Topic] = lastEnds
		}
		lastEnds[r.Partition] = max(lastEnds[r.Partition], r.Offset+1)
	}
	for i := range n {
		client.Produce(ctx, record(i), promise)
	}
	if err := client.Flush(ctx); err != nil {
		return nil, err
	}
	mu.Lock()
	defer mu.Unlock()
	cuts := map[string]ledger.Cut{message.TradesTopic: {}, message.NewsTopic: {}}
	for topic, byPartition := range ends {
		cut := ledger.Cut{}
		for p, end := range byPartition {
			if end > 0 {
				cut[int32(p)] = end
			}
		}
		cuts[topic] = cut
	}
	return cuts, firstErr
}

package benchmark

import (
	"context"
	"fmt"
	"hash/crc32"
	"sync"
	"time"

	"github.com/klauspost/compress/s2"
	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/autonews/autonews/ledger"
)

// encodedBatch is a record batch of one partition in the Kafka protocol's form, its
// records compressed with snappy as franz-go's producer compresses them.
type encodedBatch struct {
	partition int32
	records   int32
	bytes     []byte
}

// batchRecordBytes bounds a batch's records before compression, as franz-go's producer
// bounds them by default (ProducerBatchMaxBytes).
const batchRecordBytes = 1_000_000

// Attributes of a record batch (KIP-98): the low three bits name the compression codec.
const snappyCodec = 2

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// encodeBatches turns records into record batches per partition, each partition's in
// the records' order. A record's partition is the one franz-go's producer picks for its
// key, so that one user's trades stay in one partition, in order.
func encodeBatches(records *packedRecords, partitions int) []encodedBatch {
	partitioner := kgo.StickyKeyPartitioner(nil).ForTopic(records.topic)
	pending := make([][]kmsg.Record, partitions)
	pendingBytes := make([]int, partitions)
	var batches []encodedBatch
	var scratch []byte
	flush := func(p int) {
		if len(pending[p]) > 0 {
			var b []byte
			b, scratch = encodeBatch(pending[p], scratch)
			batches = append(batches, encodedBatch{partition: int32(p), records: int32(len(pending[p])), bytes: b})
			pending[p], pendingBytes[p] = pending[p][:0], 0
		}
	}
	for i := range records.len() {
		r := records.record(i)
		p := partitioner.Partition(r, partitions)
		pending[p] = append(pending[p], kmsg.Record{OffsetDelta: int32(len(pending[p])), Key: r.Key, Value: r.Value})
		if pendingBytes[p] += len(r.Key) + len(r.Value) + 16; pendingBytes[p] >= batchRecordBytes {
			flush(p)
		}
	}
	for p := range partitions {
		flush(p)
	}
	return batches
}

// encodeBatch encodes records as one snappy-compressed batch, without a producer id
// (not idempotent), its first offset zero for the broker to assign. scratch is reused
// for the uncompressed records; the new scratch is returned.
func encodeBatch(records []kmsg.Record, scratch []byte) (batch, newScratch []byte) {
	plain := scratch[:0]
	var record []byte
	for i := range records {
		// A record begins with the length of what follows, a varint: encoded with a
		// zero length (one byte), its rest is then written after its true length.
		record = records[i].AppendTo(record[:0])
		plain = kbin.AppendVarint(plain, int32(len(record)-1))
		plain = append(plain, record[1:]...)
	}
	now := time.Now().UnixMilli()
	b := kmsg.RecordBatch{
		Magic: 2, Attributes: snappyCodec, LastOffsetDelta: int32(len(records) - 1),
		FirstTimestamp: now, MaxTimestamp: now, ProducerID: -1, ProducerEpoch: -1, FirstSequence: -1,
		NumRecords: int32(len(records)), Records: s2.EncodeSnappy(nil, plain),
	}
	out := b.AppendTo(nil)
	// The length counts from the leader epoch (after the first offset and the length
	// itself), and the checksum from the attributes (byte 21) on.
	kbin.AppendInt32(out[8:8], int32(len(out)-12))
	kbin.AppendInt32(out[17:17], int32(crc32.Checksum(out[21:], castagnoli)))
	return out, plain
}

// produceEncoded sends the batches to the broker in produce requests, each partition's in
// order from a goroutine of its own, and returns, once all are acknowledged, the offsets
// after the last one per partition.
func produceEncoded(ctx context.Context, client *kgo.Client, topic string, batches []encodedBatch, partitions int) (ledger.Cut, error) {
	topicID, err := lookUpTopicID(ctx, client, topic)
	if err != nil {
		return nil, err
	}
	byPartition := make([][]encodedBatch, partitions)
	for _, b := range batches {
		byPartition[b.partition] = append(byPartition[b.partition], b)
	}
	ends := make([]int64, partitions)
	errs := make([]error, partitions)
	var wg sync.WaitGroup
	for p := range partitions {
		wg.Add(1)
		go func() { // this partition's sender; it stops at its last batch or first error
			defer wg.Done()
			for _, b := range byPartition[p] {
				end, err := produceBatch(ctx, client, topic, topicID, b)
				if err != nil {
					errs[p] = fmt.Errorf("produce to %s partition %d: %w", topic, p, err)
					return
				}
				ends[p] = end
			}
		}()
	}
	wg.Wait()
	cut := ledger.Cut{}
	for p, end := range ends {
		if errs[p] != nil {
			return nil, errs[p]
		}
		if end > 0 {
			cut[int32(p)] = end
		}
	}
	return cut, nil
}

// produceBatch sends one batch with acks from all in-sync replicas, as franz-go's
// producer does by default, and returns the offset after its last record.
func produceBatch(ctx context.Context, client *kgo.Client, topic string, topicID [16]byte, b encodedBatch) (int64, error) {
	req := kmsg.NewPtrProduceRequest()
	req.Acks, req.TimeoutMillis = -1, 30_000
	t := kmsg.NewProduceRequestTopic()
	t.Topic, t.TopicID = topic, topicID // by name up to v12 of the request, by id from v13
	p := kmsg.NewProduceRequestTopicPartition()
	p.Partition, p.Records = b.partition, b.bytes
	t.Partitions = append(t.Partitions, p)
	req.Topics = append(req.Topics, t)
	resp, err := req.RequestWith(ctx, client)
	if err != nil {
		return 0, err
	}
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		return 0, fmt.Errorf("produce response names %d topics, not the one asked", len(resp.Topics))
	}
	rp := resp.Topics[0].Partitions[0]
	if err := kerr.ErrorForCode(rp.ErrorCode); err != nil {
		return 0, err
	}
	return rp.BaseOffset + int64(b.records), nil
}

// lookUpTopicID asks the broker for the id of topic, by which produce requests name it
// from version 13 on.
func lookUpTopicID(ctx context.Context, client *kgo.Client, topic string) ([16]byte, error) {
	req := kmsg.NewPtrMetadataRequest()
	t := kmsg.NewMetadataRequestTopic()
	t.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, t)
	resp, err := req.RequestWith(ctx, client)
	if err != nil {
		return [16]byte{}, fmt.Errorf("metadata of topic %s: %w", topic, err)
	}
	if len(resp.Topics) != 1 {
		return [16]byte{}, fmt.Errorf("metadata of topic %s: %d topics in the response", topic, len(resp.Topics))
	}
	if err := kerr.ErrorForCode(resp.Topics[0].ErrorCode); err != nil {
		return [16]byte{}, fmt.Errorf("metadata of topic %s: %w", topic, err)
	}
	return resp.Topics[0].TopicID, nil
}

package benchmark

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/autonews/autonews/message"
)

// Batches encoded beforehand reach a broker as franz-go's producer would have sent the
// same records: every record once, in its key's partition, in order, compressed, and
// read back as it was by franz-go's consumer.
func TestEncodedBatchesAreReadBackAsProduced(t *testing.T) {
	const partitions = 3
	for _, n := range []int{1, 7, 20_000} { // 20,000 padded trades fill several batches a partition
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, message.TradesTopic))
			if err != nil {
				t.Fatal(err)
			}
			defer cluster.Close()
			generated := tradeRecords(n, 50, 3)
			padTo(generated, 200)
			records := pack(generated)
			batches := encodeBatches(records, partitions)
			if n == 20_000 && len(batches) <= partitions {
				t.Fatalf("%d trades in %d batches: none was cut at the batch size", n, len(batches))
			}

			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			client, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...))
			if err != nil {
				t.Fatal(err)
			}
			defer client.Close()
			ends, err := produceEncoded(ctx, client, message.TradesTopic, batches, partitions)
			if err != nil {
				t.Fatal(err)
			}

			partitioner := kgo.StickyKeyPartitioner(nil).ForTopic(message.TradesTopic)
			want := make([][]*kgo.Record, partitions)
			for i := range records.len() {
				r := records.record(i)
				p := partitioner.Partition(r, partitions)
				want[p] = append(want[p], r)
			}
			for p := range partitions {
				if ends[int32(p)] != int64(len(want[p])) {
					t.Errorf("partition %d ends at %d, want %d", p, ends[int32(p)], len(want[p]))
				}
			}
			got := consumeAll(ctx, t, cluster.ListenAddrs(), n)
			for p := range partitions {
				if len(got[int32(p)]) != len(want[p]) {
					t.Fatalf("partition %d: %d records read back, want %d", p, len(got[int32(p)]), len(want[p]))
				}
				for i, r := range got[int32(p)] {
					if r.Attrs.CompressionType() != snappyCodec {
						t.Fatalf("partition %d offset %d: compression codec %d, want snappy", p, r.Offset, r.Attrs.CompressionType())
					}
					if r.Offset != int64(i) || !bytes.Equal(r.Key, want[p][i].Key) || !bytes.Equal(r.Value, want[p][i].Value) {
						t.Fatalf("partition %d offset %d: %q %q, want offset %d %q %q", p, r.Offset, r.Key, r.Value, i, want[p][i].Key, want[p][i].Value)
					}
				}
			}
		})
	}
}

// consumeAll reads n records of the trades topic, by partition.
func consumeAll(ctx context.Context, t *testing.T, brokers []string, n int) map[int32][]*kgo.Record {
	t.Helper()
	consumer, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(message.TradesTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer consumer.Close()
	got := map[int32][]*kgo.Record{}
	for read := 0; read < n; {
		fetches := consumer.PollFetches(ctx)
		if err := fetches.Err(); err != nil {
			t.Fatalf("after %d records: %v", read, err)
		}
		fetches.EachRecord(func(r *kgo.Record) {
			got[r.Partition] = append(got[r.Partition], r)
			read++
		})
	}
	return got
}

// Package kafkatest starts an in-process Kafka-protocol broker (franz-go's kfake) for the
// tests of packages that read topics, with a producer to it.
package kafkatest

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Start returns the seed addresses of a one-broker cluster holding topic with the given
// number of partitions, and a producer to it that sends each record to the partition the
// record names (0 unless set). Both close when the test ends.
func Start(t testing.TB, topic string, partitions int32) (seeds []string, producer *kgo.Client) {
	t.Helper()
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, topic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	producer, err = kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...), kgo.DefaultProduceTopic(topic),
		kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(producer.Close)
	return cluster.ListenAddrs(), producer
}

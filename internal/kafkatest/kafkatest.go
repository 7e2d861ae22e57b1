// Package kafkatest starts an in-process Kafka-protocol broker (franz-go's kfake) for the
// tests of packages that read topics, with a producer to it.
package kafkatest

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/autonews/autonews/message"
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

// Trade is the message of a valid trade of one MMM share at 10, with the given id and
// user: what the tests of readers of the trades topic produce.
func Trade(id string, user int64) []byte {
	return message.EncodeTrade(message.Trade{ID: id, UserID: user, Symbol: "MMM", Side: message.Buy,
		Quantity: 1, Price: 10, TS: time.Unix(1_700_000_000, 0).UTC()})
}

// NotATrade is a message on the trades topic that no trade decodes from.
var NotATrade = []byte("not a trade")

package server

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/message"
)

// ensureTopics creates the contract's topics when they are missing and returns the
// partitions of each.
func ensureTopics(ctx context.Context, admin *kadm.Client, tradesPartitions int) (map[string][]int32, error) {
	for topic, partitions := range map[string]int32{message.TradesTopic: int32(tradesPartitions), message.NewsTopic: 1} {
		resp, err := admin.CreateTopic(ctx, partitions, 1, nil, topic)
		if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			return nil, fmt.Errorf("create topic %s: %w", topic, err)
		}
		if resp.Err != nil && !errors.Is(resp.Err, kerr.TopicAlreadyExists) {
			return nil, fmt.Errorf("create topic %s: %w", topic, resp.Err)
		}
	}
	topics, err := admin.ListTopics(ctx, message.TradesTopic, message.NewsTopic)
	if err != nil {
		return nil, fmt.Errorf("describe topics: %w", err)
	}
	partitions := map[string][]int32{}
	for _, topic := range []string{message.TradesTopic, message.NewsTopic} {
		detail, ok := topics[topic]
		if !ok || detail.Err != nil {
			return nil, fmt.Errorf("describe topic %s: %v", topic, detail.Err)
		}
		partitions[topic] = detail.Partitions.Numbers()
		slices.Sort(partitions[topic])
	}
	return partitions, nil
}

// logEnd returns the log end offset of every partition of topic.
func logEnd(ctx context.Context, admin *kadm.Client, topic string) (ledger.Cut, error) {
	listed, err := admin.ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, err
	}
	if err := listed.Error(); err != nil {
		return nil, err
	}
	cut := ledger.Cut{}
	listed.Each(func(o kadm.ListedOffset) { cut[o.Partition] = o.Offset })
	return cut, nil
}

// trimLog deletes a topic's broker records below cut, keeping at least the last record
// of each partition: an emptied partition can restart its offsets at zero (MEASURED.md).
func trimLog(ctx context.Context, admin *kadm.Client, topic string, cut ledger.Cut) error {
	end, err := logEnd(ctx, admin, topic)
	if err != nil {
		return err
	}
	offsets := kadm.Offsets{}
	for p, off := range cut {
		if keep := min(off, end[p]-1); keep > 0 {
			offsets.AddOffset(topic, p, keep, -1)
		}
	}
	if len(offsets) == 0 {
		return nil
	}
	resp, err := admin.DeleteRecords(ctx, offsets)
	if err != nil {
		return err
	}
	return resp.Error()
}

// checkOffsetsForward reports a topic whose log ends behind what the snapshot or the
// master dataset already hold: a replaced or truncated log would otherwise make holdings
// silently wrong.
func checkOffsetsForward(topic string, end, snapshotCut, archived ledger.Cut) error {
	partitions := ledger.Cut{}
	for _, c := range []ledger.Cut{end, snapshotCut, archived} {
		for p := range c {
			partitions[p] = 0
		}
	}
	var errs []error
	for _, p := range partitions.Partitions() {
		if end[p] < snapshotCut[p] || end[p] < archived[p] {
			errs = append(errs, fmt.Errorf("partition %d of %s ends at offset %d, behind the snapshot cut %d or the master dataset's %d",
				p, topic, end[p], snapshotCut[p], archived[p]))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("the broker's log went backwards (was it replaced or truncated?): %w", errors.Join(errs...))
	}
	return nil
}

// Package consume reads a Kafka topic's partitions from given offsets, without a consumer
// group: AutoNews keeps its offsets with its data (the master dataset, the snapshot cut),
// so what it has applied and what it has read can never disagree.
package consume

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Config says what to read.
type Config struct {
	Topic string
	// Start is the first offset to read per partition.
	Start map[int32]int64
	// ClientOpts connect to the cluster (seed brokers, logger).
	ClientOpts []kgo.Opt
	// PollTimeout, if set, bounds each poll, so that the handler is called with no
	// records at least that often (for time-based work such as flushing).
	PollTimeout time.Duration
	// OnDataLoss, if set, is told when the broker lost records the consumer had read: its
	// log went backwards under a running consumer, so what was applied may no longer be
	// what the log holds.
	OnDataLoss func(error)
	Logger     *slog.Logger
}

// Run reads from cfg.Start until ctx ends, calling handle with every fetch (possibly
// empty). Fetch errors are logged and retried by the client; Run returns nil when ctx
// ends.
func Run(ctx context.Context, cfg Config, handle func(kgo.Fetches)) error {
	start := make(map[int32]kgo.Offset, len(cfg.Start))
	for p, off := range cfg.Start {
		start[p] = kgo.NewOffset().At(off)
	}
	opts := append([]kgo.Opt{
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{cfg.Topic: start}),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(100 * time.Millisecond),
	}, cfg.ClientOpts...)
	client, err := kgo.NewClient(opts...)
	if err != nil {
		return fmt.Errorf("consume %s: %w", cfg.Topic, err)
	}
	defer client.Close()
	for ctx.Err() == nil {
		pollCtx, cancel := ctx, context.CancelFunc(func() {})
		if cfg.PollTimeout > 0 {
			pollCtx, cancel = context.WithTimeout(ctx, cfg.PollTimeout)
		}
		fetches := client.PollFetches(pollCtx)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		fetches.EachError(func(topic string, p int32, err error) {
			var loss *kgo.ErrDataLoss
			switch {
			case errors.As(err, &loss) && cfg.OnDataLoss != nil:
				cfg.OnDataLoss(err)
			case !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) && cfg.Logger != nil:
				cfg.Logger.Warn("fetch", "topic", topic, "partition", p, "err", err)
			}
		})
		handle(fetches)
	}
	return nil
}

package speed

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/autonews/autonews/consume"
	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/message"
	"github.com/autonews/autonews/news"
)

// NewsConfig configures the news feed.
type NewsConfig struct {
	// Start is the first offset to read per partition of the news topic: where the
	// master dataset, from which the index was loaded, ends.
	Start      ledger.Cut
	ClientOpts []kgo.Opt
	OnReject   func(Rejection)
	OnDataLoss func(error)
	Logger     *slog.Logger
}

// NewsFeed consumes the news topic into the news index as messages arrive. News needs no
// cut: an item is stored once by id, so applying a message again changes nothing.
type NewsFeed struct {
	cfg     NewsConfig
	index   *news.Index
	applied ledger.Cut // owned by the Run goroutine
	tracker *consume.Progress

	stored, rejected, duplicates atomic.Int64
}

// NewNewsFeed returns a feed into index.
func NewNewsFeed(index *news.Index, cfg NewsConfig) *NewsFeed {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &NewsFeed{cfg: cfg, index: index, applied: cfg.Start.Clone(), tracker: consume.NewProgress(message.NewsTopic, cfg.Start)}
}

// Run consumes news until ctx ends.
func (f *NewsFeed) Run(ctx context.Context) error {
	return consume.Run(ctx, consume.Config{Topic: message.NewsTopic, Start: f.applied.Clone(), ClientOpts: f.cfg.ClientOpts,
		PollTimeout: time.Second, OnDataLoss: f.cfg.OnDataLoss, Logger: f.cfg.Logger}, f.apply)
}

func (f *NewsFeed) apply(fetches kgo.Fetches) {
	if fetches.NumRecords() == 0 {
		return
	}
	stamps := map[int32]time.Time{}
	fetches.EachRecord(func(r *kgo.Record) {
		if r.Offset < f.applied[r.Partition] {
			return
		}
		stamps[r.Partition] = r.Timestamp
		f.applied[r.Partition] = r.Offset + 1
		n, err := message.DecodeNews(r.Key, r.Value)
		if err != nil {
			f.rejected.Add(1)
			f.cfg.Logger.Warn("news rejected", "partition", r.Partition, "offset", r.Offset, "reason", err)
			if f.cfg.OnReject != nil {
				f.cfg.OnReject(Rejection{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, ReceivedAt: time.Now().UTC(), Reason: err.Error(), Payload: r.Value})
			}
			return
		}
		if f.index.Add(n) {
			f.stored.Add(1)
		} else {
			f.duplicates.Add(1)
		}
	})
	f.tracker.Publish(f.applied.Clone(), stamps)
}

// Applied returns the next offset to apply per partition.
func (f *NewsFeed) Applied() ledger.Cut { return f.tracker.Offsets() }

// LastApplied returns the timestamp of the last record applied per partition.
func (f *NewsFeed) LastApplied() map[int32]time.Time { return f.tracker.Stamps() }

// WaitApplied returns once every partition is applied up to target, or ctx ends.
func (f *NewsFeed) WaitApplied(ctx context.Context, target ledger.Cut) error {
	return f.tracker.Wait(ctx, target)
}

// Stats counts what the feed consumed.
func (f *NewsFeed) Stats() Stats {
	return Stats{Applied: f.stored.Load(), Rejected: f.rejected.Load(), Duplicates: f.duplicates.Load()}
}

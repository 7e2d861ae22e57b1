package batch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/message"
)

// ArchiverConfig configures the Archiver.
type ArchiverConfig struct {
	// Partitions of the trades topic to archive.
	Partitions []int32
	// ClientOpts connect to the cluster (seed brokers, logger); the archiver adds its own
	// consume options.
	ClientOpts []kgo.Opt
	// FlushInterval bounds how long a consumed record waits before it is written to a
	// segment. Default 5s.
	FlushInterval time.Duration
	// MaxSegmentRows flushes a partition's segment early once it holds this many rows.
	// Default 1,048,576.
	MaxSegmentRows int
	Logger         *slog.Logger
}

func (c *ArchiverConfig) setDefaults() {
	if c.FlushInterval <= 0 {
		c.FlushInterval = 5 * time.Second
	}
	if c.MaxSegmentRows <= 0 {
		c.MaxSegmentRows = 1 << 20
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Archiver appends every trade record to the master dataset. It needs no consumer group:
// it resumes from the offsets the master dataset already covers, so archiving is exact.
// Records that fail validation are skipped here; the speed layer records the rejection.
type Archiver struct {
	cfg    ArchiverConfig
	master *Master

	mu       sync.Mutex
	pending  map[int32]*pendingSegment
	consumed ledger.Cut // next offset read, per partition
	archived ledger.Cut // next offset not yet in the master dataset
	progress chan struct{}
}

type pendingSegment struct {
	first, last int64
	rows        []ArchivedTrade
	since       time.Time
}

// NewArchiver prepares an archiver that resumes where the master dataset ends.
func NewArchiver(master *Master, cfg ArchiverConfig) (*Archiver, error) {
	cfg.setDefaults()
	archived, err := master.Archived(message.TradesTopic)
	if err != nil {
		return nil, err
	}
	for _, p := range cfg.Partitions {
		archived[p] += 0 // name every partition, at 0 when nothing is archived yet
	}
	return &Archiver{
		cfg: cfg, master: master,
		pending:  make(map[int32]*pendingSegment),
		consumed: archived.Clone(), archived: archived,
		progress: make(chan struct{}),
	}, nil
}

// Archived returns the next offset to archive per partition.
func (a *Archiver) Archived() ledger.Cut {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.archived.Clone()
}

// pollWait bounds one fetch poll so that time-based flushes happen without traffic.
const pollWait = 250 * time.Millisecond

// Run consumes and archives until ctx ends, then flushes what it holds. It is owned by
// one goroutine; other goroutines call FlushThrough and Archived.
func (a *Archiver) Run(ctx context.Context) error {
	start := make(map[int32]kgo.Offset, len(a.cfg.Partitions))
	for _, p := range a.cfg.Partitions {
		start[p] = kgo.NewOffset().At(a.consumed[p])
	}
	opts := append([]kgo.Opt{
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{message.TradesTopic: start}),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	}, a.cfg.ClientOpts...)
	client, err := kgo.NewClient(opts...)
	if err != nil {
		return fmt.Errorf("archiver client: %w", err)
	}
	defer client.Close()

	for ctx.Err() == nil {
		pollCtx, cancel := context.WithTimeout(ctx, pollWait)
		fetches := client.PollFetches(pollCtx)
		cancel()
		fetches.EachError(func(topic string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				a.cfg.Logger.Warn("archiver fetch", "topic", topic, "partition", p, "err", err)
			}
		})
		a.mu.Lock()
		fetches.EachRecord(a.addLocked)
		err := a.flushDueLocked(time.Now())
		a.mu.Unlock()
		a.signalProgress()
		if err != nil {
			a.cfg.Logger.Error("archive flush failed; records stay buffered and the flush is retried", "err", err)
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.flushLocked(func(*pendingSegment) bool { return true }); err != nil {
		return fmt.Errorf("final archive flush: %w", err)
	}
	return nil
}

func (a *Archiver) addLocked(r *kgo.Record) {
	ps := a.pending[r.Partition]
	if ps == nil {
		ps = &pendingSegment{first: r.Offset, since: time.Now()}
		a.pending[r.Partition] = ps
	}
	ps.last = r.Offset
	a.consumed[r.Partition] = r.Offset + 1
	t, err := message.DecodeTrade(r.Key, r.Value)
	if err != nil {
		return
	}
	ps.rows = append(ps.rows, ArchivedTrade{Trade: t, At: ledger.LogPosition{Partition: r.Partition, Offset: r.Offset}})
}

func (a *Archiver) flushDueLocked(now time.Time) error {
	return a.flushLocked(func(ps *pendingSegment) bool {
		return now.Sub(ps.since) >= a.cfg.FlushInterval || len(ps.rows) >= a.cfg.MaxSegmentRows
	})
}

// flushLocked writes the pending segments selected by due. A failed write keeps its
// records pending, so nothing consumed is lost; the next flush retries it.
func (a *Archiver) flushLocked(due func(*pendingSegment) bool) error {
	var errs []error
	for p, ps := range a.pending {
		if !due(ps) {
			continue
		}
		if _, err := a.master.WriteTrades(p, ps.first, ps.last, ps.rows); err != nil {
			errs = append(errs, err)
			continue
		}
		a.archived[p] = ps.last + 1
		delete(a.pending, p)
	}
	return errors.Join(errs...)
}

func (a *Archiver) signalProgress() {
	a.mu.Lock()
	close(a.progress)
	a.progress = make(chan struct{})
	a.mu.Unlock()
}

// FlushThrough waits until the archiver has consumed every partition up to target, then
// writes everything it holds and returns the archived offsets. If ctx ends first it
// flushes what it has consumed so far; the returned offsets are always what is durably
// in the master dataset.
func (a *Archiver) FlushThrough(ctx context.Context, target ledger.Cut) (ledger.Cut, error) {
	a.waitConsumed(ctx, target)
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.flushLocked(func(*pendingSegment) bool { return true }); err != nil {
		return nil, err
	}
	return a.archived.Clone(), nil
}

// waitConsumed returns once every partition is consumed up to target, or ctx ends.
func (a *Archiver) waitConsumed(ctx context.Context, target ledger.Cut) {
	for {
		a.mu.Lock()
		caughtUp := a.consumed.Covers(target)
		progress := a.progress
		a.mu.Unlock()
		if caughtUp {
			return
		}
		select {
		case <-progress:
		case <-ctx.Done():
			return
		}
	}
}

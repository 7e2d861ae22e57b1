package speed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/message"
)

// Config configures the speed layer.
type Config struct {
	// Partitions of the trades topic to consume.
	Partitions []int32
	// ClientOpts connect to the cluster (seed brokers, logger); the layer adds its own
	// consume options.
	ClientOpts []kgo.Opt
	// DedupWindow is how many recent trade ids are remembered to apply a redelivered
	// trade once. Default 1,000,000; a negative value turns deduplication off.
	DedupWindow int
	// OnReject is told of every message that is not applied. Optional.
	OnReject func(Rejection)
	Logger   *slog.Logger
}

// Rejection is a message that failed validation or could not be applied.
type Rejection struct {
	Topic      string
	Partition  int32
	Offset     int64
	ReceivedAt time.Time
	Reason     string
	Payload    []byte
}

// Stats counts what the layer consumed.
type Stats struct {
	Consumed   int64
	Applied    int64
	Rejected   int64
	Duplicates int64
}

// Layer is the speed layer. One goroutine runs Run; readers and the cycle coordinator call
// the other methods concurrently. mu guards the view (snapshot and deltas), the applied
// offsets and the dedup window; the consumer holds it for one fetch at a time.
type Layer struct {
	cfg Config

	mu       sync.RWMutex
	snapshot *ledger.Snapshot
	active   *Delta // D_k: trades at or beyond snapshot.Cut
	next     *Delta // D_k+1 while a run is in progress, else nil
	applied  ledger.Cut
	window   *dedupWindow
	progress chan struct{} // closed and replaced whenever applied moves

	consumed, appliedCount, rejected, duplicates atomic.Int64
}

// New returns a layer serving snap, which will consume from snap's cut.
func New(cfg Config, snap *ledger.Snapshot) *Layer {
	if cfg.DedupWindow == 0 {
		cfg.DedupWindow = 1_000_000
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	applied := snap.Cut.Clone()
	for _, p := range cfg.Partitions {
		applied[p] += 0
	}
	return &Layer{
		cfg: cfg, snapshot: snap, active: newDelta(snap.Cut), applied: applied,
		window: newDedupWindow(max(cfg.DedupWindow, 0)), progress: make(chan struct{}),
	}
}

// Run consumes trades from the snapshot's cut until ctx ends.
func (l *Layer) Run(ctx context.Context) error {
	l.mu.RLock()
	start := make(map[int32]kgo.Offset, len(l.cfg.Partitions))
	for _, p := range l.cfg.Partitions {
		start[p] = kgo.NewOffset().At(l.applied[p])
	}
	l.mu.RUnlock()
	opts := append([]kgo.Opt{
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{message.TradesTopic: start}),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(100 * time.Millisecond),
	}, l.cfg.ClientOpts...)
	client, err := kgo.NewClient(opts...)
	if err != nil {
		return fmt.Errorf("speed layer client: %w", err)
	}
	defer client.Close()
	for {
		fetches := client.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil
		}
		fetches.EachError(func(topic string, p int32, err error) {
			if !errors.Is(err, context.Canceled) {
				l.cfg.Logger.Warn("speed layer fetch", "topic", topic, "partition", p, "err", err)
			}
		})
		l.apply(fetches)
	}
}

func (l *Layer) apply(fetches kgo.Fetches) {
	l.mu.Lock()
	var rejections []Rejection
	fetches.EachRecord(func(r *kgo.Record) {
		if reason := l.applyRecordLocked(r); reason != "" {
			rejections = append(rejections, Rejection{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset,
				ReceivedAt: time.Now().UTC(), Reason: reason, Payload: r.Value})
		}
	})
	close(l.progress)
	l.progress = make(chan struct{})
	l.mu.Unlock()
	for _, rej := range rejections {
		l.rejected.Add(1)
		l.cfg.Logger.Warn("trade rejected", "partition", rej.Partition, "offset", rej.Offset, "reason", rej.Reason)
		if l.cfg.OnReject != nil {
			l.cfg.OnReject(rej)
		}
	}
}

// applyRecordLocked applies one record to every delta that accepts it and returns the
// reason if it is rejected.
func (l *Layer) applyRecordLocked(r *kgo.Record) (rejectReason string) {
	l.consumed.Add(1)
	at := ledger.LogPosition{Partition: r.Partition, Offset: r.Offset}
	if r.Offset < l.applied[r.Partition] {
		return "" // redelivered after a reconnect: already applied
	}
	l.applied[r.Partition] = r.Offset + 1
	t, err := message.DecodeTrade(r.Key, r.Value)
	if err != nil {
		return err.Error()
	}
	if !l.window.firstSighting(t.ID) {
		l.duplicates.Add(1)
		return ""
	}
	for _, d := range []*Delta{l.active, l.next} {
		if d != nil && d.accepts(at) {
			if err := d.apply(t, at); err != nil {
				return err.Error()
			}
		}
	}
	l.appliedCount.Add(1)
	return ""
}

// BeginCut starts D_k+1 at cut, seeded with the trades already applied at or beyond it.
func (l *Layer) BeginCut(cut ledger.Cut) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !cut.Covers(l.active.base) {
		return fmt.Errorf("cut %s is behind the active delta's cut %s", cut, l.active.base)
	}
	l.next = l.active.seed(cut)
	return nil
}

// AbortCut drops D_k+1.
func (l *Layer) AbortCut() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.next = nil
}

// Swap makes reads return snap ⊕ D_k+1 and drops D_k. snap must be cut where D_k+1 begins.
func (l *Layer) Swap(snap *ledger.Snapshot) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.next == nil {
		return errors.New("swap without a cut in progress")
	}
	if !l.next.base.Equal(snap.Cut) {
		return fmt.Errorf("snapshot cut %s differs from the next delta's cut %s", snap.Cut, l.next.base)
	}
	l.snapshot, l.active, l.next = snap, l.next, nil
	return nil
}

// Holdings returns a consistent pair for users in [lo, hi]: the snapshot and the active
// delta's positions, sorted, taken under one lock.
func (l *Layer) Holdings(lo, hi int64) (*ledger.Snapshot, []ledger.Holding) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.snapshot, l.active.book.Holdings(lo, hi)
}

// Prices returns the snapshot and the active delta's last prices, taken under one lock.
func (l *Layer) Prices() (*ledger.Snapshot, map[string]ledger.PriceMark) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.snapshot, l.active.book.Prices()
}

// Applied returns the next offset to apply per partition.
func (l *Layer) Applied() ledger.Cut {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.applied.Clone()
}

// WaitApplied returns once every partition is applied up to target, or ctx ends.
func (l *Layer) WaitApplied(ctx context.Context, target ledger.Cut) error {
	for {
		l.mu.RLock()
		done := l.applied.Covers(target)
		progress := l.progress
		l.mu.RUnlock()
		if done {
			return nil
		}
		select {
		case <-progress:
		case <-ctx.Done():
			return fmt.Errorf("wait for the speed layer to apply %s: %w", target, ctx.Err())
		}
	}
}

// Stats returns the layer's counters.
func (l *Layer) Stats() Stats {
	return Stats{Consumed: l.consumed.Load(), Applied: l.appliedCount.Load(), Rejected: l.rejected.Load(), Duplicates: l.duplicates.Load()}
}

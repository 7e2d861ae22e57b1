package consume

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/autonews/autonews/ledger"
)

// Progress publishes how far a consumer has come through its topic, per partition, and
// wakes those who wait for an offset: the basis of read-your-writes and of the cut. It is
// safe for concurrent use.
type Progress struct {
	topic   string
	mu      sync.Mutex
	offsets ledger.Cut
	// stamps holds, per partition, the timestamp of the last record applied.
	stamps map[int32]time.Time
	moved  chan struct{} // closed and replaced whenever offsets move
}

// NewProgress starts at the given offsets of topic.
func NewProgress(topic string, start ledger.Cut) *Progress {
	return &Progress{topic: topic, offsets: start.Clone(), stamps: map[int32]time.Time{}, moved: make(chan struct{})}
}

// Publish records the offsets reached and the timestamps of the last records; offsets is
// kept, not copied.
func (t *Progress) Publish(offsets ledger.Cut, stamps map[int32]time.Time) {
	t.mu.Lock()
	t.offsets = offsets
	for p, ts := range stamps {
		t.stamps[p] = ts
	}
	close(t.moved)
	t.moved = make(chan struct{})
	t.mu.Unlock()
}

// Stamps returns the timestamp of the last record per partition.
func (t *Progress) Stamps() map[int32]time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return maps.Clone(t.stamps)
}

// Offsets returns a copy of the offsets reached.
func (t *Progress) Offsets() ledger.Cut {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.offsets.Clone()
}

// Wait returns once every partition reached target, or ctx ends.
func (t *Progress) Wait(ctx context.Context, target ledger.Cut) error {
	for {
		t.mu.Lock()
		done := t.offsets.Covers(target)
		moved := t.moved
		t.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-moved:
		case <-ctx.Done():
			return fmt.Errorf("wait for %s to reach %s: %w", t.topic, target, ctx.Err())
		}
	}
}

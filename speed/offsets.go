package speed

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/autonews/autonews/ledger"
)

// offsetTracker publishes how far a consumer has applied its topic and wakes those who
// wait for an offset: the basis of read-your-writes.
type offsetTracker struct {
	mu      sync.Mutex
	offsets ledger.Cut
	// stamps holds, per partition, the timestamp of the last record applied.
	stamps map[int32]time.Time
	moved  chan struct{} // closed and replaced whenever offsets move
}

func newOffsetTracker(start ledger.Cut) *offsetTracker {
	return &offsetTracker{offsets: start.Clone(), stamps: map[int32]time.Time{}, moved: make(chan struct{})}
}

// publish records the applied offsets and the timestamps of the records applied last.
func (t *offsetTracker) publish(offsets ledger.Cut, stamps map[int32]time.Time) {
	t.mu.Lock()
	t.offsets = offsets
	for p, ts := range stamps {
		t.stamps[p] = ts
	}
	close(t.moved)
	t.moved = make(chan struct{})
	t.mu.Unlock()
}

// lastStamps returns the timestamp of the last record applied per partition.
func (t *offsetTracker) lastStamps() map[int32]time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return maps.Clone(t.stamps)
}

// get returns the applied offsets; the cut must not be modified.
func (t *offsetTracker) get() ledger.Cut {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.offsets
}

// wait returns once every partition is applied up to target, or ctx ends.
func (t *offsetTracker) wait(ctx context.Context, topic string, target ledger.Cut) error {
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
			return fmt.Errorf("wait for %s to be applied up to %s: %w", topic, target, ctx.Err())
		}
	}
}

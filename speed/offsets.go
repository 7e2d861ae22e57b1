package speed

import (
	"context"
	"fmt"
	"sync"

	"github.com/autonews/autonews/ledger"
)

// offsetTracker publishes how far a consumer has applied its topic and wakes those who
// wait for an offset: the basis of read-your-writes.
type offsetTracker struct {
	mu      sync.Mutex
	offsets ledger.Cut
	moved   chan struct{} // closed and replaced whenever offsets move
}

func newOffsetTracker(start ledger.Cut) *offsetTracker {
	return &offsetTracker{offsets: start.Clone(), moved: make(chan struct{})}
}

// publish records the applied offsets.
func (t *offsetTracker) publish(offsets ledger.Cut) {
	t.mu.Lock()
	t.offsets = offsets
	close(t.moved)
	t.moved = make(chan struct{})
	t.mu.Unlock()
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

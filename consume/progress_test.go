package consume

import (
	"context"
	"testing"
	"time"

	"github.com/autonews/autonews/ledger"
)

func TestWaitReturnsOnceEveryPartitionReachedTheTarget(t *testing.T) {
	p := NewProgress("trades", ledger.Cut{0: 0, 1: 0})
	done := make(chan error, 1)
	go func() { done <- p.Wait(context.Background(), ledger.Cut{0: 3, 1: 1}) }()
	p.Publish(ledger.Cut{0: 3, 1: 0}, nil)
	select {
	case <-done:
		t.Fatal("returned before partition 1 arrived")
	case <-time.After(20 * time.Millisecond):
	}
	stamp := time.Unix(5, 0)
	p.Publish(ledger.Cut{0: 3, 1: 1}, map[int32]time.Time{1: stamp})
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !p.Offsets().Equal(ledger.Cut{0: 3, 1: 1}) || !p.Stamps()[1].Equal(stamp) {
		t.Fatalf("offsets %s, stamps %v", p.Offsets(), p.Stamps())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := p.Wait(ctx, ledger.Cut{0: 9}); err == nil {
		t.Fatal("waited for an offset never reached")
	}
}

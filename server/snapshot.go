package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/autonews/autonews/batch"
	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/message"
)

// loadSnapshot loads the published snapshot, or starts at epoch 0 when there is none. A
// snapshot that fails its checksums is never served: holdings are recomputed from the
// master dataset instead, at everything it archives, and published as a new epoch. (An
// older snapshot is no way out: the broker log below the newest cut may be trimmed.)
func loadSnapshot(store *batch.Store, master *batch.Master, log *slog.Logger) (*ledger.Snapshot, error) {
	snap, _, err := store.LoadCurrent()
	if errors.Is(err, batch.ErrNoSnapshot) {
		log.Info("no published snapshot: starting from an empty epoch 0")
		return ledger.EmptySnapshot(), nil
	}
	if err == nil {
		return snap, nil
	}
	log.Error("the published snapshot is unusable; recomputing holdings from the master dataset", "err", err)
	epochs, listErr := store.Epochs()
	if listErr != nil {
		return nil, errors.Join(err, listErr)
	}
	var epoch uint64 = 1
	if len(epochs) > 0 {
		epoch = epochs[len(epochs)-1] + 1
	}
	cut, archErr := master.Archived(message.TradesTopic)
	if archErr != nil {
		return nil, fmt.Errorf("%w; and the master dataset cannot replace it: %w", err, archErr)
	}
	start := time.Now()
	snap, stats, compErr := batch.Compute(context.Background(), master, epoch, cut)
	if compErr != nil {
		return nil, fmt.Errorf("%w; and the master dataset cannot replace it: %w", err, compErr)
	}
	if _, pubErr := store.Publish(snap, batch.Manifest{CreatedAt: time.Now().UTC(), Cut: map[string]ledger.Cut{message.TradesTopic: cut},
		Trades: stats.Trades, Duplicates: stats.Duplicates}); pubErr != nil {
		// Serving the recomputed snapshot is still right; the next cycle publishes again.
		log.Warn("publish the recomputed snapshot", "err", pubErr)
	}
	log.Info("recomputed holdings from the master dataset", "epoch", epoch, "cut", cut.String(), "trades", stats.Applied,
		"elapsed", time.Since(start).Round(time.Millisecond))
	return snap, nil
}

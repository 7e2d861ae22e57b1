package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/autonews/autonews/batch"
	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/news"
	"github.com/autonews/autonews/speed"
)

// storedState is what a start reads from the data directory before it applies anything:
// the published snapshot, the ids of the trades just below its cut (what the speed
// layer's deduplication window held before the restart, already in a window) and the
// news index.
type storedState struct {
	snap *ledger.Snapshot
	seed *speed.Seed
	news *news.Index
	// took is how long each part took to load, for the start-up log line.
	took []slog.Attr
}

type storedStateResult struct {
	state storedState
	err   error
}

// loadStoredStateAsync loads the stored state on a goroutine of its own, which ends once
// it has sent its one result: Start reads it while the embedded broker loads its log, as
// each of the two keeps about one core busy for most of a restart before catch-up.
func loadStoredStateAsync(master *batch.Master, store *batch.Store, matcher *news.Matcher, dedupWindow int, log *slog.Logger) <-chan storedStateResult {
	out := make(chan storedStateResult, 1)
	go func() {
		st, err := loadStoredState(master, store, matcher, dedupWindow, log)
		out <- storedStateResult{st, err}
	}()
	return out
}

func loadStoredState(master *batch.Master, store *batch.Store, matcher *news.Matcher, dedupWindow int, log *slog.Logger) (storedState, error) {
	var st storedState
	var err error
	// The trade ids below the published cut are read from the master dataset while the
	// snapshot loads: the manifest names the cut before the snapshot's files are read.
	type seedResult struct {
		cut  ledger.Cut
		seed *speed.Seed
		err  error
		took time.Duration
	}
	seeding := make(chan seedResult, 1)
	seed := func(cut ledger.Cut) seedResult {
		if dedupWindow <= 0 {
			return seedResult{cut: cut} // the speed layer's default window, or none
		}
		start := time.Now()
		ids, err := master.RecentTradeIDs(context.Background(), cut, dedupWindow)
		return seedResult{cut, speed.NewSeed(dedupWindow, ids), err, time.Since(start)}
	}
	published := ledger.Cut{}
	if m, err := store.CurrentManifest(); err == nil {
		published = m.TradesCut()
	}
	go func() { seeding <- seed(published) }() // received below on every path
	start := time.Now()
	st.snap, err = loadSnapshot(store, master, log)
	seeded := <-seeding
	if err != nil {
		return st, err
	}
	st.took = append(st.took, slog.Duration("snapshot", time.Since(start).Round(time.Millisecond)))
	if !seeded.cut.Equal(st.snap.Cut) { // the snapshot was recomputed at another cut
		seeded = seed(st.snap.Cut)
	}
	if seeded.err != nil {
		return st, seeded.err
	}
	st.seed = seeded.seed
	st.took = append(st.took, slog.Duration("dedup_seed", seeded.took.Round(time.Millisecond)))
	start = time.Now()
	if st.news, err = loadNews(master, matcher, log); err != nil {
		return st, err
	}
	st.took = append(st.took, slog.Duration("news", time.Since(start).Round(time.Millisecond)))
	return st, nil
}

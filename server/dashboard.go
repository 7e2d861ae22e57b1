package server

import (
	"context"

	"github.com/autonews/autonews/batch"
	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/news"
	"github.com/autonews/autonews/speed"
)

// The dashboard's view of the process (web.Source).

// Portfolio is a user's positions, priced and weighted.
func (s *Server) Portfolio(userID int64) []ledger.Valued {
	return s.speed.Holdings(userID, userID).Portfolio(userID)
}

// News is the news index.
func (s *Server) News() *news.Index { return s.newsIndex }

// ActiveUsers are the users with the most trades since the published cut.
func (s *Server) ActiveUsers(n int) []speed.ActiveUser { return s.speed.ActiveUsers(n) }

// Runs are the recent cycle runs and their steps.
func (s *Server) Runs() []batch.RunRecord { return s.runs.Records() }

// RunCycle runs a batch cycle to its end.
func (s *Server) RunCycle(ctx context.Context) batch.RunResult { return s.coordinator.RunOnce(ctx) }

// Version changes whenever a page may show something new: a record applied, a run
// recorded or finished.
func (s *Server) Version() uint64 {
	var v uint64
	for _, off := range s.speed.Applied() {
		v += uint64(off)
	}
	for _, off := range s.newsFeed.Applied() {
		v += uint64(off) << 32
	}
	if runs := s.runs.Records(); len(runs) > 0 {
		last := runs[len(runs)-1]
		v += uint64(len(runs))<<48 + uint64(last.Finished.UnixNano()) + uint64(len(last.Status))
	}
	return v
}

package web

import (
	"context"

	"github.com/autonews/autonews/batch"
	"github.com/autonews/autonews/catalog"
	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/news"
	"github.com/autonews/autonews/speed"
)

// Source is what the pages show, as the rest of the process publishes it.
type Source interface {
	// Portfolio is a user's positions, priced and weighted.
	Portfolio(userID int64) []ledger.Valued
	// News is the index of news items.
	News() *news.Index
	// ActiveUsers are the users with the most trades since the published cut.
	ActiveUsers(n int) []speed.ActiveUser
	// Runs are the recent cycle runs and steps.
	Runs() []batch.RunRecord
	Lag(ctx context.Context) ([]catalog.LagRow, error)
	Rejected() []speed.Rejection
	// RunCycle runs a batch cycle to its end.
	RunCycle(ctx context.Context) batch.RunResult
	// Version changes whenever what a page shows may have changed.
	Version() uint64
}

// Config configures the pages.
type Config struct {
	// Threshold is the default relevance threshold.
	Threshold float64
	// AdminPassword, when set, is needed to start a run from the pipeline page.
	AdminPassword string
}

package catalog

import (
	"context"

	"github.com/autonews/autonews/batch"
	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/news"
)

// HoldingsSource is the serving view of the speed layer: the published snapshot, the
// active delta's positions of users in [lo, hi] and the last prices, taken at one moment.
type HoldingsSource interface {
	Holdings(lo, hi int64) ledger.View
}

// Cycle is the batch cycle as the SQL surface sees it.
type Cycle interface {
	// RunOnce runs one cycle to its end.
	RunOnce(ctx context.Context) batch.RunResult
	// Runs is the record of recent runs and their steps.
	Runs() *batch.RunLog
}

// Sources are what the catalog serves.
type Sources struct {
	Holdings HoldingsSource
	Cycle    Cycle
	News     *news.Index
	Writer   Writer
	Status   Status
}

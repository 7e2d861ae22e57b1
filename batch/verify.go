package batch

import (
	"context"
	"fmt"
	"math"

	"github.com/autonews/autonews/ledger"
)

// Served is what verify compares: the holdings served and the offsets they hold.
type Served interface {
	Served() (ledger.View, ledger.Cut)
}

// Difference is a position whose served shares differ from a recomputation from the
// master dataset.
type Difference struct {
	UserID     int64
	Symbol     string
	Served     int64
	Recomputed int64
}

// Verify recomputes holdings from the master dataset up to exactly the offsets the
// served holdings hold, and returns every position where the two differ: none when the
// speed layer and the batch layer agree. It archives what it needs first.
func (c *Coordinator) Verify(ctx context.Context, served Served) ([]Difference, ledger.Cut, error) {
	view, applied := served.Served()
	archived, err := c.archiver.FlushThrough(ctx, applied)
	if err != nil {
		return nil, nil, fmt.Errorf("archive up to the served offsets: %w", err)
	}
	if !archived.Covers(applied) {
		return nil, nil, fmt.Errorf("the master dataset reaches %s, short of the served offsets %s; try again", archived, applied)
	}
	truth, _, err := Compute(ctx, c.master, 0, applied)
	if err != nil {
		return nil, nil, err
	}
	from, to := view.Snapshot.UserRows(math.MinInt64, math.MaxInt64)
	servedIt := view.Snapshot.Union(from, to, view.Delta)
	truthIt := truth.Union(0, truth.Len(), nil)
	var diffs []Difference
	s, sok := servedIt.Next()
	r, rok := truthIt.Next()
	for sok || rok {
		switch {
		case rok && (!sok || before(r, s)):
			diffs = append(diffs, Difference{UserID: r.UserID, Symbol: r.Symbol, Recomputed: r.Shares})
			r, rok = truthIt.Next()
		case sok && (!rok || before(s, r)):
			diffs = append(diffs, Difference{UserID: s.UserID, Symbol: s.Symbol, Served: s.Shares})
			s, sok = servedIt.Next()
		default:
			if s.Shares != r.Shares {
				diffs = append(diffs, Difference{UserID: s.UserID, Symbol: s.Symbol, Served: s.Shares, Recomputed: r.Shares})
			}
			s, sok = servedIt.Next()
			r, rok = truthIt.Next()
		}
	}
	return diffs, applied, nil
}

func before(a, b ledger.Holding) bool {
	return a.UserID < b.UserID || a.UserID == b.UserID && a.Symbol < b.Symbol
}

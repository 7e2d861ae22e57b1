package catalog

import (
	"github.com/autonews/autonews/ledger"
)

// userCursor walks the union S ⊕ D one user at a time, pricing each user's positions:
// weights need all of a user's positions, whatever a query filters on.
type userCursor struct {
	view  ledger.View
	union *ledger.UnionIter
	ahead *ledger.Holding // the first position of the next user, read already
}

// newUserCursor walks the users in [lo, hi] of view.
func newUserCursor(view ledger.View, lo, hi int64) *userCursor {
	from, to := view.Snapshot.UserRows(lo, hi)
	return &userCursor{view: view, union: view.Snapshot.Union(from, to, view.Delta)}
}

// next returns the next user's valued positions, or false at the end.
func (c *userCursor) next() (int64, []ledger.Valued, bool) {
	var positions []ledger.Holding
	if c.ahead != nil {
		positions = append(positions, *c.ahead)
		c.ahead = nil
	}
	for {
		h, ok := c.union.Next()
		if !ok {
			break
		}
		if len(positions) > 0 && h.UserID != positions[0].UserID {
			c.ahead = &h
			break
		}
		positions = append(positions, h)
	}
	if len(positions) == 0 {
		return 0, nil, false
	}
	return positions[0].UserID, ledger.Value(positions, c.view.Price), true
}

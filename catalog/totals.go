package catalog

import (
	"fmt"
	"math"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
)

// Totals over a whole holdings table (SELECT COUNT(*), SUM(shares) FROM holdings) go
// through the engine one generic row at a time: a row of boxed values per position, with
// prices and weights computed for columns the aggregate never reads. The totals rule
// replaces such an aggregate by a node that walks the positions themselves, in the same
// order and with the same arithmetic (SUM adds float64s in key order, as the engine's
// does), so the result is the engine's own.

// holdingsTotalsRule identifies the rule among the analyzer's.
const holdingsTotalsRule analyzer.RuleId = 1<<20 + 1

type totalKind int

const (
	totalCount totalKind = iota
	totalSum
	totalMin
	totalMax
)

// holdingsTotals computes aggregates over every position of a holdings table.
type holdingsTotals struct {
	table  *holdingsTable
	totals []totalKind
	schema sql.Schema
	source string // what it replaced, for EXPLAIN
}

var _ sql.ExecSourceRel = (*holdingsTotals)(nil)

func useHoldingsTotals(_ *sql.Context, _ *analyzer.Analyzer, node sql.Node, scope *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	if !scope.IsEmpty() {
		return node, transform.SameTree, nil // a subquery's rows carry its outer scope's columns
	}
	return transform.Node(node, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		g, ok := n.(*plan.GroupBy)
		if !ok || len(g.GroupByExprs) > 0 {
			return n, transform.SameTree, nil
		}
		table, ok := wholeHoldingsTable(g.Child)
		if !ok {
			return n, transform.SameTree, nil
		}
		totals := make([]totalKind, len(g.SelectedExprs))
		for i, e := range g.SelectedExprs {
			if totals[i], ok = totalOf(e, table); !ok {
				return n, transform.SameTree, nil
			}
		}
		return &holdingsTotals{table: table, totals: totals, schema: g.Schema(), source: g.String()}, transform.NewTree, nil
	})
}

// wholeHoldingsTable returns the holdings table a node reads in full, unfiltered.
func wholeHoldingsTable(n sql.Node) (*holdingsTable, bool) {
	rt, ok := n.(*plan.ResolvedTable)
	if !ok {
		return nil, false
	}
	ht, ok := rt.UnderlyingTable().(*holdingsTable) // under the engine's ProcessTable
	return ht, ok
}

// totalOf recognizes COUNT of a constant or of a column (never NULL in holdings), and
// SUM, MIN and MAX of shares.
func totalOf(e sql.Expression, table *holdingsTable) (totalKind, bool) {
	sharesField := func(child sql.Expression) bool {
		f, ok := child.(*expression.GetField)
		return ok && strings.EqualFold(f.Name(), "shares") && strings.EqualFold(f.Table(), table.name)
	}
	switch a := e.(type) {
	case *aggregation.Count:
		switch c := a.Child.(type) {
		case *expression.Literal:
			return totalCount, c.Value() != nil
		case *expression.GetField:
			return totalCount, strings.EqualFold(c.Table(), table.name)
		}
	case *aggregation.Sum:
		return totalSum, sharesField(a.Child)
	case *aggregation.Min:
		return totalMin, sharesField(a.Child)
	case *aggregation.Max:
		return totalMax, sharesField(a.Child)
	}
	return 0, false
}

func (t *holdingsTotals) Resolved() bool       { return true }
func (t *holdingsTotals) IsReadOnly() bool     { return true }
func (t *holdingsTotals) Schema() sql.Schema   { return t.schema }
func (t *holdingsTotals) Children() []sql.Node { return nil }
func (t *holdingsTotals) String() string {
	return fmt.Sprintf("HoldingsTotals(%s) in place of %s", t.table.name, strings.ReplaceAll(t.source, "\n", " "))
}

func (t *holdingsTotals) WithChildren(children ...sql.Node) (sql.Node, error) {
	if len(children) != 0 {
		return nil, sql.ErrInvalidChildrenNumber.New(t, len(children), 0)
	}
	return t, nil
}

func (t *holdingsTotals) RowIter(*sql.Context, sql.Row) (sql.RowIter, error) {
	view := t.table.view(math.MinInt64, math.MaxInt64)
	from, to := view.Snapshot.UserRows(math.MinInt64, math.MaxInt64)
	positions := view.Snapshot.Union(from, to, view.Delta)
	var count int64
	var sum float64
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for h, ok := positions.Next(); ok; h, ok = positions.Next() {
		count++
		sum += float64(h.Shares)
		lo, hi = min(lo, h.Shares), max(hi, h.Shares)
	}
	row := make(sql.Row, len(t.totals))
	for i, kind := range t.totals {
		switch {
		case kind == totalCount:
			row[i] = count
		case count == 0: // SUM, MIN and MAX of no rows are NULL
		case kind == totalSum:
			row[i] = sum
		case kind == totalMin:
			row[i] = lo
		case kind == totalMax:
			row[i] = hi
		}
	}
	return sql.RowsToRowIter(row), nil
}

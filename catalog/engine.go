package catalog

import (
	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
)

// EngineOptions tune the SQL engine.
type EngineOptions struct {
	// GenericPlans turns off AutoNews' own plan rules, leaving go-mysql-server's generic
	// plans: tests run both ways to show the rules change speed, never results.
	GenericPlans bool
}

// NewEngine returns the SQL engine serving src.
func NewEngine(src Sources, opts EngineOptions) *sqle.Engine {
	b := analyzer.NewBuilder(NewProvider(src))
	if !opts.GenericPlans {
		b = b.AddPostAnalyzeRule(elideUserNewsSortRule, elideUserNewsSort).
			AddPostAnalyzeRule(holdingsTotalsRule, useHoldingsTotals)
	}
	return sqle.New(b.Build(), nil)
}

// elideUserNewsSortRule identifies elideUserNewsSort among the analyzer's rules.
const elideUserNewsSortRule analyzer.RuleId = 1 << 20

// elideUserNewsSort drops the sort of one user's relevant_news by published_at DESC:
// the table already yields a user's rows newest first, lazily, so a LIMIT then reads only
// the rows it returns instead of sorting every news item of the user's holdings. The
// engine's sort is stable, so the rows and their order are what it would have produced.
func elideUserNewsSort(ctx *sql.Context, _ *analyzer.Analyzer, node sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return transform.Node(node, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		switch s := n.(type) {
		case *plan.Sort:
			if newestFirstForOneUser(ctx, s.SortFields, s.Child) {
				return s.Child, transform.NewTree, nil
			}
		case *plan.TopN:
			if !s.CalcFoundRows && newestFirstForOneUser(ctx, s.Fields, s.Child) {
				return plan.NewLimit(s.Limit, s.Child), transform.NewTree, nil
			}
		}
		return n, transform.SameTree, nil
	})
}

// newestFirstForOneUser reports whether child reads relevant_news of a single user and the
// sort asks for exactly the order the table yields.
func newestFirstForOneUser(ctx *sql.Context, fields sql.SortFields, child sql.Node) bool {
	if len(fields) != 1 || fields[0].Order != sql.Descending {
		return false
	}
	field, ok := fields[0].Column.(*expression.GetField)
	if !ok || field.Name() != "published_at" {
		return false
	}
	access, ok := child.(*plan.IndexedTableAccess)
	if !ok || !access.IsStatic() {
		return false
	}
	switch access.UnderlyingTable().(type) {
	case *relevantNewsTable, *indexedRelevantNews:
	default:
		return false
	}
	lookup, err := access.GetLookup(ctx, nil)
	if err != nil {
		return false
	}
	ranges := keyRanges(lookup)
	if len(ranges) != 1 || ranges[0].user == nil {
		return false
	}
	_, single := exactInt64(*ranges[0].user)
	return single
}

package catalog

import (
	"strings"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/autonews/autonews/ledger"
)

type emptyHoldings struct{}

func (emptyHoldings) Holdings(int64, int64) ledger.View {
	return ledger.View{Snapshot: ledger.EmptySnapshot()}
}

// The totals rule takes exactly the whole-table aggregates it can answer; the SQL tests
// compare its answers with the generic engine's.
func TestTotalsPlanReplacesOnlyWholeTableAggregatesOfShares(t *testing.T) {
	for _, c := range []struct {
		query  string
		totals bool
	}{
		{"SELECT COUNT(*), SUM(shares) FROM holdings", true},
		{"SELECT count(1), min(shares), max(shares), count(symbol) FROM holdings_batch", true},
		{"SELECT SUM(shares) AS s FROM holdings_delta", true},
		{"SELECT SUM(shares) FROM holdings WHERE user_id > 5", false},
		{"SELECT SUM(last_price) FROM holdings", false},
		{"SELECT COUNT(DISTINCT symbol) FROM holdings", false},
		{"SELECT symbol, SUM(shares) FROM holdings GROUP BY symbol", false},
		{"SELECT COUNT(*) FROM relevant_news", false},
	} {
		for _, generic := range []bool{false, true} {
			e := NewEngine(Sources{Holdings: emptyHoldings{}}, EngineOptions{GenericPlans: generic})
			ctx := sql.NewEmptyContext()
			ctx.SetCurrentDatabase(DatabaseName)
			n, err := e.AnalyzeQuery(ctx, c.query)
			if err != nil {
				t.Fatalf("%s: %v", c.query, err)
			}
			if got, want := strings.Contains(sql.DebugString(n), "HoldingsTotals"), c.totals && !generic; got != want {
				t.Errorf("%s (generic plans %v): totals plan %v, want %v\n%s", c.query, generic, got, want, sql.DebugString(n))
			}
		}
	}
}

package sql_test

import (
	"context"
	"database/sql/driver"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// fastPathCase is a statement run against a server with the fast path and one without.
type fastPathCase struct {
	query string
	args  []any    // with args the driver prepares the statement (binary protocol)
	setup []string // run first on the same connection
	fast  bool     // the fast path should answer it
}

var fastPathCases = []fastPathCase{
	{query: "SELECT * FROM holdings WHERE user_id = 3", fast: true},
	{query: "SELECT * FROM holdings WHERE user_id = ?", args: []any{3}, fast: true},
	{query: "select SYMBOL, shares, Weight from autonews.holdings where USER_ID = 7", fast: true},
	{query: "SELECT holdings.symbol FROM holdings WHERE holdings.user_id = ?", args: []any{5}, fast: true},
	{query: "SELECT * FROM holdings WHERE user_id = 999", fast: true},
	{query: "SELECT * FROM holdings WHERE user_id = -1", fast: true},
	{query: "SELECT * FROM relevant_news WHERE user_id = 2 ORDER BY published_at DESC LIMIT 3", fast: true},
	{query: "SELECT news_id, symbol, weight FROM relevant_news WHERE user_id = ? ORDER BY published_at DESC LIMIT 20", args: []any{4}, fast: true},
	{query: "SELECT news_id, published_at, symbol, headline FROM relevant_news WHERE user_id = ? ORDER BY published_at DESC LIMIT 20", args: []any{2}, fast: true},
	{query: "SELECT * FROM relevant_news WHERE user_id = ?", args: []any{7}, fast: true},
	{query: "SELECT * FROM relevant_news WHERE user_id = 2", fast: true},
	{query: "SELECT * FROM relevant_news WHERE user_id = 2 LIMIT 0", fast: true},
	{query: "SELECT * FROM relevant_news WHERE user_id = 6 ORDER BY published_at DESC LIMIT 5", setup: []string{"SET autonews_relevance_threshold = 0.5"}, fast: true},
	{query: "SELECT * FROM autonews.holdings WHERE user_id = 3", setup: []string{"USE information_schema"}, fast: true},
	// Not the fast path's shapes: the engine answers them.
	{query: "SELECT * FROM holdings WHERE user_id = 3", setup: []string{"USE information_schema"}},
	{query: "SELECT * FROM holdings WHERE user_id = 3 ORDER BY shares"},
	{query: "SELECT symbol AS s FROM holdings WHERE user_id = 3"},
	{query: "SELECT * FROM holdings WHERE user_id = '3'"},
	{query: "SELECT * FROM holdings WHERE user_id = ?", args: []any{"3"}},
	{query: "SELECT * FROM holdings WHERE user_id = 3 LIMIT 1, 1"},
	{query: "SELECT * FROM holdings_batch WHERE user_id = 3"},
	{query: "SELECT * FROM holdings h WHERE h.user_id = 3"},
	{query: "SELECT * FROM relevant_news WHERE user_id = 2 ORDER BY published_at ASC LIMIT 2"},
	{query: "SELECT * FROM relevant_news WHERE user_id = 2 ORDER BY published_at DESC LIMIT ?", args: []any{2}},
	{query: "SELECT shares + 1 FROM holdings WHERE user_id = 3"},
	{query: "SELECT * FROM holdings WHERE user_id = 3 AND symbol = 'KO'"},
	{query: "SELECT nope FROM holdings WHERE user_id = 3"},
	// Totals over whole holdings tables: answered by AutoNews' totals plan, or the engine's.
	{query: "SELECT COUNT(*), SUM(shares) FROM holdings"},
	{query: "SELECT count(1), sum(shares), min(shares), max(shares), count(symbol) FROM holdings"},
	{query: "SELECT COUNT(*), SUM(shares) AS net FROM holdings_batch"},
	{query: "SELECT SUM(shares), MAX(shares), COUNT(*) FROM holdings_delta"},
	{query: "SELECT SUM(shares) FROM holdings WHERE user_id > 5"},
	{query: "SELECT SUM(market_value), COUNT(DISTINCT symbol) FROM holdings"},
	{query: "SELECT symbol, SUM(shares) FROM holdings GROUP BY symbol ORDER BY symbol"},
	{query: "SELECT (SELECT COUNT(*) FROM holdings_delta), (SELECT SUM(shares) FROM holdings)"},
}

// The fast path answers one user's holdings and latest relevant news without the
// engine's analyzer, and AutoNews' plan rules take totals and one user's news off the
// generic plans; all must answer exactly as the generic engine does, columns, types, rows
// and errors alike, by text and as prepared statements, and leave everything else to it.
func TestFastPathAndPlanRulesAnswerExactlyAsTheGenericEngine(t *testing.T) {
	fast, generic := startHarnessWith(t, false), startHarnessWith(t, true)
	rng := rand.New(rand.NewPCG(5, 6))
	symbols := []string{"MMM", "KO", "AAPL", "NVDA", "T"}
	var trades, later []string
	for i := range 300 {
		side := "BUY"
		if rng.IntN(4) == 0 {
			side = "SELL"
		}
		trade := fmt.Sprintf(`{"trade_id":"F%d","user_id":%d,"symbol":"%s","side":"%s","quantity":%d,"price":%d.25,"ts":"2026-01-02T15:%02d:00Z"}`,
			i, rng.IntN(10)+1, symbols[rng.IntN(len(symbols))], side, rng.IntN(100)+1, rng.IntN(300)+1, i%60)
		if i < 200 {
			trades = append(trades, trade)
		} else {
			later = append(later, trade)
		}
	}
	var items []string
	for i := range 40 {
		fraction := [...]string{"", ".5", ".123456", ".000001"}[i%4] // DATETIME(6) texts of every length
		items = append(items, fmt.Sprintf(`{"news_id":"N%d","ts":"2026-01-02T16:%02d:00%sZ","source":"wire","headline":"$%s moves %d","url":"https://news.test/%d"}`,
			i, i%60, fraction, symbols[rng.IntN(len(symbols))], i, i))
	}
	for _, h := range []*harness{fast, generic} {
		for _, step := range []func() error{
			func() error { return h.produce("trades", "", trades) },
			func() error { return h.produce("news", "", items) },
			func() error { h.runCycle(); return nil },
			func() error { return h.produce("trades", "", later) }, // served from the delta
		} {
			if err := step(); err != nil {
				t.Fatal(err)
			}
		}
	}

	for _, c := range fastPathCases {
		// The first run of a shape goes through the engine, which names its columns.
		for run := range 3 {
			before := metricValue(t, fast, "autonews_fast_path_queries_total")
			got, want := runCase(t, fast, c), runCase(t, generic, c)
			if got != want {
				t.Fatalf("%s %v (run %d):\nfast path:\n%s\nengine:\n%s", c.query, c.args, run, got, want)
			}
			answered := metricValue(t, fast, "autonews_fast_path_queries_total") - before
			if !c.fast && answered != 0 || c.fast && run > 0 && answered != 1 {
				t.Fatalf("%s %v (run %d): the fast path answered %v times", c.query, c.args, run, answered)
			}
		}
	}
	if got := metricValue(t, generic, "autonews_fast_path_queries_total"); got != 0 {
		t.Fatalf("with generic plans the fast path answered %v queries", got)
	}
}

// runCase renders the statement's columns, their types and rows, or its error.
func runCase(t *testing.T, h *harness, c fastPathCase) string {
	t.Helper()
	ctx := context.Background()
	conn, err := h.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		// Discard the connection: no case's session settings reach the next case.
		conn.Raw(func(any) error { return driver.ErrBadConn })
		conn.Close()
	}()
	for _, s := range c.setup {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	rows, err := conn.QueryContext(ctx, c.query, c.args...)
	if err != nil {
		return "error: " + err.Error()
	}
	defer rows.Close() // before the connection is discarded
	types, err := rows.ColumnTypes()
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for _, ct := range types {
		nullable, _ := ct.Nullable()
		fmt.Fprintf(&out, "%s %s null=%v | ", ct.Name(), ct.DatabaseTypeName(), nullable)
	}
	out.WriteByte('\n')
	values, ptrs := rawScanTargets(len(types))
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, v := range values {
			fmt.Fprintf(&out, "%q ", v)
		}
		out.WriteByte('\n')
	}
	if err := rows.Err(); err != nil {
		return out.String() + "error: " + err.Error()
	}
	return out.String()
}

func metricValue(t *testing.T, h *harness, name string) float64 {
	t.Helper()
	f, ok := scrapeMetrics(t, "http://"+h.srv.HTTPAddr())[name]
	if !ok || len(f.Metric) != 1 {
		t.Fatalf("no single metric %s", name)
	}
	return f.Metric[0].GetCounter().GetValue()
}

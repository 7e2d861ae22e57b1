package sql_test

import (
	"context"
	gosql "database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sync/errgroup"
)

// One user's newest news needs no sort: the table yields it newest first, so LIMIT 20
// reads 20 rows however much news the user's holdings have. The generic plan sorts.
func TestOneUsersNewestNewsIsReadWithoutASort(t *testing.T) {
	const q = "EXPLAIN PLAN SELECT news_id FROM relevant_news WHERE user_id = 1 ORDER BY published_at DESC LIMIT 20"
	for _, generic := range []bool{false, true} {
		h := startHarnessWith(t, generic)
		plan, err := h.query(q)
		if err != nil {
			t.Fatal(err)
		}
		if sorts := strings.Contains(plan, "Sort") || strings.Contains(plan, "TopN"); sorts != generic {
			t.Fatalf("generic plans %v:\n%s", generic, plan)
		}
		// Several users, or another order, keep the sort.
		for _, other := range []string{
			"EXPLAIN PLAN SELECT news_id FROM relevant_news WHERE user_id IN (1, 2) ORDER BY published_at DESC LIMIT 20",
			"EXPLAIN PLAN SELECT news_id FROM relevant_news WHERE user_id = 1 ORDER BY published_at LIMIT 20",
		} {
			if plan, _ := h.query(other); !strings.Contains(plan, "Sort") && !strings.Contains(plan, "TopN") {
				t.Fatalf("%s lost its sort:\n%s", other, plan)
			}
		}
	}
}

// Every connection reading one user's newest news sees it newest first while news keeps
// arriving out of order: the index's lists grow under the readers, and the fast path's
// wire values of an item are made by whichever query first shows it and then shared by
// all (CI runs this under the race detector).
func TestRelevantNewsStaysNewestFirstWhileNewsArrives(t *testing.T) {
	h := startHarness(t)
	symbols := []string{"MMM", "KO", "AAPL"}
	var trades []string
	for user := 1; user <= 4; user++ {
		for i, sym := range symbols {
			trades = append(trades, fmt.Sprintf(`{"trade_id":"R%d-%d","user_id":%d,"symbol":"%s","side":"BUY","quantity":%d,"price":10,"ts":"2026-01-02T15:00:00Z"}`,
				user, i, user, sym, 10*(i+user)))
		}
	}
	if err := h.produce("trades", "", trades); err != nil {
		t.Fatal(err)
	}
	h.runCycle()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { // the news, in batches, published in a shuffled order
		defer cancel()
		rng := rand.New(rand.NewPCG(8, 9))
		for batch := range 10 {
			var items []string
			for i := range 40 {
				n := batch*40 + i
				items = append(items, fmt.Sprintf(`{"news_id":"A%03d","ts":"2026-01-02T16:%02d:%02d.%06dZ","source":"wire","headline":"$%s and $%s","url":"https://news.test/%d"}`,
					n, rng.IntN(60), rng.IntN(60), rng.IntN(3)*250_000, symbols[rng.IntN(3)], symbols[rng.IntN(3)], n))
			}
			if err := h.produce("news", "", items); err != nil {
				return err
			}
		}
		return nil
	})
	for reader := range 4 {
		g.Go(func() error {
			const q = "SELECT news_id, published_at, symbol FROM relevant_news WHERE user_id = %s ORDER BY published_at DESC LIMIT 20"
			for n := 0; gctx.Err() == nil || n == 0; n++ {
				user := reader%4 + 1
				var rows *gosql.Rows
				var err error
				if n%2 == 0 { // a prepared statement: the binary protocol
					rows, err = h.db.Query(fmt.Sprintf(q, "?"), user)
				} else {
					rows, err = h.db.Query(fmt.Sprintf(q, strconv.Itoa(user)))
				}
				if err != nil {
					return err
				}
				if err := newestFirst(rows); err != nil {
					return fmt.Errorf("user %d, query %d: %w", user, n, err)
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	got, err := h.query("SELECT COUNT(*) FROM relevant_news WHERE user_id = 1")
	if err != nil || got == "0" {
		t.Fatalf("user 1 has %s relevant news (%v)", got, err)
	}
}

// newestFirst reads rows of (news_id, published_at, symbol) and checks their order.
func newestFirst(rows *gosql.Rows) error {
	defer rows.Close()
	var last string
	for n := 0; rows.Next(); n++ {
		var id, at, symbol string
		if err := rows.Scan(&id, &at, &symbol); err != nil {
			return err
		}
		if n > 0 && at > last {
			return fmt.Errorf("row %d (%s, %s) is newer than the row before it (%s)", n, id, at, last)
		}
		last = at
	}
	return rows.Err()
}

// The first answers of a fresh server, from connections that start at once, convert
// their news items' values at the same time: each answer converts with a context of its
// own (one shared by every connection raced on the session's character set, which its
// first read caches; CI runs this under the race detector).
func TestTheFirstAnswersOfManyConnectionsAtOnce(t *testing.T) {
	h := startHarness(t)
	const users = 8
	symbols := []string{"MMM", "KO", "AAPL", "MSFT", "NVDA", "AMZN", "META", "TSLA"}
	var trades, items []string
	for user := 1; user <= users; user++ {
		trades = append(trades, fmt.Sprintf(`{"trade_id":"F%d","user_id":%d,"symbol":"%s","side":"BUY","quantity":5,"price":10,"ts":"2026-01-02T15:00:00Z"}`,
			user, user, symbols[user-1]))
		for i := range 5 {
			items = append(items, fmt.Sprintf(`{"news_id":"F%d-%d","ts":"2026-01-02T16:00:%02dZ","source":"wire","headline":"$%s news","url":"https://news.test/%d/%d"}`,
				user, i, i, symbols[user-1], user, i))
		}
	}
	if err := h.produce("trades", "", trades); err != nil {
		t.Fatal(err)
	}
	if err := h.produce("news", "", items); err != nil {
		t.Fatal(err)
	}
	h.runCycle()
	conns := make([]*gosql.Conn, users)
	for i := range conns {
		c, err := h.db.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns[i] = c
	}
	start := make(chan struct{})
	var g errgroup.Group
	for i, c := range conns {
		g.Go(func() error {
			<-start
			rows, err := c.QueryContext(context.Background(),
				"SELECT news_id, published_at, symbol FROM relevant_news WHERE user_id = ? ORDER BY published_at DESC LIMIT 20", i+1)
			if err != nil {
				return err
			}
			n, err := countRows(rows)
			if err == nil && n != 5 {
				err = fmt.Errorf("user %d has %d relevant news, want 5", i+1, n)
			}
			return err
		})
	}
	close(start)
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
}

func countRows(rows *gosql.Rows) (int, error) {
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
	}
	return n, rows.Err()
}

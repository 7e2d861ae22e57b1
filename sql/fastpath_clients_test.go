package sql_test

import (
	gosql "database/sql"
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// The mariadb client, like PyMySQL, asks to send several statements at once, and vitess
// hands the texts of such connections to another handler method than go-sql-driver's.
// Their point selects must take the fast path too and answer exactly as the engine does:
// --column-type-info prints each column's type, length, collation and flags. A session
// that takes results in another character set is answered by the engine, and so is a
// text holding several statements.
func TestPointSelectsOfMultiStatementClientsTakeTheFastPathAndAnswerAsTheEngine(t *testing.T) {
	mariadb := requireTool(t, "mariadb", "mariadb-client")
	fast, generic := startHarnessWith(t, false), startHarnessWith(t, true)
	trades := []string{
		`{"trade_id":"M1","user_id":3,"symbol":"MMM","side":"BUY","quantity":40,"price":100.5,"ts":"2026-01-02T15:00:00Z"}`,
		`{"trade_id":"M2","user_id":3,"symbol":"KO","side":"BUY","quantity":10,"price":60,"ts":"2026-01-02T15:01:00Z"}`,
		`{"trade_id":"M3","user_id":4,"symbol":"KO","side":"SELL","quantity":5,"price":61,"ts":"2026-01-02T15:02:00Z"}`,
	}
	items := []string{
		`{"news_id":"MN1","ts":"2026-01-02T16:00:00.5Z","source":"wire","headline":"$MMM rallies — Straße café ünïcödé","url":"https://news.test/1"}`,
		`{"news_id":"MN2","ts":"2026-01-02T16:01:00Z","source":"wire","headline":"Coca-Cola $KO flat","url":"https://news.test/2"}`,
	}
	for _, h := range []*harness{fast, generic} {
		if err := h.produce("trades", "", trades); err != nil {
			t.Fatal(err)
		}
		if err := h.produce("news", "", items); err != nil {
			t.Fatal(err)
		}
	}
	mariadbOutput := func(h *harness, statements string) string {
		t.Helper()
		host, port := splitAddr(t, h.srv.MySQLAddr())
		cmd := exec.Command(mariadb, "-h", host, "-P", port, "-u", "root", "--column-type-info", "-t", "autonews")
		cmd.Stdin = strings.NewReader(statements + "\n")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("mariadb: %v\n%s", err, out)
		}
		return string(out)
	}
	for _, c := range []struct {
		statements string
		fast       int // point selects the fast path answers once the shape is known
	}{
		{"SELECT * FROM holdings WHERE user_id = 3;", 1},
		{"select symbol, shares from autonews.holdings where user_id = 4 ;", 1},
		{"SELECT * FROM relevant_news WHERE user_id = 3 ORDER BY published_at DESC LIMIT 20;", 1},
		{"SELECT * FROM holdings WHERE user_id = 3; SELECT * FROM holdings WHERE user_id = 4;", 2}, // the client sends them one by one
		{"SET character_set_results = latin1; SELECT * FROM holdings WHERE user_id = 3; SELECT * FROM relevant_news WHERE user_id = 3;", 0},
		{"SET character_set_results = NULL; SELECT * FROM holdings WHERE user_id = 3;", 1},
		{"SET NAMES utf8mb4; SELECT * FROM relevant_news WHERE user_id = 3 ORDER BY published_at DESC LIMIT 20;", 1},
	} {
		for run := range 3 {
			before := metricValue(t, fast, "autonews_fast_path_queries_total")
			got, want := mariadbOutput(fast, c.statements), mariadbOutput(generic, c.statements)
			if got != want {
				t.Fatalf("%s (run %d):\nfast path:\n%s\nengine:\n%s", c.statements, run, got, want)
			}
			answered := int(metricValue(t, fast, "autonews_fast_path_queries_total") - before)
			if run > 0 && answered != c.fast {
				t.Fatalf("%s (run %d): the fast path answered %d statements, want %d", c.statements, run, answered, c.fast)
			}
		}
	}

	// go-sql-driver sends a text of several statements at once when asked to.
	db, err := gosql.Open("mysql", "root@tcp("+fast.srv.MySQLAddr()+")/autonews?multiStatements=true")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	before := metricValue(t, fast, "autonews_fast_path_queries_total")
	rows, err := db.Query("SELECT symbol, shares FROM holdings WHERE user_id = 3; SELECT symbol, shares FROM holdings WHERE user_id = 4")
	if err != nil {
		t.Fatal(err)
	}
	var sets []string
	for {
		var set strings.Builder
		for rows.Next() {
			var symbol string
			var shares int64
			if err := rows.Scan(&symbol, &shares); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&set, "%s %d;", symbol, shares)
		}
		sets = append(sets, set.String())
		if !rows.NextResultSet() {
			break
		}
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"KO 10;MMM 40;", "KO -5;"}; strings.Join(sets, "|") != strings.Join(want, "|") {
		t.Fatalf("result sets %q, want %q", sets, want)
	}
	if answered := metricValue(t, fast, "autonews_fast_path_queries_total") - before; answered != 0 {
		t.Fatalf("the fast path answered %v statements of a text holding two", answered)
	}
}

package sql_test

import (
	"context"
	gosql "database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/autonews/autonews/server"
)

const (
	adminPassword    = "s3cret"
	readonlyUser     = "bi"
	readonlyPassword = "r34d-only"
)

func startWithAccounts(t *testing.T) *harness {
	return startHarnessConfig(t, func(c *server.Config) {
		c.MySQLPassword = adminPassword
		c.MySQLReadonlyUser, c.MySQLReadonlyPassword = readonlyUser, readonlyPassword
	})
}

func open(t *testing.T, h *harness, user, password, params string) *gosql.DB {
	t.Helper()
	db, err := gosql.Open("mysql", user+":"+password+"@tcp("+h.srv.MySQLAddr()+")/autonews"+params)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func errorNumber(err error) uint16 {
	var myErr *mysql.MySQLError
	if errors.As(err, &myErr) {
		return myErr.Number
	}
	return 0
}

// Wrong passwords and unknown users get 1045; the read-only account reads, and a write
// or a cycle by it gets 1142.
func TestAccountsAndPrivileges(t *testing.T) {
	h := startWithAccounts(t)
	for _, c := range []struct{ user, password string }{{"root", "wrong"}, {"nobody", "x"}, {readonlyUser, adminPassword}, {"root", ""}} {
		if err := open(t, h, c.user, c.password, "").Ping(); errorNumber(err) != 1045 {
			t.Errorf("%s/%s: %v, want error 1045", c.user, c.password, err)
		}
	}
	admin := open(t, h, "root", adminPassword, "")
	if _, err := admin.Exec("INSERT INTO trades (user_id, symbol, side, quantity, price) VALUES (5, 'MMM', 'BUY', 3, 10)"); err != nil {
		t.Fatal(err)
	}
	bi := open(t, h, readonlyUser, readonlyPassword, "")
	var shares int64
	if err := bi.QueryRow("SELECT shares FROM holdings WHERE user_id = 5").Scan(&shares); err != nil || shares != 3 {
		t.Fatalf("read-only read: %d %v", shares, err)
	}
	for _, write := range []string{
		"INSERT INTO trades (user_id, symbol, side, quantity, price) VALUES (5, 'MMM', 'BUY', 3, 10)",
		"INSERT INTO news (headline) VALUES ('x')",
		"CALL autonews.run_cycle()",
	} {
		if _, err := bi.Exec(write); errorNumber(err) != 1142 {
			t.Errorf("%s by the read-only account: %v, want error 1142", write, err)
		}
	}
}

// The mariadb client logs in with either authentication plugin, and mariadb-dump reads
// the schema.
func TestMariadbClientsWithBothAuthPlugins(t *testing.T) {
	mariadb := requireTool(t, "mariadb", "mariadb-client")
	dump := requireTool(t, "mariadb-dump", "mariadb-client")
	h := startWithAccounts(t)
	host, port := splitAddr(t, h.srv.MySQLAddr())
	for _, plugin := range []string{"mysql_native_password", "caching_sha2_password"} {
		out, err := exec.Command(mariadb, "-h", host, "-P", port, "-u", readonlyUser, "-p"+readonlyPassword,
			"--default-auth="+plugin, "-N", "autonews", "-e", "SELECT CURRENT_USER()").CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != readonlyUser+"@%" {
			t.Errorf("%s: %v %s", plugin, err, out)
		}
	}
	out, err := exec.Command(dump, "-h", host, "-P", port, "-u", "root", "-p"+adminPassword, "--no-data", "--skip-lock-tables", "autonews").CombinedOutput()
	if err != nil {
		t.Fatalf("mariadb-dump: %v\n%s", err, out)
	}
	for _, want := range []string{"CREATE TABLE `holdings`", "CREATE TABLE `relevant_news`", "PRIMARY KEY (`user_id`,`symbol`)"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("mariadb-dump --no-data lacks %q:\n%s", want, out)
		}
	}
}

// go-sql-driver/mysql with the text protocol (interpolated parameters) and with prepared
// statements over the binary protocol sees the same rows.
func TestGoDriverTextAndPreparedStatements(t *testing.T) {
	h := startHarness(t)
	if _, err := h.db.Exec("INSERT INTO trades (user_id, symbol, side, quantity, price, ts) VALUES (8, 'MMM', 'BUY', 30, 10, '2026-01-02 15:00:00'), (8, 'KO', 'BUY', 10, 70, '2026-01-02 15:00:01')"); err != nil {
		t.Fatal(err)
	}
	for _, params := range []string{"?interpolateParams=true", ""} {
		db := open(t, h, "root", "", params)
		rows, err := db.Query("SELECT symbol, shares, weight FROM holdings WHERE user_id = ? ORDER BY symbol", 8)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			var symbol string
			var shares int64
			var weight float64
			if err := rows.Scan(&symbol, &shares, &weight); err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprintf("%s:%d:%.1f", symbol, shares, weight))
		}
		rows.Close()
		if strings.Join(got, " ") != "KO:10:0.7 MMM:30:0.3" {
			t.Errorf("params %q: %v", params, got)
		}
		stmt, err := db.Prepare("SELECT count(*) FROM relevant_news WHERE user_id = ?")
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := stmt.QueryRow(8).Scan(&n); err != nil {
			t.Fatalf("prepared statement: %v", err)
		}
		stmt.Close()
	}
}

// Node's mysql2 driver: a text query, a write, a prepared statement and an error code.
func TestNodeMysql2Client(t *testing.T) {
	node := requireTool(t, "node", "nodejs")
	if _, err := os.Stat("node/node_modules/mysql2"); err != nil {
		t.Fatalf("mysql2 is not installed: run ./scripts/test, which runs npm ci in sql/node (%v)", err)
	}
	h := startWithAccounts(t)
	host, port := splitAddr(t, h.srv.MySQLAddr())
	cmd := exec.Command(node, "node/client.js")
	cmd.Env = append(os.Environ(), "AUTONEWS_HOST="+host, "AUTONEWS_PORT="+port, "AUTONEWS_USER=root", "AUTONEWS_PASSWORD="+adminPassword)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node client: %v\n%s", err, out)
	}
	var got struct {
		Comment  string
		Text     []map[string]any
		Prepared []map[string]any
		Error    int
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if !strings.HasPrefix(got.Comment, "AutoNews") || len(got.Text) != 1 || got.Text[0]["shares"] != float64(12) ||
		len(got.Prepared) != 1 || got.Prepared[0]["symbol"] != "MMM" || got.Error != 1146 {
		t.Fatalf("node saw %s", out)
	}
}

// A multi-row INSERT on one connection is seen by the very next SELECT on another, and
// the statements clients browse with answer.
func TestReadYourWritesAcrossConnectionsAndBrowsing(t *testing.T) {
	h := startHarness(t)
	writer, err := h.db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	reader, err := h.db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	for i := 1; i <= 20; i++ {
		if _, err := writer.ExecContext(context.Background(), fmt.Sprintf(
			"INSERT INTO trades (user_id, symbol, side, quantity, price) VALUES (%d, 'MMM', 'BUY', %d, 10), (%d, 'KO', 'BUY', 1, 60)", i, i, i)); err != nil {
			t.Fatal(err)
		}
		var shares int64
		if err := reader.QueryRowContext(context.Background(), "SELECT shares FROM holdings WHERE user_id = ? AND symbol = 'MMM'", i).Scan(&shares); err != nil || shares != int64(i) {
			t.Fatalf("write %d not seen by the next read on another connection: %d %v", i, shares, err)
		}
	}
	for _, q := range []string{"SHOW STATUS LIKE 'Threads_connected'", "SHOW PROCESSLIST", "SHOW VARIABLES LIKE 'version%'", "SHOW FULL TABLES FROM autonews"} {
		rows, err := reader.QueryContext(context.Background(), q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		n := 0
		for rows.Next() {
			n++
		}
		rows.Close()
		if n == 0 {
			t.Errorf("%s returned no rows", q)
		}
	}
}

package sql_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autonews/autonews/server"
)

// A broker log that went backwards (here: deleted while the server was down) is refused,
// loudly, in the log, pipeline_lag and /readyz, while what the snapshot holds is still
// served; restarted with --rebuild-from-master, the master dataset is replayed into the
// new log and every holding and news item comes back exactly.
func TestOffsetsThatWentBackwardsAreRefusedUntilRebuilt(t *testing.T) {
	h := startHarness(t)
	if _, err := h.db.Exec(`INSERT INTO trades (trade_id, user_id, symbol, side, quantity, price) VALUES
		('RB1', 1, 'MMM', 'BUY', 100, 10), ('RB2', 2, 'KO', 'BUY', 50, 60), ('RB3', 1, 'AAPL', 'BUY', 10, 190)`); err != nil {
		t.Fatal(err)
	}
	if _, err := h.db.Exec(`INSERT INTO news (news_id, headline) VALUES ('RBN1', '3M beats estimates')`); err != nil {
		t.Fatal(err)
	}
	if out := h.runCycle(); !strings.Contains(out, "succeeded") {
		t.Fatal(out)
	}
	if _, err := h.db.Exec(`INSERT INTO trades (trade_id, user_id, symbol, side, quantity, price) VALUES ('RB4', 1, 'MMM', 'SELL', 30, 11)`); err != nil {
		t.Fatal(err)
	}
	want, err := h.query(holdingsQuery)
	if err != nil {
		t.Fatal(err)
	}

	h.stop()
	if err := os.RemoveAll(filepath.Join(h.dataDir, "kafka")); err != nil {
		t.Fatal(err)
	}
	h.start()
	code, body := get(t, "http://"+h.srv.HTTPAddr()+"/readyz")
	if code != 503 || !strings.Contains(body, "went backwards") || !strings.Contains(body, "--rebuild-from-master") {
		t.Fatalf("readyz: %d %q", code, body)
	}
	status, err := h.query("SELECT DISTINCT status FROM pipeline_lag WHERE topic = 'trades'")
	if err != nil || !strings.HasPrefix(status, "refused: the broker's log went backwards") {
		t.Fatalf("pipeline_lag status: %q %v", status, err)
	}
	if got, _ := h.query("SELECT shares FROM holdings WHERE user_id = 2"); got != "50\n" {
		t.Fatalf("the snapshot is not served while refusing: %q", got)
	}
	if _, err := h.db.Exec(`INSERT INTO trades (user_id, symbol, side, quantity, price) VALUES (1, 'MMM', 'BUY', 1, 10)`); err == nil ||
		!strings.Contains(err.Error(), "went backwards") {
		t.Fatalf("a write while refusing: %v", err)
	}
	if out := h.runCycle(); !strings.Contains(out, "failed") {
		t.Fatalf("a cycle while refusing: %s", out)
	}

	h.stop()
	previous := h.configure
	h.configure = func(c *server.Config) {
		if previous != nil {
			previous(c)
		}
		c.RebuildFromMaster = true
	}
	h.start()
	h.waitCaughtUp()
	if got, err := h.query(holdingsQuery); err != nil || got != want {
		t.Fatalf("after the rebuild: %q %v, want %q", got, err, want)
	}
	if got, _ := h.query("SELECT news_id FROM news"); got != "RBN1\n" {
		t.Fatalf("news after the rebuild: %q", got)
	}
	if code, _ := get(t, "http://"+h.srv.HTTPAddr()+"/readyz"); code != 200 {
		t.Fatalf("not ready after the rebuild: %d", code)
	}
	if out := h.runCycle(); !strings.Contains(out, "succeeded") {
		t.Fatal(out)
	}
	if got, err := h.query("CALL autonews.verify()"); err != nil || got != "" {
		t.Fatalf("verify after the rebuild: %q %v", got, err)
	}
	entries, _ := os.ReadDir(h.dataDir)
	var kept []string
	for _, e := range entries {
		if strings.Contains(e.Name(), ".replaced-") {
			kept = append(kept, e.Name())
		}
	}
	if len(kept) != 2 {
		t.Fatalf("the old master dataset and snapshots were not kept aside: %v", kept)
	}
}

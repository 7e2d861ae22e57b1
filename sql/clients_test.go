package sql_test

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

// requireTool fails with what to do when a real client the test drives is missing.
func requireTool(t *testing.T, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed: run ./scripts/test, which installs %s, or apt-get install %s", name, pkg, pkg)
	}
	return path
}

// A trade produced with kcat, keyed by user as the contract says, is served to the mariadb
// command-line client, in -e mode and in batch mode from standard input.
func TestKcatProducesAndMariadbQueries(t *testing.T) {
	kcat := requireTool(t, "kcat", "kcat")
	mariadb := requireTool(t, "mariadb", "mariadb-client")
	h := startHarness(t)

	input := strings.Join([]string{
		`41:{"trade_id":"KC1","user_id":41,"symbol":"MMM","side":"BUY","quantity":5000,"price":178.25,"ts":"2026-11-25T14:03:00Z"}`,
		`41:{"trade_id":"KC2","user_id":41,"symbol":"MMM","side":"SELL","quantity":1000,"price":178.5,"ts":"2026-11-25T14:04:00Z"}`,
		`42:{"trade_id":"KC3","user_id":42,"symbol":"AAPL","side":"BUY","quantity":7,"price":190,"ts":"2026-11-25T14:05:00Z"}`,
	}, "\n") + "\n"
	cmd := exec.Command(kcat, "-P", "-b", h.srv.KafkaAddr(), "-t", "trades", "-K:")
	cmd.Stdin = strings.NewReader(input)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kcat: %v\n%s", err, out)
	}
	waitFor(t, h, "SELECT count(*) FROM holdings WHERE user_id IN (41, 42)", "2\n")

	host, port := splitAddr(t, h.srv.MySQLAddr())
	out, err := exec.Command(mariadb, "-h", host, "-P", port, "-u", "root", "autonews",
		"-e", "SELECT user_id, symbol, shares FROM holdings WHERE user_id = 41").CombinedOutput()
	if err != nil {
		t.Fatalf("mariadb -e: %v\n%s", err, out)
	}
	if want := "user_id\tsymbol\tshares\n41\tMMM\t4000\n"; string(out) != want {
		t.Fatalf("mariadb -e printed %q, want %q", out, want)
	}

	batch := exec.Command(mariadb, "-h", host, "-P", port, "-u", "root", "--batch", "--skip-column-names", "autonews")
	batch.Stdin = strings.NewReader("CALL autonews.run_cycle();\nSELECT user_id, symbol, shares FROM holdings_batch ORDER BY user_id;\nSELECT count(*) FROM holdings_delta;\n")
	out, err = batch.CombinedOutput()
	if err != nil {
		t.Fatalf("mariadb batch: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 4 || !strings.Contains(lines[0], "succeeded") || lines[1] != "41\tMMM\t4000" || lines[2] != "42\tAAPL\t7" || lines[3] != "0" {
		t.Fatalf("mariadb batch printed:\n%s", out)
	}
}

func splitAddr(t *testing.T, addr string) (host, port string) {
	t.Helper()
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		t.Fatalf("address %q has no port", addr)
	}
	return addr[:i], addr[i+1:]
}

// waitFor polls q until it returns want, for what arrives by a path the test cannot
// wait on directly (another process producing).
func waitFor(t *testing.T, h *harness, q, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, err := h.query(q)
		if err == nil && got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: got %q (%v), want %q", q, got, err, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

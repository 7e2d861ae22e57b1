package sql_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// The master dataset's disk fills up, then turns read-only: archiving fails with a clear
// error and keeps what it consumed, holdings go on being served from memory, cycles fail
// and retry; once the disk is usable again, the next cycle archives everything and
// holdings stay exact.
func TestFullOrReadOnlyDiskFailsCyclesClearlyAndRecovers(t *testing.T) {
	dataDir := t.TempDir()
	master := filepath.Join(dataDir, "master")
	if err := os.MkdirAll(master, 0o755); err != nil {
		t.Fatal(err)
	}
	// A small file system of its own for the master dataset (the tests run as root).
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", master).CombinedOutput(); err != nil {
		t.Fatalf("mount a tmpfs for the master dataset (needs root, as the test command runs): %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", master).Run() })
	h := &harness{t: t, dataDir: dataDir, hold: &stepHold{}}
	h.start()
	t.Cleanup(h.stop)

	filler := filepath.Join(master, "filler.bin")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	f.Close()
	var values []string
	for u := 1; u <= 50; u++ {
		values = append(values, fmt.Sprintf(`{"trade_id":"DF%d","user_id":%d,"symbol":"MMM","side":"BUY","quantity":%d,"price":10,"ts":"2026-01-02T15:00:00Z"}`, u, u, u))
	}
	if err := h.produce("trades", "", values); err != nil {
		t.Fatal(err)
	}
	if got, _ := h.query("SELECT sum(shares) FROM holdings"); got != "1275\n" {
		t.Fatalf("holdings are not served from memory while the disk is full: %q", got)
	}
	out := h.runCycle()
	if !strings.Contains(out, "failed") || !strings.Contains(out, "no space left on device") {
		t.Fatalf("a cycle on a full disk: %s", out)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if out := h.runCycle(); !strings.Contains(out, "succeeded") {
		t.Fatalf("the cycle after space was freed: %s", out)
	}
	if got, _ := h.query("SELECT sum(shares), count(*) FROM holdings_batch"); got != "1275 50\n" {
		t.Fatalf("the batch view after the disk recovered: %q", got)
	}
	if got, err := h.query("CALL autonews.verify()"); err != nil || got != "" {
		t.Fatalf("verify: %q %v", got, err)
	}

	// Read-only: even root cannot write.
	if out, err := exec.Command("mount", "-o", "remount,ro", master).CombinedOutput(); err != nil {
		t.Fatalf("remount read-only: %v %s", err, out)
	}
	if err := h.produce("trades", "", []string{`{"trade_id":"DF-RO","user_id":1,"symbol":"MMM","side":"SELL","quantity":1,"price":10,"ts":"2026-01-02T15:01:00Z"}`}); err != nil {
		t.Fatal(err)
	}
	if got, _ := h.query("SELECT sum(shares) FROM holdings"); got != "1274\n" {
		t.Fatalf("holdings are not served from memory while the disk is read-only: %q", got)
	}
	if out := h.runCycle(); !strings.Contains(out, "failed") || !strings.Contains(out, "read-only file system") {
		t.Fatalf("a cycle on a read-only disk: %s", out)
	}
	if out, err := exec.Command("mount", "-o", "remount,rw", master).CombinedOutput(); err != nil {
		t.Fatalf("remount read-write: %v %s", err, out)
	}
	if out := h.runCycle(); !strings.Contains(out, "succeeded") {
		t.Fatalf("the cycle after the disk became writable: %s", out)
	}
	if got, _ := h.query("SELECT sum(shares) FROM holdings_batch"); got != "1274\n" {
		t.Fatalf("the batch view after the disk recovered: %q", got)
	}
}

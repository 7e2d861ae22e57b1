package benchmark

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An error about the server process carries the end of its log, which goes with the
// process's directory.
func TestTheEndOfAServersLogIsItsLastTwentyLines(t *testing.T) {
	p := &serverProcess{logPath: filepath.Join(t.TempDir(), "serve.log")}
	if got := p.logTail(); !strings.Contains(got, "cannot be read") {
		t.Fatalf("without a log: %q", got)
	}
	var log strings.Builder
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&log, "line %d\n", i)
	}
	if err := os.WriteFile(p.logPath, []byte(log.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(p.logTail(), "\n")
	if len(got) != 20 || got[0] != "line 11" || got[19] != "line 30" {
		t.Fatalf("tail %q", got)
	}
}

// The bench learns the ports the server picked from the line it logs once it serves.
func TestTheServersAddressesAreReadFromTheLineItLogsOnceServing(t *testing.T) {
	const serving = `time=2026-11-27T18:39:46.848Z level=INFO msg="autonews serving" mysql=127.0.0.1:38357 kafka=127.0.0.1:35703 http=127.0.0.1:43695 data_dir=/tmp/d epoch=0 cut="" startup.total=19ms` + "\n"
	const before = `time=2026-11-27T18:39:46.832Z level=INFO msg="no published snapshot: starting from an empty epoch 0"` + "\n"
	for _, tc := range []struct {
		name, log string
		ok        bool
	}{
		{"serving", before + serving, true},
		{"not yet serving", before, false},
		{"the line not yet written whole", before + serving[:len(serving)-20], false},
		{"the line without an address", before + strings.Replace(serving, " http=127.0.0.1:43695", "", 1), false},
		{"another message naming addresses", `time=x level=INFO msg="autonews serving soon" mysql=1 kafka=2 http=3` + "\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kafka, mysql, http, ok := servingAddrsIn(tc.log)
			if ok != tc.ok {
				t.Fatalf("found %v, want %v (%q %q %q)", ok, tc.ok, kafka, mysql, http)
			}
			if ok && (kafka != "127.0.0.1:35703" || mysql != "127.0.0.1:38357" || http != "127.0.0.1:43695") {
				t.Fatalf("kafka %q, mysql %q, http %q", kafka, mysql, http)
			}
		})
	}
}

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

package sql_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"github.com/autonews/autonews/batch"
)

// TestSQL runs the scripts under testdata/, each on a server of its own, once with
// AutoNews' plan rules and once with go-mysql-server's generic plans: the results must
// be the same. Commands:
//
//	produce [topic=trades] [key=K|null]   one message per input line; waits until applied
//	query                                 SQL; prints rows or "error: ..."
//	cycle                                 CALL autonews.run_cycle(), prints the outcome
//	cycle-start hold=<step>               starts a run and holds it before <step>
//	cycle-release                         lets the held run finish, prints the outcome
//	cycle-fail step=<step>                makes every attempt of <step> fail ("none" heals)
//	restart                               stops the server cleanly and starts it again
//	inject-delta user=U symbol=S shares=N  corrupts the active delta (a fault hook)
//	corrupt-snapshot file=F               flips one byte of a file of the published snapshot
func TestSQL(t *testing.T) {
	for _, plans := range []string{"autonews", "generic"} {
		t.Run("plans="+plans, func(t *testing.T) {
			datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
				runScript(t, path, startHarnessWith(t, plans == "generic"))
			})
		})
	}
}

func runScript(t *testing.T, path string, h *harness) {
	var pending chan string
	{
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "produce":
				topic, key := "trades", ""
				if d.HasArg("topic") {
					d.ScanArgs(t, "topic", &topic)
				}
				if d.HasArg("key") {
					d.ScanArgs(t, "key", &key)
				}
				if err := h.produce(topic, key, strings.Split(d.Input, "\n")); err != nil {
					return "error: " + err.Error() + "\n"
				}
				return "ok\n"
			case "query":
				out, err := h.query(d.Input)
				if err != nil {
					return "error: " + err.Error() + "\n"
				}
				return out
			case "cycle":
				return h.runCycle() + "\n"
			case "cycle-start":
				var step string
				d.ScanArgs(t, "hold", &step)
				reached, release := h.hold.arm(batch.Step(step))
				pending = make(chan string, 1)
				go func() { pending <- h.runCycle() }()
				select {
				case run := <-reached:
					h.releaseLater = release
					return fmt.Sprintf("run %d holding before %s\n", run, step)
				case out := <-pending:
					return "run ended before reaching the hold: " + out + "\n"
				case <-time.After(30 * time.Second):
					t.Fatal("cycle did not reach the hold")
				}
			case "cycle-fail":
				var step string
				d.ScanArgs(t, "step", &step)
				h.hold.failAt(batch.Step(step))
				return "ok\n"
			case "cycle-release":
				close(h.releaseLater)
				return <-pending + "\n"
			case "inject-delta":
				var user, shares int64
				var symbol string
				d.ScanArgs(t, "user", &user)
				d.ScanArgs(t, "symbol", &symbol)
				d.ScanArgs(t, "shares", &shares)
				h.srv.Speed().InjectDelta(user, symbol, shares)
				return "ok\n"
			case "corrupt-snapshot":
				var file string
				d.ScanArgs(t, "file", &file)
				h.corruptSnapshot(file)
				return "ok\n"
			case "restart":
				h.restart()
				return "ok\n"
			}
			t.Fatalf("unknown command %s", d.Cmd)
			return ""
		})
	}
}

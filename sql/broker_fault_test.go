package sql_test

import (
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// With the broker in a process of its own, it is killed with SIGKILL and restarted while
// trades flow: the server keeps serving reads, reconnects, and applies every trade exactly
// once, duplicates the broker re-accepted after its crash included.
func TestBrokerKillsWhileTradesFlow(t *testing.T) {
	broker := newProcess(t)
	broker.startBroker()
	p := newProcess(t, "--brokers", broker.kafkaAddr, "--cycle-interval", "500ms", "--archive-flush-interval", "100ms")
	p.start()
	rng := rand.New(rand.NewPCG(11, 13))
	trades, want := randomTrades(rng, 3000, 40, []string{"AAPL", "MMM", "KO", "T"}, "BK")
	records := make([]*kgo.Record, len(trades))
	for i, tr := range trades {
		records[i] = tradeRecord(tr)
	}
	var (
		mu      sync.Mutex
		reads   int
		readErr error
	)
	stopReads := make(chan struct{})
	readsDone := make(chan struct{})
	go func() { // reads go on while the broker is down
		defer close(readsDone)
		for {
			select {
			case <-stopReads:
				return
			case <-time.After(10 * time.Millisecond):
			}
			_, err := p.query("SELECT count(*) FROM holdings WHERE user_id = 1")
			mu.Lock()
			reads++
			if err != nil {
				readErr = err
			}
			mu.Unlock()
		}
	}()
	sender := streamAtLeastOnce(t, broker.kafkaAddr, records, 30, 5*time.Millisecond)
	const kills = 3
	for k := 0; k < kills; k++ {
		time.Sleep(time.Duration(300+rng.IntN(400)) * time.Millisecond)
		broker.kill()
		time.Sleep(200 * time.Millisecond) // the server keeps serving without a broker
		broker.startBroker()
	}
	redelivered := sender.finish()
	close(stopReads)
	<-readsDone
	t.Logf("%d trades, %d broker kills, %d batches redelivered, %d reads during the stream", len(trades), kills, redelivered, reads)
	if readErr != nil {
		t.Errorf("a read failed while the broker was down: %v", readErr)
	}
	// A broker killed with SIGKILL may come back without the tail of its log (kfake
	// reloads from its files). Then the server must say so, loudly, rather than serve
	// holdings the log no longer backs; a restart goes on from what the log holds.
	if code, body := get(t, "http://"+p.httpAddr+"/readyz"); code != 200 {
		if !strings.Contains(body, "lost records") {
			t.Fatalf("not ready after the broker came back, but not for lost records: %d %q", code, body)
		}
		status, _ := p.query("SELECT DISTINCT status FROM pipeline_lag")
		t.Logf("the broker lost records; the server refused loudly: %s", strings.TrimSpace(status))
		p.stop()
		p.start()
		if got, err := p.query("CALL autonews.verify()"); err != nil || got != "" {
			t.Fatalf("verify after the restart: %.300q %v", got, err)
		}
		return
	}
	// The speed layer itself caught up: nothing waits in the log.
	if lag := p.waitForQuery("SELECT sum(lag_messages) FROM pipeline_lag", "0\n", 30*time.Second); lag != "0\n" {
		all, _ := p.query("SELECT * FROM pipeline_lag")
		t.Fatalf("the speed layer did not catch up after the broker came back:\n%s", all)
	}
	if got := p.waitForQuery(holdingsQuery, renderPositions(want), 60*time.Second); sortedOutput(got) != renderPositions(want) {
		t.Fatalf("holdings differ from the independent sum\n got: %.300s\nwant: %.300s", sortedOutput(got), renderPositions(want))
	}
	if out := p.runCycle(); !strings.Contains(out, "succeeded") {
		t.Fatalf("cycle after the broker kills: %s", out)
	}
	if got, err := p.query("CALL autonews.verify()"); err != nil || got != "" {
		lag, _ := p.query("SELECT * FROM pipeline_lag")
		runs, _ := p.query("SELECT run, step, status, `rows`, error FROM pipeline_runs")
		var segments []string
		filepath.WalkDir(filepath.Join(p.dataDir, "master"), func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				segments = append(segments, strings.TrimPrefix(path, p.dataDir))
			}
			return nil
		})
		t.Fatalf("verify: %.600q %v\npipeline_lag:\n%s\nruns:\n%s\nsegments: %v", got, err, lag, runs, segments)
	}
	p.stop()
	broker.stop()
}

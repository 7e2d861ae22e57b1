package sql_test

import (
	"context"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/autonews/autonews/loadgen"
	"github.com/autonews/autonews/news"
	"github.com/autonews/autonews/server"
)

// A bounded soak: a steady stream of trades and news with a cycle every second. Memory
// and goroutines stay flat and the lag stays bounded. It runs 40 seconds; set
// AUTONEWS_SOAK to a duration (say 30m) for a longer one.
func TestSoak(t *testing.T) {
	duration := 40 * time.Second
	if d, err := time.ParseDuration(os.Getenv("AUTONEWS_SOAK")); err == nil {
		duration = d
	}
	h := startHarnessConfig(t, func(c *server.Config) { c.CycleInterval = time.Second })
	client, err := kgo.NewClient(kgo.SeedBrokers(h.srv.KafkaAddr()), kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	g := loadgen.New(loadgen.Config{Seed: 21, Users: 5_000, NewsRatio: 0.02, IDPrefix: "soak"}, news.DefaultDictionary())
	const rate = 5_000 // messages per second, in batches every 10 ms
	sample := func() (heap uint64, goroutines int) {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse, runtime.NumGoroutine()
	}
	var baseHeap uint64
	var baseGoroutines int
	var maxLag int64
	sent := 0
	start := time.Now()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	lastCheck := start
	for time.Since(start) < duration {
		<-tick.C
		for range rate / 100 {
			m := g.Next()
			client.Produce(context.Background(), &kgo.Record{Topic: m.Topic, Key: m.Key, Value: m.Value}, nil)
			sent++
		}
		if time.Since(lastCheck) < 2*time.Second {
			continue
		}
		lastCheck = time.Now()
		lag, err := h.srv.Lag(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range lag {
			maxLag = max(maxLag, l.LagMessages)
		}
		if baseHeap == 0 && time.Since(start) > duration/4 { // after warm-up
			baseHeap, baseGoroutines = sample()
		}
	}
	if err := client.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	heap, goroutines := sample()
	runs, _ := h.query("SELECT count(*) FROM pipeline_runs WHERE step = 'run' AND status = 'succeeded'")
	t.Logf("soak %v: %d messages at %d/s, %s cycles succeeded; heap in use %d → %d MiB, goroutines %d → %d, max lag %d messages",
		duration, sent, rate, runs[:len(runs)-1], baseHeap>>20, heap>>20, baseGoroutines, goroutines, maxLag)
	if heap > baseHeap*2+32<<20 {
		t.Errorf("heap grew from %d to %d MiB", baseHeap>>20, heap>>20)
	}
	if goroutines > baseGoroutines+20 {
		t.Errorf("goroutines grew from %d to %d", baseGoroutines, goroutines)
	}
	if maxLag > rate*2 {
		t.Errorf("lag reached %d messages, over two seconds of the stream", maxLag)
	}
	if got, err := h.query("CALL autonews.verify()"); err != nil || got != "" {
		t.Fatalf("verify after the soak: %q %v", got, err)
	}
}

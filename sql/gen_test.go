package sql_test

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/loadgen"
	"github.com/autonews/autonews/message"
	"github.com/autonews/autonews/news"
)

// autonews gen produces a stream the server applies exactly: the holdings equal the
// positions of the same seeded stream computed here, and the tweet sample replays as news.
func TestGenAndReplayProduceWhatTheServerServes(t *testing.T) {
	h := startHarness(t)
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	cfg := loadgen.Config{Seed: 3, Users: 50, NewsRatio: 0.05, IDPrefix: "e2e"}
	out, err := exec.Command(bin, "gen", "--brokers", h.srv.KafkaAddr(), "--count", "5000", "--seed", "3", "--users", "50",
		"--news-ratio", "0.05", "--id-prefix", "e2e").CombinedOutput()
	if err != nil || !strings.Contains(string(out), " 0 failed") {
		t.Fatalf("gen: %v\n%s", err, out)
	}
	out, err = exec.Command(bin, "gen", "--brokers", h.srv.KafkaAddr(), "--replay", "../news/testdata/stock-tweets.jsonl").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "sent 0 trades and 1540 news") {
		t.Fatalf("gen --replay: %v\n%s", err, out)
	}
	h.waitCaughtUp()

	want := map[position]int64{}
	g := loadgen.New(cfg, news.DefaultDictionary())
	newsCount := 1540
	for i := 0; i < 5000; i++ {
		m := g.Next()
		if m.Topic == message.NewsTopic {
			newsCount++
			continue
		}
		tr, err := message.DecodeTrade(m.Key, m.Value)
		if err != nil {
			t.Fatal(err)
		}
		want[position{tr.UserID, tr.Symbol}] += tr.SignedQuantity()
	}
	got, err := h.query(holdingsQuery)
	if err != nil {
		t.Fatal(err)
	}
	if sortedOutput(got) != renderPositions(want) {
		t.Fatalf("holdings differ from the generated stream\n got: %.300s\nwant: %.300s", sortedOutput(got), renderPositions(want))
	}
	if got, _ := h.query("SELECT count(*) FROM news"); got != fmt.Sprintf("%d\n", newsCount) {
		t.Fatalf("news count %q, want %d", got, newsCount)
	}
	if got, _ := h.query("SELECT count(*) > 0 FROM relevant_news WHERE user_id = 1"); got != "1\n" {
		t.Fatalf("user 1 has no relevant news: %q", got)
	}
}

// waitCaughtUp waits until both consumers applied everything in the log now.
func (h *harness) waitCaughtUp() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	client, err := kgo.NewClient(kgo.SeedBrokers(h.srv.KafkaAddr()))
	if err != nil {
		h.t.Fatal(err)
	}
	defer client.Close()
	admin := kadm.NewClient(client)
	for topic, wait := range map[string]func(context.Context, ledger.Cut) error{
		message.TradesTopic: h.srv.Speed().WaitApplied, message.NewsTopic: h.srv.NewsFeed().WaitApplied,
	} {
		ends, err := admin.ListEndOffsets(ctx, topic)
		if err != nil {
			h.t.Fatal(err)
		}
		target := ledger.Cut{}
		ends.Each(func(o kadm.ListedOffset) { target[o.Partition] = o.Offset })
		if err := wait(ctx, target); err != nil {
			h.t.Fatal(err)
		}
	}
}

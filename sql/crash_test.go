package sql_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/autonews/autonews/message"
)

// The server is killed with SIGKILL twenty times, at random moments, while trades and news
// stream in and cycles run every few hundred milliseconds: while consuming, archiving,
// computing, publishing or swapping. Every message is delivered at least once (what was
// not acknowledged is sent again, as a producer would); at the end holdings, weights and
// relevant_news equal an independent computation over every message, verify() finds no
// difference, and a further kill with no traffic loses nothing.
func TestKillDashNineMidStreamLosesNothing(t *testing.T) {
	const kills = 20
	p := newProcess(t, "--cycle-interval", "300ms", "--archive-flush-interval", "100ms")
	p.start()
	rng := rand.New(rand.NewPCG(3, 5))
	symbols := []string{"AAPL", "MMM", "GOOGL", "BRK.B", "T", "NVDA"}
	trades, want := randomTrades(rng, 8000, 80, symbols, "K")
	stream := make([]*kgo.Record, 0, len(trades)+len(trades)/20)
	var newsItems []message.News
	for i, tr := range trades {
		stream = append(stream, tradeRecord(tr))
		if i%20 == 0 {
			n := message.News{ID: fmt.Sprintf("KN-%d", i), PublishedAt: tr.TS, Source: "wire",
				Headline: fmt.Sprintf("$%s moves on day %d", symbols[rng.IntN(len(symbols))], i)}
			newsItems = append(newsItems, n)
			stream = append(stream, &kgo.Record{Topic: message.NewsTopic, Key: []byte(n.ID), Value: message.EncodeNews(n)})
		}
	}

	sender := streamAtLeastOnce(t, p.kafkaAddr, stream, 40, 10*time.Millisecond)
	for k := 0; k < kills; k++ {
		time.Sleep(time.Duration(100+rng.IntN(500)) * time.Millisecond)
		p.kill()
		p.start()
	}
	redelivered := sender.finish()
	t.Logf("%d trades and %d news, %d kills, %d batches redelivered", len(trades), len(newsItems), kills, redelivered)

	if out := p.runCycle(); !strings.Contains(out, "succeeded") {
		t.Fatalf("final cycle: %s", out)
	}
	if got := p.waitForQuery(holdingsQuery, renderPositions(want), 30*time.Second); sortedOutput(got) != renderPositions(want) {
		t.Fatalf("holdings differ from the independent sum after %d kills\n got: %.300s\nwant: %.300s", kills, sortedOutput(got), renderPositions(want))
	}
	if got, err := p.query("CALL autonews.verify()"); err != nil || got != "" {
		t.Fatalf("verify after %d kills: %q %v", kills, got, err)
	}
	wantRelevant := independentRelevance(trades, newsItems, 0.10)
	if strings.Count(wantRelevant, "\n") < 50 {
		t.Fatalf("the stream makes too little news relevant to test: %q", wantRelevant)
	}
	if got, err := p.query(relevanceQuery); err != nil || sortedOutput(got) != wantRelevant {
		t.Fatalf("relevant_news differs from the independent computation: %v\n got: %.300s\nwant: %.300s", err, sortedOutput(got), wantRelevant)
	}

	// With nothing in flight, a kill and restart serve exactly the same holdings at once.
	before, err := p.query(holdingsQuery)
	if err != nil {
		t.Fatal(err)
	}
	p.kill()
	p.start()
	after, err := p.query(holdingsQuery)
	if err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Fatalf("holdings changed across a kill with no traffic\nbefore: %.300s\n after: %.300s", before, after)
	}
	p.stop()
}

package loadgen

import (
	"bytes"
	"math"
	"testing"

	"github.com/autonews/autonews/message"
	"github.com/autonews/autonews/news"
)

var dict = news.DefaultDictionary()

func TestTheSameSeedGivesTheSameStream(t *testing.T) {
	a, b := New(Config{Seed: 42}, dict), New(Config{Seed: 42}, dict)
	c := New(Config{Seed: 43}, dict)
	differs := false
	for i := 0; i < 1000; i++ {
		ma, mb, mc := a.Next(), b.Next(), c.Next()
		if ma.Topic != mb.Topic || !bytes.Equal(ma.Key, mb.Key) || !bytes.Equal(ma.Value, mb.Value) {
			t.Fatalf("message %d differs for the same seed:\n%s\n%s", i, ma.Value, mb.Value)
		}
		differs = differs || !bytes.Equal(ma.Value, mc.Value)
	}
	if !differs {
		t.Fatal("another seed gave the same stream")
	}
}

// Every message is valid under the contract, sizes follow the configured normal
// distribution, a few symbols take most trades, and news names companies the matcher
// finds.
func TestTheStreamIsValidAndShapedLikeTheConfig(t *testing.T) {
	g := New(Config{Seed: 1, Users: 200, NewsRatio: 0.1, MeanQuantity: 100, StdDevQuantity: 20}, dict)
	matcher := news.NewMatcher(dict)
	var trades, newsItems, matched int
	var sum, sumSq float64
	bySymbol := map[string]int{}
	for i := 0; i < 20000; i++ {
		m := g.Next()
		switch m.Topic {
		case message.TradesTopic:
			tr, err := message.DecodeTrade(m.Key, m.Value)
			if err != nil {
				t.Fatalf("invalid trade %s: %v", m.Value, err)
			}
			trades++
			sum += float64(tr.Quantity)
			sumSq += float64(tr.Quantity) * float64(tr.Quantity)
			bySymbol[tr.Symbol]++
			if tr.UserID < 1 || tr.UserID > 200 {
				t.Fatalf("user %d outside 1..200", tr.UserID)
			}
		case message.NewsTopic:
			n, err := message.DecodeNews(m.Key, m.Value)
			if err != nil {
				t.Fatalf("invalid news %s: %v", m.Value, err)
			}
			newsItems++
			if len(matcher.Match(n)) > 0 {
				matched++
			}
		}
	}
	mean := sum / float64(trades)
	sd := math.Sqrt(sumSq/float64(trades) - mean*mean)
	if math.Abs(mean-100) > 2 || math.Abs(sd-20) > 2 {
		t.Fatalf("quantities have mean %.1f and deviation %.1f, want 100 and 20", mean, sd)
	}
	if share := float64(newsItems) / 20000; math.Abs(share-0.1) > 0.01 {
		t.Fatalf("news share %.3f, want 0.1", share)
	}
	if float64(matched) < 0.95*float64(newsItems) {
		t.Fatalf("the matcher found a company in only %d of %d headlines", matched, newsItems)
	}
	top := 0
	for _, n := range bySymbol {
		top = max(top, n)
	}
	if top*len(bySymbol) < 5*trades {
		t.Fatalf("popularity is not skewed: the top symbol has %d of %d trades over %d symbols", top, trades, len(bySymbol))
	}
}

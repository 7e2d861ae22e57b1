// Package loadgen generates a realistic stream of trades and news for AutoNews: users with
// portfolios of a few favourite companies, popular symbols traded far more than others,
// trade sizes drawn from a normal distribution, prices on a random walk, and headlines
// that name companies by name or cashtag. The same seed gives the same stream.
package loadgen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/autonews/autonews/message"
	"github.com/autonews/autonews/news"
)

// Config shapes the stream.
type Config struct {
	Seed uint64
	// Users is the number of traders. Default 1000.
	Users int
	// NewsRatio is the share of messages that are news. Default 0.02.
	NewsRatio float64
	// MeanQuantity and StdDevQuantity give the normal distribution of trade sizes.
	// Defaults 100 and 40.
	MeanQuantity, StdDevQuantity float64
	// Start is the timestamp of the first message; each next one is Spacing later.
	Start   time.Time
	Spacing time.Duration
	// IDPrefix starts every trade and news id, so that streams of different runs do not
	// collide. Default "g".
	IDPrefix string
}

func (c *Config) setDefaults() {
	if c.Users <= 0 {
		c.Users = 1000
	}
	if c.NewsRatio < 0 {
		c.NewsRatio = 0
	}
	if c.MeanQuantity <= 0 {
		c.MeanQuantity = 100
	}
	if c.StdDevQuantity <= 0 {
		c.StdDevQuantity = 40
	}
	if c.Start.IsZero() {
		c.Start = time.Date(2026, 1, 2, 14, 30, 0, 0, time.UTC)
	}
	if c.Spacing <= 0 {
		c.Spacing = time.Millisecond
	}
	if c.IDPrefix == "" {
		c.IDPrefix = "g"
	}
}

// Message is one generated message, ready to produce.
type Message struct {
	Topic string
	Key   []byte
	Value []byte
}

// Generator yields the stream. It is not safe for concurrent use.
type Generator struct {
	cfg        Config
	rng        *rand.Rand
	companies  []news.Company
	popularity *rand.Zipf
	portfolios [][]int // per user: indexes into companies
	prices     []float64
	n          int64
}

// New returns a generator over the companies of dict.
func New(cfg Config, dict *news.Dictionary) *Generator {
	cfg.setDefaults()
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	companies := dict.Companies()
	g := &Generator{
		cfg: cfg, rng: rng, companies: companies,
		popularity: rand.NewZipf(rng, 1.1, 4, uint64(len(companies)-1)),
		prices:     make([]float64, len(companies)),
	}
	// Shuffle once so that popularity does not follow the alphabet.
	rng.Shuffle(len(g.companies), func(i, j int) { g.companies[i], g.companies[j] = g.companies[j], g.companies[i] })
	for i := range g.prices {
		g.prices[i] = math.Round((20+rng.Float64()*480)*100) / 100
	}
	g.portfolios = make([][]int, cfg.Users)
	for u := range g.portfolios {
		size := 3 + rng.IntN(8)
		for len(g.portfolios[u]) < size {
			g.portfolios[u] = append(g.portfolios[u], int(g.popularity.Uint64()))
		}
	}
	return g
}

// Next returns the next message of the stream.
func (g *Generator) Next() Message {
	g.n++
	ts := g.cfg.Start.Add(time.Duration(g.n) * g.cfg.Spacing)
	if g.rng.Float64() < g.cfg.NewsRatio {
		n := g.news(ts)
		return Message{Topic: message.NewsTopic, Key: []byte(n.ID), Value: message.EncodeNews(n)}
	}
	t := g.trade(ts)
	return Message{Topic: message.TradesTopic, Key: message.TradeKey(t.UserID), Value: message.EncodeTrade(t)}
}

func (g *Generator) trade(ts time.Time) message.Trade {
	user := g.rng.IntN(g.cfg.Users)
	portfolio := g.portfolios[user]
	c := portfolio[g.rng.IntN(len(portfolio))]
	qty := int64(math.Round(g.rng.NormFloat64()*g.cfg.StdDevQuantity + g.cfg.MeanQuantity))
	side := message.Buy
	if g.rng.Float64() < 0.4 {
		side = message.Sell
	}
	// A random walk of about 0.1% a trade, kept above a cent.
	g.prices[c] = math.Max(0.01, math.Round(g.prices[c]*(1+g.rng.NormFloat64()*0.001)*100)/100)
	return message.Trade{
		ID: fmt.Sprintf("%s-t%d", g.cfg.IDPrefix, g.n), UserID: int64(user) + 1, Symbol: g.companies[c].Symbol,
		Side: side, Quantity: max(1, qty), Price: g.prices[c], TS: ts,
	}
}

var headlines = []string{
	"%s beats earnings estimates",
	"%s misses on revenue, shares slide",
	"%s announces a $2 billion buyback",
	"Analysts upgrade %s to buy",
	"%s names a new chief executive",
	"Regulators open an inquiry into %s",
	"%s raises its full-year guidance",
	"%s to cut 5%% of its workforce",
}

func (g *Generator) news(ts time.Time) message.News {
	c := g.companies[g.popularity.Uint64()]
	name := c.CommonName()
	if g.rng.IntN(2) == 0 {
		name = "$" + c.Symbol
	}
	return message.News{
		ID: fmt.Sprintf("%s-n%d", g.cfg.IDPrefix, g.n), PublishedAt: ts, Source: "loadgen",
		Headline: fmt.Sprintf(headlines[g.rng.IntN(len(headlines))], name),
		URL:      fmt.Sprintf("https://news.example/%s-n%d", g.cfg.IDPrefix, g.n),
	}
}

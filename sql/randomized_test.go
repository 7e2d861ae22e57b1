package sql_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autonews/autonews/message"
)

type position struct {
	user   int64
	symbol string
}

// randomTrades returns n trades over users and symbols, and the independent sum of their
// positions.
func randomTrades(rng *rand.Rand, n, users int, symbols []string, idPrefix string) ([]message.Trade, map[position]int64) {
	trades := make([]message.Trade, n)
	want := map[position]int64{}
	base := time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)
	for i := range trades {
		side := message.Buy
		if rng.IntN(5) < 2 {
			side = message.Sell
		}
		t := message.Trade{
			ID: fmt.Sprintf("%s-%06d", idPrefix, i), UserID: rng.Int64N(int64(users)) + 1,
			Symbol: symbols[rng.IntN(len(symbols))], Side: side, Quantity: rng.Int64N(1000) + 1,
			Price: float64(rng.IntN(50000)+100) / 100, TS: base.Add(time.Duration(i) * time.Millisecond),
		}
		trades[i] = t
		want[position{t.UserID, t.Symbol}] += t.SignedQuantity()
	}
	return trades, want
}

// renderPositions renders positions like the holdings query below, hiding zeros.
func renderPositions(ps map[position]int64) string {
	var lines []string
	for p, shares := range ps {
		if shares != 0 {
			lines = append(lines, fmt.Sprintf("%d %s %d", p.user, p.symbol, shares))
		}
	}
	return sortedLines(lines)
}

const holdingsQuery = "SELECT user_id, symbol, shares FROM holdings"

func sortedLines(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n") + "\n"
}

func sortedOutput(out string) string {
	return sortedLines(strings.Split(strings.TrimSuffix(out, "\n"), "\n"))
}

// Thousands of random trades, some delivered twice, produced while cycles run back to
// back and readers query: at the end holdings equal an independent sum, before and after
// one more cycle.
func TestRandomTradesWhileCyclesRunEqualAnIndependentSum(t *testing.T) {
	h := startHarness(t)
	rng := rand.New(rand.NewPCG(7, 11))
	symbols := []string{"AAPL", "MMM", "GOOGL", "BRK.B", "T", "A", "NVDA", "ZION", "MSFT", "KO"}
	trades, want := randomTrades(rng, 6000, 150, symbols, "R")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	cycles := 0
	wg.Add(2)
	go func() { // cycles back to back while trades flow
		defer wg.Done()
		for ctx.Err() == nil {
			if out := h.runCycle(); !strings.Contains(out, "succeeded") {
				t.Errorf("cycle: %s", out)
				return
			}
			cycles++
		}
	}()
	go func() { // point reads while trades flow
		defer wg.Done()
		for user := 1; ctx.Err() == nil; user = user%150 + 1 {
			if _, err := h.query(fmt.Sprintf("SELECT * FROM holdings WHERE user_id = %d", user)); err != nil {
				t.Errorf("point read: %v", err)
				return
			}
		}
	}()
	const batchSize = 200
	for i := 0; i < len(trades); i += batchSize {
		var values []string
		for _, tr := range trades[i:min(i+batchSize, len(trades))] {
			values = append(values, string(message.EncodeTrade(tr)))
			if rng.IntN(20) == 0 { // a redelivery within the dedup window
				values = append(values, string(message.EncodeTrade(trades[rng.IntN(i+1)])))
			}
		}
		if err := h.produce(message.TradesTopic, "", values); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	wg.Wait()
	if cycles < 2 {
		t.Fatalf("only %d cycles ran while trades flowed", cycles)
	}
	t.Logf("%d trades, %d cycles while they flowed", len(trades), cycles)

	check := func(when string) {
		t.Helper()
		got, err := h.query(holdingsQuery)
		if err != nil {
			t.Fatal(err)
		}
		if sortedOutput(got) != renderPositions(want) {
			t.Fatalf("%s: holdings differ from the independent sum\n got: %.400s\nwant: %.400s", when, sortedOutput(got), renderPositions(want))
		}
	}
	check("after the stream")
	if out := h.runCycle(); !strings.Contains(out, "succeeded") {
		t.Fatal(out)
	}
	check("after one more cycle")
	if out, err := h.query("SELECT count(*) FROM holdings_delta"); err != nil || out != "0\n" {
		t.Fatalf("delta after a cycle with no new trades: %q %v", out, err)
	}
}

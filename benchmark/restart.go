package benchmark

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/autonews/autonews/message"
)

// positionsPerUser is how many distinct positions each user of the restart scenario holds.
const positionsPerUser = 5

// restart measures a clean restart of the server process over a snapshot and a tail of
// trades after its cut: from exec to answering over the MySQL protocol, which the server
// opens once it has caught up with the log. Once it serves, it reads the process's
// resident memory.
func restart(ctx context.Context, o Options) ([]Result, error) {
	server, err := startServerProcess(ctx, o)
	if err != nil {
		return nil, err
	}
	defer server.stop()
	rows, tail := size(o, 100_000, 10_000_000), size(o, 20_000, 1_000_000)
	users := rows / positionsPerUser
	// Each of the first trades opens a position of its own, so the snapshot holds rows
	// positions; the tail trades in the same positions.
	if err := loadGenerated(ctx, server, rows, func(i int) message.Trade {
		return restartTrade(i, i/positionsPerUser+1, i%positionsPerUser)
	}); err != nil {
		return nil, err
	}
	if _, err := server.db.ExecContext(ctx, "CALL autonews.run_cycle()"); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(11, 11))
	if err := loadGenerated(ctx, server, tail, func(i int) message.Trade {
		return restartTrade(rows+i, rng.IntN(users)+1, rng.IntN(positionsPerUser))
	}); err != nil {
		return nil, err
	}
	if !server.end() {
		return nil, fmt.Errorf("autonews serve did not stop cleanly on SIGTERM; the end of its log:\n%s", server.logTail())
	}
	start := time.Now()
	if err := server.run(ctx); err != nil {
		return nil, err
	}
	elapsed := since(start)
	rss, err := server.rss()
	if err != nil {
		return nil, err
	}
	var served int
	if err := server.db.QueryRowContext(ctx, "SELECT count(*) FROM holdings").Scan(&served); err != nil {
		return nil, err
	}
	if served != rows {
		return nil, fmt.Errorf("after the restart holdings has %d rows, want %d", served, rows)
	}
	mib := float64(rss) / (1 << 20)
	// The targets are for 10M rows and a 1M-trade tail; a quick run shows the figures
	// without judging them.
	judge := func(ok bool) *bool {
		if rows < 10_000_000 {
			return nil
		}
		return met(ok)
	}
	return []Result{
		{Scenario: "restart: snapshot + tail of trades to serving", Value: elapsed, Unit: "s", Target: "≤ 3 s (10M rows + 1M tail)",
			Met: judge(elapsed <= 3), Note: fmt.Sprintf("the server process, from exec to answering: %d-row snapshot, %d-trade tail", rows, tail)},
		{Scenario: "memory: resident set of the server serving those holdings", Value: mib, Unit: "MiB", Target: "10M holdings under 1 GiB",
			Met: judge(rss < 1<<30), Note: fmt.Sprintf("%d holdings, %d trades of the tail in its delta and broker log", rows, tail)},
	}, nil
}

// restartTrade is the i-th trade of the restart scenario: a purchase by user of their
// k-th symbol.
func restartTrade(i, user, k int) message.Trade {
	return message.Trade{ID: fmt.Sprintf("r-%d", i), UserID: int64(user), Symbol: fmt.Sprintf("S%03d", (user*7+k)%500),
		Side: message.Buy, Quantity: int64(1 + i%100), Price: 10 + float64(i%1000)/100,
		TS: time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC).Add(time.Duration(i) * time.Microsecond)}
}

// loadGenerated produces n generated trades to the server, a chunk at a time so that the
// bench never holds them all, and waits until the server applied them.
func loadGenerated(ctx context.Context, server *serverProcess, n int, trade func(i int) message.Trade) error {
	const chunk = 500_000
	for from := 0; from < n; from += chunk {
		records := make([]*kgo.Record, min(chunk, n-from))
		for j := range records {
			t := trade(from + j)
			records[j] = &kgo.Record{Topic: message.TradesTopic, Key: message.TradeKey(t.UserID), Value: message.EncodeTrade(t)}
		}
		if err := server.load(ctx, records); err != nil {
			return err
		}
	}
	return nil
}

package benchmark

import (
	"context"
	gosql "database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
)

// queries measures point selects and relevant news over the MySQL protocol with 16
// connections, and a full-scan aggregate, over holdings moved into a snapshot. The
// product runs as its own process here, as the baseline server does.
func queries(ctx context.Context, o Options) ([]Result, error) {
	server, err := startServerProcess(ctx, o)
	if err != nil {
		return nil, err
	}
	defer server.stop()
	db := server.db
	users := size(o, 20_000, 200_000)
	records := append(tradeRecords(users*8, users, 5), newsRecords(size(o, 20_000, 100_000), 6)...)
	if err := server.load(ctx, records); err != nil {
		return nil, err
	}
	if _, err := db.ExecContext(ctx, "CALL autonews.run_cycle()"); err != nil {
		return nil, err
	}
	var positions int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM holdings").Scan(&positions); err != nil {
		return nil, err
	}
	duration := time.Duration(size(o, 2, 10)) * time.Second
	measured, err := measureQPS(ctx, db, duration, users, pointSelect,
		"SELECT news_id, published_at, symbol, headline FROM relevant_news WHERE user_id = ? ORDER BY published_at DESC LIMIT 20")
	if err != nil {
		return nil, err
	}
	point, news := measured[0], measured[1]
	eachTime, err := measurePreparedEachTime(ctx, db, duration/2, users)
	if err != nil {
		return nil, err
	}
	scan, err := measureScan(ctx, db)
	if err != nil {
		return nil, err
	}
	ratio := news.qps / point.qps
	results := []Result{
		{Scenario: "point select: holdings WHERE user_id = ?, 16 connections", Value: point.qps, Unit: "queries/s", Target: "≥ 1.0× MariaDB",
			Note: fmt.Sprintf("p50 %.2f ms, p99 %.2f ms over %d positions", point.p50, point.p99, positions)},
		{Scenario: "relevant_news WHERE user_id = ? ORDER BY published_at DESC LIMIT 20", Value: news.qps, Unit: "queries/s",
			Target: "within 1.5× of the point select", Met: met(ratio >= 1/1.5), Note: fmt.Sprintf("%.2f× the point select's rate; p99 %.2f ms", ratio, news.p99)},
		{Scenario: "full-scan aggregate: COUNT(*), SUM(shares) FROM holdings", Value: scan, Unit: "ms", Target: "≥ 2× MariaDB",
			Note: fmt.Sprintf("median of 5 over %d positions", positions)},
		{Scenario: "point select prepared at every query (go-sql-driver without interpolateParams)", Value: eachTime.qps, Unit: "queries/s",
			Target: "none: the target is for statements prepared once", Note: fmt.Sprintf("p50 %.2f ms, p99 %.2f ms", eachTime.p50, eachTime.p99)},
	}
	if o.MySQLBaseline == "" {
		results[0].Note += "; no baseline given (--mysql-baseline)"
		results[2].Note += "; no baseline given (--mysql-baseline)"
		results[3].Note += "; no baseline given (--mysql-baseline)"
		return results, nil
	}
	peer, err := openBaseline(ctx, o.MySQLBaseline, db)
	if err != nil {
		return nil, err
	}
	defer peer.db.Close()
	if err := sameAnswers(ctx, db, peer.db, users); err != nil {
		return nil, err
	}
	theirs, err := measureQPS(ctx, peer.db, duration, users, pointSelect)
	if err != nil {
		return nil, err
	}
	theirPoint := theirs[0]
	theirEachTime, err := measurePreparedEachTime(ctx, peer.db, duration/2, users)
	if err != nil {
		return nil, err
	}
	results[3].Note += fmt.Sprintf("; %.2f× %s's %.0f queries/s (p99 %.2f ms)", eachTime.qps/theirEachTime.qps, peer.version, theirEachTime.qps, theirEachTime.p99)
	theirScan, err := measureScan(ctx, peer.db)
	if err != nil {
		return nil, err
	}
	pointRatio, scanRatio := point.qps/theirPoint.qps, theirScan/scan
	return append(results,
		Result{Scenario: "point select relative to the baseline, same rows and client", Value: pointRatio, Unit: "× its queries/s",
			Target: "≥ 1.0, p99 no worse", Met: met(pointRatio >= 1 && point.p99 <= theirPoint.p99),
			Note: fmt.Sprintf("%s: %.0f queries/s, p99 %.2f ms (AutoNews p99 %.2f ms)", peer.version, theirPoint.qps, theirPoint.p99, point.p99)},
		Result{Scenario: "full-scan aggregate relative to the baseline", Value: scanRatio, Unit: "× as fast",
			Target: "≥ 2", Met: met(scanRatio >= 2), Note: fmt.Sprintf("%s: %.1f ms", peer.version, theirScan)},
	), nil
}

// measureScan is the median time of five full-scan aggregates, in milliseconds.
func measureScan(ctx context.Context, db *gosql.DB) (float64, error) {
	var scans []time.Duration
	for range 5 {
		start := time.Now()
		var count, sum float64
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*), SUM(shares) FROM holdings").Scan(&count, &sum); err != nil {
			return 0, err
		}
		scans = append(scans, time.Since(start))
	}
	return ms(percentile(scans, 0.5)), nil
}

// sameAnswers checks that the baseline answers point selects like AutoNews, so that the
// two are measured on the same work.
func sameAnswers(ctx context.Context, ours, theirs *gosql.DB, users int) error {
	const query = "SELECT user_id, symbol, shares FROM holdings WHERE user_id = ? ORDER BY symbol"
	for user := 1; user <= users; user += max(1, users/100) {
		a, err := rowsText(ctx, ours, query, user)
		if err != nil {
			return err
		}
		b, err := rowsText(ctx, theirs, query, user)
		if err != nil {
			return err
		}
		if a != b {
			return fmt.Errorf("the baseline answers user %d with %q, AutoNews with %q", user, b, a)
		}
	}
	return nil
}

func rowsText(ctx context.Context, db *gosql.DB, query string, args ...any) (string, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var sb strings.Builder
	for rows.Next() {
		var user, shares int64
		var symbol string
		if err := rows.Scan(&user, &symbol, &shares); err != nil {
			return "", err
		}
		fmt.Fprintf(&sb, "%d %s %d;", user, symbol, shares)
	}
	return sb.String(), rows.Err()
}

const pointSelect = "SELECT * FROM holdings WHERE user_id = ?"

type qps struct{ qps, p50, p99 float64 }

// measureQPS runs each query, with a random user id, from 16 connections for duration.
// The queries take turns of a second: drift in the machine's speed (other processes,
// the collector, the processor's clock) then falls on all of them alike, and the ratio of
// their rates holds from run to run; measured one after the other, it moved by a tenth.
func measureQPS(ctx context.Context, db *gosql.DB, duration time.Duration, users int, queries ...string) ([]qps, error) {
	stmts := make([]*gosql.Stmt, len(queries))
	for i, q := range queries {
		stmt, err := db.PrepareContext(ctx, q)
		if err != nil {
			return nil, err
		}
		defer stmt.Close()
		stmts[i] = stmt
	}
	latencies := make([][]time.Duration, len(queries))
	turns := max(1, int(duration/time.Second))
	for turn := range turns {
		for i, stmt := range stmts {
			measured, err := runQueries(ctx, func(ctx context.Context, user int) (*gosql.Rows, error) { return stmt.QueryContext(ctx, user) },
				duration/time.Duration(turns), users, uint64(turn))
			if err != nil {
				return nil, err
			}
			latencies[i] = append(latencies[i], measured...)
		}
	}
	out := make([]qps, len(queries))
	for i, l := range latencies {
		out[i] = qpsOf(l, duration)
	}
	return out, nil
}

// measurePreparedEachTime runs the point select as go-sql-driver runs a query with
// arguments unless told to interpolate them: prepared, executed and closed every time.
func measurePreparedEachTime(ctx context.Context, db *gosql.DB, duration time.Duration, users int) (qps, error) {
	query := func(ctx context.Context, user int) (*gosql.Rows, error) {
		return db.QueryContext(ctx, pointSelect, user)
	}
	latencies, err := runQueries(ctx, query, duration, users, 1)
	if err != nil {
		return qps{}, err
	}
	return qpsOf(latencies, duration), nil
}

// qpsOf is the rate and latencies of queries that took latencies in duration.
func qpsOf(latencies []time.Duration, duration time.Duration) qps {
	return qps{qps: float64(len(latencies)) / duration.Seconds(), p50: ms(percentile(latencies, 0.5)), p99: ms(percentile(latencies, 0.99))}
}

// runQueries runs query with a random user id from 16 connections for duration and
// returns the latency of each execution.
func runQueries(ctx context.Context, query func(ctx context.Context, user int) (*gosql.Rows, error), duration time.Duration, users int, seed uint64) ([]time.Duration, error) {
	var mu sync.Mutex
	var latencies []time.Duration
	var firstErr error
	deadline := time.Now().Add(duration)
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() { // one client connection's loop, until the deadline
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), seed))
			var mine []time.Duration
			for time.Now().Before(deadline) {
				start := time.Now()
				rows, err := query(ctx, rng.IntN(users)+1)
				if err == nil {
					for rows.Next() {
					}
					err = rows.Close()
				}
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
				mine = append(mine, time.Since(start))
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return latencies, firstErr
}

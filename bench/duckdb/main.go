// Command duckdb runs the batch job's computation in DuckDB over a master dataset, so that
// `autonews bench --duckdb` can compare the two on the same Parquet files in one run. It
// lives in its own module: the product never links DuckDB.
//
//	go build -o /tmp/autonews-duckdb . && /tmp/autonews-duckdb --master DIR
//
// It prints one JSON object: the trades read, the positions and prices computed and the
// seconds each query took.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

// holdingsSQL is what autonews's batch job computes: each trade_id once, at its first
// occurrence by (partition, offset); positions summed by user and symbol; zeros dropped.
const holdingsSQL = `
CREATE OR REPLACE TEMP TABLE holdings AS
SELECT user_id, symbol, SUM(CASE WHEN side = 'SELL' THEN -quantity ELSE quantity END) AS shares
FROM (
  SELECT user_id, symbol, side, quantity FROM read_parquet(?)
  QUALIFY row_number() OVER (PARTITION BY trade_id ORDER BY "partition", "offset") = 1
)
GROUP BY user_id, symbol
HAVING shares <> 0`

// pricesSQL is each symbol's last price: the latest row by (ts, partition, offset).
const pricesSQL = `
CREATE OR REPLACE TEMP TABLE prices AS
SELECT symbol, arg_max(price, (ts, "partition", "offset")) AS price
FROM read_parquet(?)
GROUP BY symbol`

// Result is what the command prints.
type Result struct {
	Engine          string  `json:"engine"`
	Threads         int     `json:"threads"`
	Trades          int64   `json:"trades"`
	Positions       int64   `json:"positions"`
	Prices          int64   `json:"prices"`
	HoldingsSeconds float64 `json:"holdings_seconds"`
	PricesSeconds   float64 `json:"prices_seconds"`
}

func main() {
	master := flag.String("master", "", "the master dataset folder (holding trades/p*/*.parquet)")
	threads := flag.Int("threads", 2, "DuckDB worker threads")
	flag.Parse()
	if *master == "" {
		fmt.Fprintln(os.Stderr, "duckdb: --master DIR is required: the folder autonews archives trades under")
		os.Exit(2)
	}
	res, err := run(context.Background(), filepath.Join(*master, "trades", "p*", "*.parquet"), *threads)
	if err != nil {
		fmt.Fprintln(os.Stderr, "duckdb:", err)
		os.Exit(1)
	}
	json.NewEncoder(os.Stdout).Encode(res)
}

func run(ctx context.Context, files string, threads int) (Result, error) {
	res := Result{Threads: threads}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return res, err
	}
	defer db.Close()
	conn, err := db.Conn(ctx) // settings and temp tables belong to one connection
	if err != nil {
		return res, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("SET threads = %d", threads)); err != nil {
		return res, err
	}
	if err := conn.QueryRowContext(ctx, "SELECT version()").Scan(&res.Engine); err != nil {
		return res, err
	}
	res.Engine = "DuckDB " + res.Engine
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM read_parquet(?)", files).Scan(&res.Trades); err != nil {
		return res, fmt.Errorf("read %s: %w", files, err)
	}
	if res.HoldingsSeconds, err = timed(ctx, conn, holdingsSQL, files); err != nil {
		return res, fmt.Errorf("holdings: %w", err)
	}
	if res.PricesSeconds, err = timed(ctx, conn, pricesSQL, files); err != nil {
		return res, fmt.Errorf("prices: %w", err)
	}
	if err := conn.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM holdings), (SELECT count(*) FROM prices)").Scan(&res.Positions, &res.Prices); err != nil {
		return res, err
	}
	return res, nil
}

func timed(ctx context.Context, conn *sql.Conn, query string, args ...any) (float64, error) {
	start := time.Now()
	_, err := conn.ExecContext(ctx, query, args...)
	return time.Since(start).Seconds(), err
}

package benchmark

import (
	"context"
	gosql "database/sql"
	"fmt"
	"strings"
)

// baseline is a MySQL or MariaDB server given by --mysql-baseline, loaded with the same
// holdings rows as AutoNews serves, so that both answer the same queries from the same
// client in one run.
type baseline struct {
	db      *gosql.DB
	version string
}

// baselineDatabase is the database the bench creates (and replaces) on the peer.
const baselineDatabase = "autonews_bench"

// openBaseline connects to dsn (go-sql-driver form, e.g. root@tcp(127.0.0.1:3306)/) and
// copies the holdings of src into an InnoDB table keyed like AutoNews' index.
func openBaseline(ctx context.Context, dsn string, src *gosql.DB) (*baseline, error) {
	admin, err := gosql.Open("mysql", dsn)
	if err != nil {
		return nil, fmt.Errorf("--mysql-baseline %q: %w", dsn, err)
	}
	defer admin.Close()
	var version string
	if err := admin.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
		return nil, fmt.Errorf("connect to the --mysql-baseline server (a DSN like root@tcp(127.0.0.1:3306)/): %w", err)
	}
	for _, stmt := range []string{
		"CREATE DATABASE IF NOT EXISTS " + baselineDatabase,
		"DROP TABLE IF EXISTS " + baselineDatabase + ".holdings",
		"CREATE TABLE " + baselineDatabase + `.holdings (
			user_id BIGINT NOT NULL, symbol VARCHAR(12) NOT NULL, shares BIGINT NOT NULL,
			last_price DOUBLE NOT NULL, market_value DOUBLE NOT NULL, weight DOUBLE NOT NULL,
			PRIMARY KEY (user_id, symbol)) ENGINE=InnoDB`,
	} {
		if _, err := admin.ExecContext(ctx, stmt); err != nil {
			return nil, fmt.Errorf("prepare the baseline table: %w", err)
		}
	}
	db, err := gosql.Open("mysql", withDatabase(dsn, baselineDatabase))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(32)
	if err := copyHoldings(ctx, src, db); err != nil {
		db.Close()
		return nil, err
	}
	return &baseline{db: db, version: version}, nil
}

// withDatabase puts database into a go-sql-driver DSN, after its "/".
func withDatabase(dsn, database string) string {
	at := strings.LastIndex(dsn, "/")
	if at < 0 {
		return dsn + "/" + database
	}
	rest := dsn[at+1:]
	params := ""
	if q := strings.Index(rest, "?"); q >= 0 {
		params = rest[q:]
	}
	return dsn[:at+1] + database + params
}

// copyHoldings reads every row of AutoNews' holdings and inserts it in batches.
func copyHoldings(ctx context.Context, src, dst *gosql.DB) error {
	rows, err := src.QueryContext(ctx, "SELECT user_id, symbol, shares, last_price, market_value, weight FROM holdings")
	if err != nil {
		return err
	}
	defer rows.Close()
	const batchRows = 2000
	var sb strings.Builder
	args := make([]any, 0, 6*batchRows)
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		sb.Reset()
		sb.WriteString("INSERT INTO holdings VALUES ")
		for i := 0; i < len(args)/6; i++ {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString("(?,?,?,?,?,?)")
		}
		_, err := dst.ExecContext(ctx, sb.String(), args...)
		args = args[:0]
		return err
	}
	for rows.Next() {
		var user, shares int64
		var symbol string
		var price, value, weight float64
		if err := rows.Scan(&user, &symbol, &shares, &price, &value, &weight); err != nil {
			return err
		}
		args = append(args, user, symbol, shares, price, value, weight)
		if len(args) == cap(args) {
			if err := flush(); err != nil {
				return fmt.Errorf("load the baseline: %w", err)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if err := flush(); err != nil {
		return fmt.Errorf("load the baseline: %w", err)
	}
	_, err = dst.ExecContext(ctx, "ANALYZE TABLE holdings")
	return err
}

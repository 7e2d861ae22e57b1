package catalog

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/vt/proto/query"

	"github.com/autonews/autonews/message"
)

// Writer produces messages to Kafka and returns once the broker acknowledged them and
// the speed layer applied them, so the next read on any connection sees them.
type Writer interface {
	WriteTrades(ctx context.Context, trades []message.Trade) error
	WriteNews(ctx context.Context, items []message.News) error
}

// insertPath is how a table accepts INSERT: each row is checked against the message
// contract, and only when every row of the statement is valid are they all produced.
type insertPath struct {
	table string
	// decode turns a row into the message it stands for, or says what is wrong with it.
	decode func(row sql.Row) (any, error)
	write  func(ctx context.Context, msgs []any) error
}

func (p insertPath) Inserter(*sql.Context) sql.RowInserter { return &inserter{path: p} }

// inserter collects a statement's rows and produces them when the statement completes.
type inserter struct {
	path insertPath
	msgs []any
}

var _ sql.RowInserter = (*inserter)(nil)

func (i *inserter) StatementBegin(*sql.Context) { i.msgs = i.msgs[:0] }

func (i *inserter) DiscardChanges(*sql.Context, error) error {
	i.msgs = i.msgs[:0]
	return nil
}

func (i *inserter) Insert(_ *sql.Context, row sql.Row) error {
	msg, err := i.path.decode(row)
	if err != nil {
		return mysql.NewSQLError(mysql.ERTruncatedWrongValueForField, "HY000",
			"%s row %d: %s; nothing was written", i.path.table, len(i.msgs)+1, strings.ReplaceAll(err.Error(), "%", "%%"))
	}
	i.msgs = append(i.msgs, msg)
	return nil
}

func (i *inserter) StatementComplete(ctx *sql.Context) error {
	if len(i.msgs) == 0 {
		return nil
	}
	err := i.path.write(ctx, i.msgs)
	i.msgs = i.msgs[:0]
	if err != nil {
		return mysql.NewSQLError(mysql.ERUnknownError, "HY000", "%s", fmt.Sprintf("write to %s: %v; retry the statement (ids make it idempotent)", i.path.table, err))
	}
	return nil
}

func (i *inserter) Close(*sql.Context) error { return nil }

// tradesTable accepts trades by INSERT. Reading it returns no rows: the trades written are
// served by holdings.
type tradesTable struct {
	insertPath
	schema sql.Schema
}

var _ sql.InsertableTable = (*tradesTable)(nil)

func (t *tradesTable) Name() string               { return t.table }
func (t *tradesTable) String() string             { return t.table }
func (t *tradesTable) Schema() sql.Schema         { return t.schema }
func (t *tradesTable) Collation() sql.CollationID { return defaultCollation }
func (t *tradesTable) Partitions(*sql.Context) (sql.PartitionIter, error) {
	return sql.PartitionsToPartitionIter(scanPartition{}), nil
}
func (t *tradesTable) PartitionRows(*sql.Context, sql.Partition) (sql.RowIter, error) {
	return sql.RowsToRowIter(), nil
}

func newTradesTable(w Writer) *tradesTable {
	const name = "trades"
	return &tradesTable{
		schema: sql.Schema{
			{Name: "trade_id", Type: types.MustCreateString(query.Type_VARCHAR, message.MaxTradeIDLen, defaultCollation), Nullable: true, Source: name},
			{Name: "user_id", Type: types.Int64, Source: name},
			{Name: "symbol", Type: symbolType, Source: name},
			{Name: "side", Type: types.MustCreateString(query.Type_VARCHAR, 4, defaultCollation), Source: name},
			{Name: "quantity", Type: types.Int64, Source: name},
			{Name: "price", Type: types.Float64, Source: name},
			{Name: "ts", Type: datetime6, Nullable: true, Source: name},
		},
		insertPath: insertPath{table: name, decode: decodeTradeRow, write: func(ctx context.Context, msgs []any) error {
			return w.WriteTrades(ctx, convert[message.Trade](msgs))
		}},
	}
}

func convert[T any](msgs []any) []T {
	out := make([]T, len(msgs))
	for i, m := range msgs {
		out[i] = m.(T)
	}
	return out
}

// decodeTradeRow checks a row by the message contract itself: it renders the message the
// row stands for and decodes it as the layers will.
func decodeTradeRow(row sql.Row) (any, error) {
	t := message.Trade{TS: time.Now().UTC()}
	var side string
	var err error
	if t.ID, err = optionalString(row[0]); err != nil {
		return nil, err
	}
	if t.ID == "" {
		t.ID = "sql-" + randomID()
	}
	if t.UserID, err = requiredInt("user_id", row[1]); err != nil {
		return nil, err
	}
	if t.Symbol, err = requiredString("symbol", row[2]); err != nil {
		return nil, err
	}
	if side, err = requiredString("side", row[3]); err != nil {
		return nil, err
	}
	switch strings.ToUpper(side) {
	case "BUY":
		t.Side = message.Buy
	case "SELL":
		t.Side = message.Sell
	default:
		return nil, fmt.Errorf("side %q must be BUY or SELL", side)
	}
	if t.Quantity, err = requiredInt("quantity", row[4]); err != nil {
		return nil, err
	}
	if row[5] == nil {
		return nil, errors.New("price is required")
	}
	t.Price = row[5].(float64)
	if ts, ok := row[6].(time.Time); ok {
		t.TS = ts.UTC()
	}
	return message.DecodeTrade(message.TradeKey(t.UserID), message.EncodeTrade(t))
}

// newsInsertPath accepts news by INSERT INTO news: symbols as comma-separated text.
func newsInsertPath(w Writer) insertPath {
	return insertPath{table: newsTableID, decode: decodeNewsRow, write: func(ctx context.Context, msgs []any) error {
		return w.WriteNews(ctx, convert[message.News](msgs))
	}}
}

// decodeNewsRow checks a news row (news_id, published_at, source, headline, url, symbols)
// by the message contract.
func decodeNewsRow(row sql.Row) (any, error) {
	n := message.News{PublishedAt: time.Now().UTC()}
	var err error
	if n.ID, err = optionalString(row[0]); err != nil {
		return nil, err
	}
	if n.ID == "" {
		n.ID = "sql-" + randomID()
	}
	if ts, ok := row[1].(time.Time); ok {
		n.PublishedAt = ts.UTC()
	}
	if n.Source, err = optionalString(row[2]); err != nil {
		return nil, err
	}
	if n.Headline, err = requiredString("headline", row[3]); err != nil {
		return nil, err
	}
	if n.URL, err = optionalString(row[4]); err != nil {
		return nil, err
	}
	symbols, err := optionalString(row[5])
	if err != nil {
		return nil, err
	}
	for _, s := range strings.Split(symbols, ",") {
		if s = strings.TrimSpace(s); s != "" {
			n.Symbols = append(n.Symbols, s)
		}
	}
	return message.DecodeNews([]byte(n.ID), message.EncodeNews(n))
}

func optionalString(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%v is not text", v)
	}
	return s, nil
}

func requiredString(name string, v any) (string, error) {
	if v == nil {
		return "", fmt.Errorf("%s is required", name)
	}
	return optionalString(v)
}

func requiredInt(name string, v any) (int64, error) {
	if v == nil {
		return 0, fmt.Errorf("%s is required", name)
	}
	n, ok := v.(int64)
	if !ok {
		return 0, fmt.Errorf("%s %v is not an integer", name, v)
	}
	return n, nil
}

func randomID() string {
	var b [12]byte
	_, _ = io.ReadFull(rand.Reader, b[:])
	return hex.EncodeToString(b[:])
}

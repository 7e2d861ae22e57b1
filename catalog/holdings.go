package catalog

import (
	"io"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/vt/proto/query"

	"github.com/autonews/autonews/ledger"
)

// layers selects which half of the lambda architecture a holdings table shows.
type layers int

const (
	unionLayers layers = iota // holdings: S ⊕ D, priced
	batchLayer                // holdings_batch: S
	deltaLayer                // holdings_delta: D
)

var layerTableNames = map[layers]string{
	unionLayers: "holdings",
	batchLayer:  "holdings_batch",
	deltaLayer:  "holdings_delta",
}

var symbolType = types.MustCreateString(query.Type_VARCHAR, 12, defaultCollation)

func holdingsSchema(table string, layer layers) sql.Schema {
	schema := sql.Schema{
		{Name: "user_id", Type: types.Int64, Nullable: false, Source: table, PrimaryKey: true},
		{Name: "symbol", Type: symbolType, Nullable: false, Source: table, PrimaryKey: true},
		{Name: "shares", Type: types.Int64, Nullable: false, Source: table},
	}
	if layer == unionLayers {
		schema = append(schema,
			&sql.Column{Name: "last_price", Type: types.Float64, Nullable: false, Source: table},
			&sql.Column{Name: "market_value", Type: types.Float64, Nullable: false, Source: table},
			&sql.Column{Name: "weight", Type: types.Float64, Nullable: false, Source: table},
		)
	}
	return schema
}

// holdingsTable serves positions of one layer, with (user_id, symbol) as its primary key.
// Zero positions are hidden.
type holdingsTable struct {
	name   string
	layer  layers
	src    HoldingsSource
	schema sql.Schema
	index  *userIndex
}

var (
	_ sql.Table                 = (*holdingsTable)(nil)
	_ sql.IndexAddressableTable = (*holdingsTable)(nil)
	_ sql.IndexedTable          = (*indexedHoldings)(nil)
)

func newHoldingsTable(src HoldingsSource, layer layers) *holdingsTable {
	name := layerTableNames[layer]
	schema := holdingsSchema(name, layer)
	return &holdingsTable{name: name, layer: layer, src: src, schema: schema, index: newUserIndex("PRIMARY", name, true, schema, "user_id", "symbol")}
}

func (t *holdingsTable) Name() string               { return t.name }
func (t *holdingsTable) String() string             { return t.name }
func (t *holdingsTable) Schema() sql.Schema         { return t.schema }
func (t *holdingsTable) Collation() sql.CollationID { return defaultCollation }
func (t *holdingsTable) PreciseMatch() bool         { return true }
func (t *holdingsTable) Partitions(*sql.Context) (sql.PartitionIter, error) {
	return sql.PartitionsToPartitionIter(scanPartition{}), nil
}

func (t *holdingsTable) GetIndexes(*sql.Context) ([]sql.Index, error) {
	return []sql.Index{t.index}, nil
}

func (t *holdingsTable) IndexedAccess(*sql.Context, sql.IndexLookup) sql.IndexedTable {
	return &indexedHoldings{holdingsTable: t}
}

// PartitionRows scans every position of the table's layer in key order, or the ranges of
// an index lookup.
func (t *holdingsTable) PartitionRows(_ *sql.Context, p sql.Partition) (sql.RowIter, error) {
	ranges := []keyRange{fullRange()}
	if lp, ok := p.(lookupPartition); ok {
		ranges = lp.ranges
	}
	return &holdingsIter{table: t, ranges: ranges}, nil
}

// view returns what this table shows of users in [lo, hi].
func (t *holdingsTable) view(lo, hi int64) ledger.View {
	v := t.src.Holdings(lo, hi)
	switch t.layer {
	case batchLayer:
		v.Delta = nil
	case deltaLayer:
		v.Snapshot = ledger.EmptySnapshot()
	}
	return v
}

func (t *holdingsTable) rows(user int64, valued []ledger.Valued, r keyRange) []sql.Row {
	var rows []sql.Row
	for _, v := range valued {
		if !r.containsUser(user) || !r.containsSymbol(v.Symbol) {
			continue
		}
		if t.layer == unionLayers {
			rows = append(rows, sql.Row{v.UserID, v.Symbol, v.Shares, v.LastPrice, v.MarketValue, v.Weight})
		} else {
			rows = append(rows, sql.Row{v.UserID, v.Symbol, v.Shares})
		}
	}
	return rows
}

// indexedHoldings is a holdings table constrained by an index lookup.
type indexedHoldings struct {
	*holdingsTable
}

func (t *indexedHoldings) LookupPartitions(_ *sql.Context, lookup sql.IndexLookup) (sql.PartitionIter, error) {
	return sql.PartitionsToPartitionIter(lookupPartition{ranges: keyRanges(lookup)}), nil
}

// holdingsIter streams positions user by user, range by range, without materializing a
// scan. Each range reads one consistent view.
type holdingsIter struct {
	table   *holdingsTable
	ranges  []keyRange
	cursor  *userCursor
	pending []sql.Row
}

func (it *holdingsIter) Next(*sql.Context) (sql.Row, error) {
	for len(it.pending) == 0 {
		if it.cursor == nil {
			if len(it.ranges) == 0 {
				return nil, io.EOF
			}
			r := it.ranges[0]
			it.cursor = newUserCursor(it.table.view(r.loUser, r.hiUser), r.loUser, r.hiUser)
		}
		user, valued, ok := it.cursor.next()
		if !ok {
			it.cursor, it.ranges = nil, it.ranges[1:]
			continue
		}
		it.pending = it.table.rows(user, valued, it.ranges[0])
	}
	row := it.pending[0]
	it.pending = it.pending[1:]
	return row, nil
}

func (it *holdingsIter) Close(*sql.Context) error { return nil }

// scanPartition is the single partition of a full scan.
type scanPartition struct{}

func (scanPartition) Key() []byte { return []byte("scan") }

// lookupPartition carries the ranges of an index lookup.
type lookupPartition struct {
	ranges []keyRange
}

func (lookupPartition) Key() []byte { return []byte("lookup") }

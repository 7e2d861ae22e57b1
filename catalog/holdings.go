package catalog

import (
	"io"
	"math"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/vt/proto/query"

	"github.com/autonews/autonews/ledger"
)

// layers selects which half of the lambda architecture a holdings table shows.
type layers int

const (
	unionLayers layers = iota // holdings: S ⊕ D
	batchLayer                // holdings_batch: S
	deltaLayer                // holdings_delta: D
)

var layerTableNames = map[layers]string{
	unionLayers: "holdings",
	batchLayer:  "holdings_batch",
	deltaLayer:  "holdings_delta",
}

func holdingsSchema(table string) sql.Schema {
	return sql.Schema{
		{Name: "user_id", Type: types.Int64, Nullable: false, Source: table, PrimaryKey: true},
		{Name: "symbol", Type: types.MustCreateString(query.Type_VARCHAR, 12, sql.Collation_Default), Nullable: false, Source: table, PrimaryKey: true},
		{Name: "shares", Type: types.Int64, Nullable: false, Source: table},
	}
}

// holdingsTable serves positions of one layer, with (user_id, symbol) as its primary key.
// Zero positions are hidden.
type holdingsTable struct {
	name   string
	layer  layers
	src    HoldingsSource
	schema sql.Schema
	index  *primaryIndex
}

var (
	_ sql.Table                 = (*holdingsTable)(nil)
	_ sql.IndexAddressableTable = (*holdingsTable)(nil)
	_ sql.IndexedTable          = (*indexedHoldings)(nil)
)

func newHoldingsTable(src HoldingsSource, layer layers) *holdingsTable {
	name := layerTableNames[layer]
	schema := holdingsSchema(name)
	return &holdingsTable{name: name, layer: layer, src: src, schema: schema, index: newPrimaryIndex(name, schema)}
}

func (t *holdingsTable) Name() string               { return t.name }
func (t *holdingsTable) String() string             { return t.name }
func (t *holdingsTable) Schema() sql.Schema         { return t.schema }
func (t *holdingsTable) Collation() sql.CollationID { return sql.Collation_Default }
func (t *holdingsTable) PreciseMatch() bool         { return true }
func (t *holdingsTable) Partitions(*sql.Context) (sql.PartitionIter, error) {
	return sql.PartitionsToPartitionIter(scanPartition{}), nil
}

func (t *holdingsTable) GetIndexes(*sql.Context) ([]sql.Index, error) {
	return []sql.Index{t.index}, nil
}

func (t *holdingsTable) IndexedAccess(_ *sql.Context, lookup sql.IndexLookup) sql.IndexedTable {
	return &indexedHoldings{holdingsTable: t}
}

// PartitionRows scans every position of the table's layer in key order.
func (t *holdingsTable) PartitionRows(_ *sql.Context, p sql.Partition) (sql.RowIter, error) {
	if lp, ok := p.(lookupPartition); ok {
		return t.lookupRows(lp.ranges), nil
	}
	snap, delta := t.view(math.MinInt64, math.MaxInt64)
	from, to := 0, snap.Len()
	if t.layer == deltaLayer {
		to = 0
	}
	return &holdingsIter{union: snap.Union(from, to, delta)}, nil
}

// view returns the snapshot and delta this table shows for users in [lo, hi].
func (t *holdingsTable) view(lo, hi int64) (*ledger.Snapshot, []ledger.Holding) {
	snap, delta := t.src.Holdings(lo, hi)
	if t.layer == batchLayer {
		delta = nil
	}
	return snap, delta
}

// lookupRows answers an index lookup: for each range, seek the snapshot to its users,
// merge the delta's positions of the same users and keep what the range contains.
func (t *holdingsTable) lookupRows(ranges []keyRange) sql.RowIter {
	var rows []sql.Row
	for _, r := range ranges {
		snap, delta := t.view(r.loUser, r.hiUser)
		from, to := snap.UserRows(r.loUser, r.hiUser)
		if t.layer == deltaLayer {
			to = from
		}
		it := snap.Union(from, to, delta)
		for h, ok := it.Next(); ok; h, ok = it.Next() {
			if r.containsUser(h.UserID) && r.containsSymbol(h.Symbol) {
				rows = append(rows, holdingRow(h))
			}
		}
	}
	return sql.RowsToRowIter(rows...)
}

func holdingRow(h ledger.Holding) sql.Row { return sql.Row{h.UserID, h.Symbol, h.Shares} }

// indexedHoldings is a holdings table constrained by an index lookup.
type indexedHoldings struct {
	*holdingsTable
}

func (t *indexedHoldings) LookupPartitions(_ *sql.Context, lookup sql.IndexLookup) (sql.PartitionIter, error) {
	return sql.PartitionsToPartitionIter(lookupPartition{ranges: keyRanges(lookup)}), nil
}

// holdingsIter streams a full scan without materializing it.
type holdingsIter struct {
	union *ledger.UnionIter
}

func (it *holdingsIter) Next(*sql.Context) (sql.Row, error) {
	h, ok := it.union.Next()
	if !ok {
		return nil, io.EOF
	}
	return holdingRow(h), nil
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

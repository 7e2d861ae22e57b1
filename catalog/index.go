package catalog

import (
	"math"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/shopspring/decimal"
)

// userIndex is an index whose first column is user_id: the (user_id, symbol) primary key
// of a holdings table, or the user_id key of relevant_news. Lookups are answered exactly
// (PreciseMatch), so the engine drops the filters it covers.
type userIndex struct {
	id     string
	table  string
	unique bool
	types  []sql.ColumnExpressionType
}

var _ sql.Index = (*userIndex)(nil)

// newUserIndex indexes the named columns of schema; the first must be user_id.
func newUserIndex(id, table string, unique bool, schema sql.Schema, columns ...string) *userIndex {
	idx := &userIndex{id: id, table: table, unique: unique}
	for _, name := range columns {
		col := schema[schema.IndexOfColName(name)]
		idx.types = append(idx.types, sql.ColumnExpressionType{Expression: table + "." + col.Name, Type: col.Type})
	}
	return idx
}

func (i *userIndex) ID() string       { return i.id }
func (i *userIndex) Database() string { return DatabaseName }
func (i *userIndex) Table() string    { return i.table }
func (i *userIndex) Expressions() []string {
	out := make([]string, len(i.types))
	for n, t := range i.types {
		out[n] = t.Expression
	}
	return out
}
func (i *userIndex) IsUnique() bool                                    { return i.unique }
func (i *userIndex) IsSpatial() bool                                   { return false }
func (i *userIndex) IsFullText() bool                                  { return false }
func (i *userIndex) IsVector() bool                                    { return false }
func (i *userIndex) Comment() string                                   { return "" }
func (i *userIndex) IndexType() string                                 { return "BTREE" }
func (i *userIndex) IsGenerated() bool                                 { return false }
func (i *userIndex) ColumnExpressionTypes() []sql.ColumnExpressionType { return i.types }
func (i *userIndex) CanSupport(*sql.Context, ...sql.Range) bool        { return true }
func (i *userIndex) CanSupportOrderBy(sql.Expression) bool             { return false }
func (i *userIndex) PrefixLengths() []uint16                           { return nil }

// keyRange is one range of an index lookup, evaluated against Go values: the user_id
// range and, when the lookup constrains it, the symbol range. A nil range holds all.
type keyRange struct {
	user   *sql.MySQLRangeColumnExpr
	symbol *sql.MySQLRangeColumnExpr
	// loUser and hiUser bound the user range loosely, for seeking; contains decides.
	loUser, hiUser int64
}

func keyRanges(lookup sql.IndexLookup) []keyRange {
	ranges, ok := lookup.Ranges.(sql.MySQLRangeCollection)
	if !ok {
		return nil
	}
	out := make([]keyRange, 0, len(ranges))
	for _, r := range ranges {
		kr := keyRange{user: &r[0]}
		if len(r) > 1 {
			kr.symbol = &r[1]
		}
		kr.loUser, kr.hiUser = int64Bounds(r[0])
		out = append(out, kr)
	}
	return out
}

// fullRange is every user: a table scan.
func fullRange() keyRange { return keyRange{loUser: math.MinInt64, hiUser: math.MaxInt64} }

func (k keyRange) containsUser(user int64) bool { return k.user == nil || inRange(*k.user, user) }

func (k keyRange) containsSymbol(symbol string) bool {
	return k.symbol == nil || inRange(*k.symbol, symbol)
}

// inRange reports whether v lies between the range's cuts. A value sits between the cuts
// Below{v} and Above{v}, so it is inside when the lower bound is at or below Below{v} and
// the upper bound at or above Above{v}.
func inRange(r sql.MySQLRangeColumnExpr, v any) bool {
	lo, err := r.LowerBound.Compare(sql.Below{Key: v}, r.Typ)
	if err != nil || lo > 0 {
		return false
	}
	hi, err := r.UpperBound.Compare(sql.Above{Key: v}, r.Typ)
	return err == nil && hi >= 0
}

// int64Bounds returns integer bounds that contain the range, for seeking; they may be
// wider than the range (a fractional or non-numeric key), never narrower.
func int64Bounds(r sql.MySQLRangeColumnExpr) (lo, hi int64) {
	lo, hi = math.MinInt64, math.MaxInt64
	if sql.MySQLRangeCutIsBinding(r.LowerBound) {
		if f, ok := toFloat(sql.GetMySQLRangeCutKey(r.LowerBound)); ok {
			lo = saturatingInt64(math.Floor(f) - 1)
		}
	}
	if sql.MySQLRangeCutIsBinding(r.UpperBound) {
		if f, ok := toFloat(sql.GetMySQLRangeCutKey(r.UpperBound)); ok {
			hi = saturatingInt64(math.Ceil(f) + 1)
		}
	}
	if n, ok := exactInt64(r); ok { // the common point lookup: no widening needed
		return n, n
	}
	return lo, hi
}

// exactInt64 recognizes the range of one integer value.
func exactInt64(r sql.MySQLRangeColumnExpr) (int64, bool) {
	lower, ok1 := r.LowerBound.(sql.Below)
	upper, ok2 := r.UpperBound.(sql.Above)
	if !ok1 || !ok2 {
		return 0, false
	}
	a, ok1 := toInt64(lower.Key)
	b, ok2 := toInt64(upper.Key)
	return a, ok1 && ok2 && a == b
}

func toInt64(v any) (int64, bool) {
	switch n := v.(type) {
	case int8:
		return int64(n), true
	case int16:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	case int:
		return int64(n), true
	case uint8:
		return int64(n), true
	case uint16:
		return int64(n), true
	case uint32:
		return int64(n), true
	case uint64:
		return int64(n), n <= math.MaxInt64
	}
	return 0, false
}

func toFloat(v any) (float64, bool) {
	if n, ok := toInt64(v); ok {
		return float64(n), true
	}
	switch n := v.(type) {
	case uint64:
		return float64(n), true
	case float32:
		return float64(n), true
	case float64:
		return n, !math.IsNaN(n)
	case decimal.Decimal:
		return n.InexactFloat64(), true
	}
	return 0, false
}

func saturatingInt64(f float64) int64 {
	switch {
	case f <= math.MinInt64:
		return math.MinInt64
	case f >= math.MaxInt64:
		return math.MaxInt64
	}
	return int64(f)
}

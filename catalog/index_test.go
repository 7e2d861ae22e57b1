package catalog

import (
	"math"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"
)

func TestRangesAreEvaluatedExactly(t *testing.T) {
	i64 := types.Int64
	for _, tc := range []struct {
		name   string
		r      sql.MySQLRangeColumnExpr
		in     []int64
		out    []int64
		lo, hi int64
	}{
		{"point", sql.ClosedRangeColumnExpr(int64(5), int64(5), i64), []int64{5}, []int64{4, 6}, 5, 5},
		{"point from a small literal", sql.ClosedRangeColumnExpr(int8(5), int8(5), i64), []int64{5}, []int64{4, 6}, 5, 5},
		{"open interval", sql.OpenRangeColumnExpr(int64(1), int64(4), i64), []int64{2, 3}, []int64{1, 4}, 0, 5},
		{"greater than", sql.GreaterThanRangeColumnExpr(int64(1), i64), []int64{2, math.MaxInt64}, []int64{1, -3}, 0, math.MaxInt64},
		{"at most a decimal", sql.LessOrEqualRangeColumnExpr(decimal.NewFromInt(7), i64), []int64{7, math.MinInt64}, []int64{8}, math.MinInt64, 8},
		{"everything not null", sql.NotNullRangeColumnExpr(i64), []int64{math.MinInt64, 0, math.MaxInt64}, nil, math.MinInt64, math.MaxInt64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, v := range tc.in {
				if !inRange(tc.r, v) {
					t.Errorf("%d not in %s", v, tc.r.DebugString())
				}
			}
			for _, v := range tc.out {
				if inRange(tc.r, v) {
					t.Errorf("%d in %s", v, tc.r.DebugString())
				}
			}
			lo, hi := int64Bounds(tc.r)
			if lo != tc.lo || hi != tc.hi {
				t.Errorf("seek bounds [%d, %d], want [%d, %d]", lo, hi, tc.lo, tc.hi)
			}
			for _, v := range tc.in {
				if v < lo || v > hi {
					t.Errorf("seek bounds [%d, %d] exclude %d, which the range holds", lo, hi, v)
				}
			}
		})
	}
}

func TestSymbolRangesCompareAsStrings(t *testing.T) {
	vc := holdingsSchema("holdings", unionLayers)[1].Type
	r := sql.ClosedRangeColumnExpr("MMM", "MMM", vc)
	k := keyRange{symbol: &r}
	if !k.containsSymbol("MMM") || k.containsSymbol("MMMA") || k.containsSymbol("AAPL") {
		t.Fatal("point range on symbol")
	}
	if !(keyRange{}).containsSymbol("ANY") {
		t.Fatal("an unconstrained symbol must match")
	}
}

package catalog

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
	"github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/news"
)

// fastTable is a table the fast path reads one user of.
type fastTable struct {
	name    string
	schema  sql.Schema
	cells   []fastCell     // by schema index: how a row's value of the column is read
	columns map[string]int // lower-case column name → schema index
	// newestFirst is the one ORDER BY the table's own order satisfies, if any.
	newestFirst string
	// rows appends the user's rows in the table's order, at most limit of them (-1: all),
	// to scratch.rows.
	rows func(ctx *sql.Context, session sql.Session, user int64, limit int64, scratch *answerScratch) error

	texts []wireCache[string, sqltypes.Value] // by schema index; see textValue
}

// fastRow is a row of a fast table, unboxed: the position (holdings), or the news item and
// the position that made it relevant (relevant_news). A news item's own columns are
// converted once per item and kept (see fastTable.itemValues).
type fastRow struct {
	position ledger.Valued
	item     *news.Item
}

// fastCell reads one column of a fastRow. The fast path writes integers and doubles
// itself, as their SQL types write them, so that answering allocates nothing per value;
// text goes through the column type once per distinct value (see fastTable.textValue).
type fastCell struct {
	kind    cellKind
	item    int // itemCell: the column's place in itemColumns
	integer func(*fastRow) int64
	double  func(*fastRow) float64
	text    func(*fastRow) string
}

type cellKind uint8

const (
	itemCell cellKind = iota // a news item's own column
	integerCell
	doubleCell
	textCell
)

// integerColumn and doubleColumn refuse a column whose type writes its values otherwise
// than the fast path does: a schema change must not change what clients see.
func integerColumn(col *sql.Column, get func(*fastRow) int64) fastCell {
	if col.Type != types.Int64 {
		panic(fmt.Sprintf("fast path: column %s is %s; it writes only BIGINT as an integer", col.Name, col.Type))
	}
	return fastCell{kind: integerCell, integer: get}
}

func doubleColumn(col *sql.Column, get func(*fastRow) float64) fastCell {
	if col.Type != types.Float64 {
		panic(fmt.Sprintf("fast path: column %s is %s; it writes only DOUBLE as a double", col.Name, col.Type))
	}
	return fastCell{kind: doubleCell, double: get}
}

func textColumn(get func(*fastRow) string) fastCell { return fastCell{kind: textCell, text: get} }

var (
	userOf        = func(r *fastRow) int64 { return r.position.UserID }
	symbolOf      = func(r *fastRow) string { return r.position.Symbol }
	sharesOf      = func(r *fastRow) int64 { return r.position.Shares }
	lastPriceOf   = func(r *fastRow) float64 { return r.position.LastPrice }
	marketValueOf = func(r *fastRow) float64 { return r.position.MarketValue }
	weightOf      = func(r *fastRow) float64 { return r.position.Weight }
)

// itemColumns are the relevant_news columns that come from the news item itself, in the
// order an itemWire keeps their values.
var itemColumns = [...]struct {
	name string
	get  func(*news.Item) any
}{
	{"news_id", func(it *news.Item) any { return it.ID }},
	{"published_at", func(it *news.Item) any { return it.PublishedAt }},
	{"headline", func(it *news.Item) any { return it.Headline }},
	{"source", func(it *news.Item) any { return it.Source }},
	{"url", func(it *news.Item) any { return it.URL }},
}

// itemColumn reads the column of a row's news item.
func itemColumn(col *sql.Column) fastCell {
	for k, c := range itemColumns {
		if c.name == col.Name {
			return fastCell{kind: itemCell, item: k}
		}
	}
	panic(fmt.Sprintf("fast path: column %s is not a news item's", col.Name))
}

func newFastTables(src Sources) map[string]*fastTable {
	holdings := newHoldingsTable(src.Holdings, unionLayers)
	relevant := newRelevantNewsTable(src.Holdings, src.News)
	hs, rs := holdings.schema, relevant.schema
	tables := []*fastTable{
		{name: holdings.name, schema: hs, cells: []fastCell{
			integerColumn(hs[0], userOf), textColumn(symbolOf), integerColumn(hs[2], sharesOf),
			doubleColumn(hs[3], lastPriceOf), doubleColumn(hs[4], marketValueOf), doubleColumn(hs[5], weightOf),
		}, rows: func(_ *sql.Context, _ sql.Session, user, limit int64, scratch *answerScratch) error {
			for _, v := range scratch.portfolio(holdings.view(user, user), user) {
				if limit >= 0 && int64(len(scratch.rows)) >= limit {
					break
				}
				scratch.rows = append(scratch.rows, fastRow{position: v})
			}
			return nil
		}},
		{name: relevantNewsName, schema: rs, newestFirst: "published_at", cells: []fastCell{
			integerColumn(rs[0], userOf), itemColumn(rs[1]), itemColumn(rs[2]), textColumn(symbolOf),
			doubleColumn(rs[4], weightOf), itemColumn(rs[5]), itemColumn(rs[6]), itemColumn(rs[7]),
		}, rows: func(ctx *sql.Context, session sql.Session, user, limit int64, scratch *answerScratch) error {
			threshold, err := sessionThreshold(ctx, session)
			if err != nil {
				return err
			}
			valued := scratch.portfolio(src.Holdings.Holdings(user, user), user)
			if len(valued) == 0 {
				return nil
			}
			scratch.weights = appendWeights(scratch.weights[:0], valued)
			items := &scratch.relevant
			src.News.RelevantInto(items, scratch.weights, threshold)
			for r, ok := items.Next(); ok && (limit < 0 || int64(len(scratch.rows)) < limit); r, ok = items.Next() {
				row := fastRow{item: r.Item}
				row.position.UserID, row.position.Symbol, row.position.Weight = user, r.Symbol, r.Weight
				scratch.rows = append(scratch.rows, row)
			}
			return nil
		}},
	}
	byName := map[string]*fastTable{}
	for _, t := range tables {
		if len(t.cells) != len(t.schema) {
			panic(fmt.Sprintf("fast path: table %s reads %d of its %d columns", t.name, len(t.cells), len(t.schema)))
		}
		t.texts = make([]wireCache[string, sqltypes.Value], len(t.schema))
		t.columns = map[string]int{}
		for i, c := range t.schema {
			t.columns[c.Name] = i
		}
		byName[t.name] = t
	}
	return byName
}

// pointSelect is a statement of the shape the fast path answers.
type pointSelect struct {
	table     *fastTable
	shape     string // the statement without its user id: result columns are a function of it
	columns   []int  // the table's columns in select order
	qualified bool   // names autonews.<table> rather than <table>
	limit     int64  // -1: none
	user      int64  // the literal user id, in a query text
	bindVar   string // the bind variable of the user id, in a prepared statement
}

// parse recognizes
//
//	SELECT <columns> FROM [autonews.]<table> WHERE user_id = <v> [ORDER BY <newest first>] [LIMIT <n>]
//
// for the fast path's tables, where v is an integer literal or, in a prepared statement, a
// placeholder; columns are * or plain column names without aliases. Anything else is not
// a point select, and goes the generic way.
func (p *fastPath) parse(query string, prepared bool) (pointSelect, bool) {
	ps := pointSelect{limit: -1}
	if !containsFold(query, "user_id") {
		return ps, false // most statements: no need to parse
	}
	stmt, err := sqlparser.Parse(query)
	if err != nil {
		return ps, false
	}
	sel, ok := stmt.(*sqlparser.Select)
	if !ok || sel.With != nil || sel.QueryOpts != (sqlparser.QueryOpts{}) || len(sel.Comments) > 0 || sel.GroupBy != nil ||
		sel.Having != nil || sel.Window != nil || sel.Lock != "" || sel.Into != nil || sel.Where == nil {
		return ps, false
	}
	if ps.table, ps.qualified, ok = p.fromTable(sel.From); !ok {
		return ps, false
	}
	if ps.columns, ok = ps.table.selected(sel.SelectExprs); !ok {
		return ps, false
	}
	if !ps.table.ordered(sel.OrderBy) {
		return ps, false
	}
	if sel.Limit != nil {
		if ps.limit, ok = literalLimit(sel.Limit); !ok {
			return ps, false
		}
	}
	cmp, ok := sel.Where.Expr.(*sqlparser.ComparisonExpr)
	if !ok || cmp.Operator != sqlparser.EqualStr || cmp.Escape != nil || !ps.table.isColumn(cmp.Left, "user_id") {
		return ps, false
	}
	val, ok := cmp.Right.(*sqlparser.SQLVal)
	switch {
	case !ok:
		return ps, false
	case prepared && val.Type == sqlparser.ValArg:
		ps.bindVar = strings.TrimPrefix(string(val.Val), ":")
	case !prepared && val.Type == sqlparser.IntVal:
		if ps.user, err = strconv.ParseInt(string(val.Val), 10, 64); err != nil {
			return ps, false
		}
	default:
		return ps, false
	}
	sel.Where = nil
	ps.shape = sqlparser.String(sel)
	return ps, true
}

func (p *fastPath) fromTable(from sqlparser.TableExprs) (table *fastTable, qualified, ok bool) {
	if len(from) != 1 {
		return nil, false, false
	}
	t, ok := from[0].(*sqlparser.AliasedTableExpr)
	if !ok || t.Partitions != nil || !t.As.IsEmpty() || t.Hints != nil || t.AsOf != nil || t.Lateral {
		return nil, false, false
	}
	name, ok := t.Expr.(sqlparser.TableName)
	if !ok {
		return nil, false, false
	}
	qualifier := name.DbQualifier.String()
	if qualifier != "" && !strings.EqualFold(qualifier, DatabaseName) {
		return nil, false, false
	}
	table, ok = p.tables[strings.ToLower(name.Name.String())]
	return table, qualifier != "", ok
}

func (t *fastTable) selected(exprs sqlparser.SelectExprs) ([]int, bool) {
	if len(exprs) == 1 {
		if star, ok := exprs[0].(*sqlparser.StarExpr); ok {
			if !star.TableName.IsEmpty() && !t.names(star.TableName) {
				return nil, false
			}
			all := make([]int, len(t.schema))
			for i := range all {
				all[i] = i
			}
			return all, true
		}
	}
	var cols []int
	for _, e := range exprs {
		aliased, ok := e.(*sqlparser.AliasedExpr)
		if !ok || !aliased.As.IsEmpty() {
			return nil, false
		}
		col, ok := aliased.Expr.(*sqlparser.ColName)
		if !ok || !col.Qualifier.IsEmpty() && !t.names(col.Qualifier) {
			return nil, false
		}
		i, ok := t.columns[strings.ToLower(col.Name.String())]
		if !ok {
			return nil, false
		}
		cols = append(cols, i)
	}
	return cols, true
}

// names reports whether a qualifier written in the statement names the table.
func (t *fastTable) names(q sqlparser.TableName) bool {
	db := q.DbQualifier.String()
	return strings.EqualFold(q.Name.String(), t.name) && (db == "" || strings.EqualFold(db, DatabaseName))
}

func (t *fastTable) isColumn(e sqlparser.Expr, name string) bool {
	col, ok := e.(*sqlparser.ColName)
	return ok && col.Name.EqualString(name) && (col.Qualifier.IsEmpty() || t.names(col.Qualifier))
}

// ordered reports whether the ORDER BY, if any, asks for the order the table yields.
func (t *fastTable) ordered(order sqlparser.OrderBy) bool {
	switch {
	case len(order) == 0:
		return true
	case len(order) > 1 || t.newestFirst == "":
		return false
	}
	return order[0].Direction == sqlparser.DescScr && t.isColumn(order[0].Expr, t.newestFirst)
}

func literalLimit(l *sqlparser.Limit) (int64, bool) {
	if l.Offset != nil {
		return 0, false
	}
	val, ok := l.Rowcount.(*sqlparser.SQLVal)
	if !ok || val.Type != sqlparser.IntVal {
		return 0, false
	}
	n, err := strconv.ParseInt(string(val.Val), 10, 64)
	return n, err == nil && n >= 0
}

// int64BindVar reads an integer bind variable; anything else goes the generic way.
func int64BindVar(v *querypb.BindVariable) (int64, bool) {
	if v == nil {
		return 0, false
	}
	switch v.Type {
	case querypb.Type_INT8, querypb.Type_INT16, querypb.Type_INT24, querypb.Type_INT32, querypb.Type_INT64,
		querypb.Type_UINT8, querypb.Type_UINT16, querypb.Type_UINT24, querypb.Type_UINT32:
		n, err := strconv.ParseInt(string(v.Value), 10, 64)
		return n, err == nil
	}
	return 0, false
}

// containsFold reports whether s contains substr, ignoring ASCII case, without allocating.
func containsFold(s, substr string) bool {
	for i := 0; i+len(substr) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(substr)], substr) {
			return true
		}
	}
	return false
}

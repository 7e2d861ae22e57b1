package catalog

import (
	"fmt"
	"io"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/news"
)

// ThresholdVariable is the session variable that overrides the relevance threshold:
// SET autonews_relevance_threshold = 0.05.
const ThresholdVariable = "autonews_relevance_threshold"

var registerVariables sync.Once

// Version is what @@version reports: the MySQL version whose protocol AutoNews speaks.
const Version = "8.0.31-AutoNews"

// registerSystemVariables makes the threshold a MySQL system variable, settable per
// session (the server sets each session's value from its own default when it opens), and
// names AutoNews in @@version and @@version_comment.
func registerSystemVariables() {
	registerVariables.Do(func() {
		global := sql.GetMysqlScope(sql.SystemVariableScope_Global)
		sql.SystemVariables.AddSystemVariables([]sql.SystemVariable{
			&sql.MysqlSystemVariable{
				Name:    ThresholdVariable,
				Scope:   sql.GetMysqlScope(sql.SystemVariableScope_Both),
				Dynamic: true,
				Type:    types.NewSystemDoubleType(ThresholdVariable, 0, 1),
				Default: news.DefaultRelevanceThreshold,
			},
			&sql.MysqlSystemVariable{Name: "version_comment", Scope: global, Type: types.NewSystemStringType("version_comment"),
				Default: "AutoNews, a MySQL-compatible streaming database of holdings and relevant news"},
			&sql.MysqlSystemVariable{Name: "version", Scope: global, Type: types.NewSystemStringType("version"), Default: Version},
		})
	})
}

// threshold is the query's session's relevance threshold.
func threshold(ctx *sql.Context) (float64, error) { return sessionThreshold(ctx, ctx.Session) }

func sessionThreshold(ctx *sql.Context, session sql.Session) (float64, error) {
	v, err := session.GetSessionVariable(ctx, ThresholdVariable)
	if err != nil {
		return 0, err
	}
	f, ok := v.(float64)
	if !ok {
		return 0, fmt.Errorf("%s holds %v, not a number", ThresholdVariable, v)
	}
	return f, nil
}

const relevantNewsName = "relevant_news"

// relevantNewsTable lists, per user, every news item about a symbol whose weight in the
// user's portfolio is at least the session's threshold, newest first, at the moment of
// the query.
type relevantNewsTable struct {
	holdings HoldingsSource
	index    *news.Index
	schema   sql.Schema
	userIdx  *userIndex
}

var (
	_ sql.IndexAddressableTable = (*relevantNewsTable)(nil)
	_ sql.IndexedTable          = (*indexedRelevantNews)(nil)
)

func newRelevantNewsTable(holdings HoldingsSource, index *news.Index) *relevantNewsTable {
	schema := sql.Schema{
		{Name: "user_id", Type: types.Int64, Source: relevantNewsName},
		{Name: "news_id", Type: newsIDType, Source: relevantNewsName},
		{Name: "published_at", Type: datetime6, Source: relevantNewsName},
		{Name: "symbol", Type: symbolType, Source: relevantNewsName},
		{Name: "weight", Type: types.Float64, Source: relevantNewsName},
		{Name: "headline", Type: types.Text, Source: relevantNewsName},
		{Name: "source", Type: sourceType, Source: relevantNewsName},
		{Name: "url", Type: types.Text, Source: relevantNewsName},
	}
	return &relevantNewsTable{holdings: holdings, index: index, schema: schema,
		userIdx: newUserIndex("user_id", relevantNewsName, false, schema, "user_id")}
}

func (t *relevantNewsTable) Name() string               { return relevantNewsName }
func (t *relevantNewsTable) String() string             { return relevantNewsName }
func (t *relevantNewsTable) Schema() sql.Schema         { return t.schema }
func (t *relevantNewsTable) Collation() sql.CollationID { return defaultCollation }
func (t *relevantNewsTable) PreciseMatch() bool         { return true }
func (t *relevantNewsTable) Partitions(*sql.Context) (sql.PartitionIter, error) {
	return sql.PartitionsToPartitionIter(scanPartition{}), nil
}
func (t *relevantNewsTable) GetIndexes(*sql.Context) ([]sql.Index, error) {
	return []sql.Index{t.userIdx}, nil
}
func (t *relevantNewsTable) IndexedAccess(*sql.Context, sql.IndexLookup) sql.IndexedTable {
	return &indexedRelevantNews{relevantNewsTable: t}
}

func (t *relevantNewsTable) PartitionRows(ctx *sql.Context, p sql.Partition) (sql.RowIter, error) {
	limit, err := threshold(ctx)
	if err != nil {
		return nil, err
	}
	ranges := []keyRange{fullRange()}
	if lp, ok := p.(lookupPartition); ok {
		ranges = lp.ranges
	}
	return &relevantIter{table: t, threshold: limit, ranges: ranges}, nil
}

type indexedRelevantNews struct {
	*relevantNewsTable
}

func (t *indexedRelevantNews) LookupPartitions(_ *sql.Context, lookup sql.IndexLookup) (sql.PartitionIter, error) {
	return sql.PartitionsToPartitionIter(lookupPartition{ranges: keyRanges(lookup)}), nil
}

// relevantIter walks users range by range and, for each, their relevant news newest
// first, lazily.
type relevantIter struct {
	table     *relevantNewsTable
	threshold float64
	ranges    []keyRange
	cursor    *userCursor
	user      int64
	news      *news.RelevantIter
}

func (it *relevantIter) Next(*sql.Context) (sql.Row, error) {
	for {
		if it.news != nil {
			if r, ok := it.news.Next(); ok {
				return sql.Row{it.user, r.Item.ID, r.Item.PublishedAt, r.Symbol, r.Weight, r.Item.Headline, r.Item.Source, r.Item.URL}, nil
			}
			it.news = nil
		}
		if it.cursor == nil {
			if len(it.ranges) == 0 {
				return nil, io.EOF
			}
			r := it.ranges[0]
			it.cursor = newUserCursor(it.table.holdings.Holdings(r.loUser, r.hiUser), r.loUser, r.hiUser)
		}
		user, valued, ok := it.cursor.next()
		if !ok {
			it.cursor, it.ranges = nil, it.ranges[1:]
			continue
		}
		if it.ranges[0].containsUser(user) {
			it.user, it.news = user, it.table.index.Relevant(weights(valued), it.threshold)
		}
	}
}

func (it *relevantIter) Close(*sql.Context) error { return nil }

func weights(valued []ledger.Valued) []news.Holding {
	return appendWeights(make([]news.Holding, 0, len(valued)), valued)
}

func appendWeights(dst []news.Holding, valued []ledger.Valued) []news.Holding {
	for _, v := range valued {
		dst = append(dst, news.Holding{Symbol: v.Symbol, Weight: v.Weight})
	}
	return dst
}

package catalog

import (
	"io"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/vt/proto/query"

	"github.com/autonews/autonews/news"
)

var (
	newsIDType  = types.MustCreateString(query.Type_VARCHAR, 128, defaultCollation)
	sourceType  = types.MustCreateString(query.Type_VARCHAR, 128, defaultCollation)
	newsTableID = "news"
)

// newsTable lists every news item once, oldest first, with the symbols it is about, and
// accepts news by INSERT.
type newsTable struct {
	insertPath
	index  *news.Index
	schema sql.Schema
}

var _ sql.InsertableTable = (*newsTable)(nil)

func newNewsTable(index *news.Index, w Writer) *newsTable {
	return &newsTable{insertPath: newsInsertPath(w), index: index, schema: sql.Schema{
		{Name: "news_id", Type: newsIDType, Source: newsTableID, Nullable: true},
		{Name: "published_at", Type: datetime6, Source: newsTableID, Nullable: true},
		{Name: "source", Type: sourceType, Source: newsTableID, Nullable: true},
		{Name: "headline", Type: types.Text, Source: newsTableID},
		{Name: "url", Type: types.Text, Source: newsTableID, Nullable: true},
		{Name: "symbols", Type: types.Text, Source: newsTableID, Nullable: true},
	}}
}

func (t *newsTable) Name() string               { return newsTableID }
func (t *newsTable) String() string             { return newsTableID }
func (t *newsTable) Schema() sql.Schema         { return t.schema }
func (t *newsTable) Collation() sql.CollationID { return defaultCollation }
func (t *newsTable) Partitions(*sql.Context) (sql.PartitionIter, error) {
	return sql.PartitionsToPartitionIter(scanPartition{}), nil
}

func (t *newsTable) PartitionRows(*sql.Context, sql.Partition) (sql.RowIter, error) {
	return &newsIter{items: t.index.All().Oldest()}, nil
}

type newsIter struct {
	items *news.Cursor
}

func (it *newsIter) Next(*sql.Context) (sql.Row, error) {
	n, ok := it.items.Next()
	if !ok {
		return nil, io.EOF
	}
	return sql.Row{n.ID, n.PublishedAt, n.Source, n.Headline, n.URL, n.SymbolList()}, nil
}

func (it *newsIter) Close(*sql.Context) error { return nil }

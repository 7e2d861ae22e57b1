package catalog

import (
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/vt/proto/query"

	"github.com/autonews/autonews/batch"
)

var (
	datetime6 = types.MustCreateDatetimeType(query.Type_DATETIME, 6)
	shortText = types.MustCreateString(query.Type_VARCHAR, 32, defaultCollation)
)

// pipelineRunsTable lists recent cycle runs and their steps, one row each.
type pipelineRunsTable struct {
	cycle  Cycle
	schema sql.Schema
}

var _ sql.Table = (*pipelineRunsTable)(nil)

const pipelineRunsName = "pipeline_runs"

func newPipelineRunsTable(cycle Cycle) *pipelineRunsTable {
	return &pipelineRunsTable{cycle: cycle, schema: sql.Schema{
		{Name: "run", Type: types.Int64, Source: pipelineRunsName},
		{Name: "step", Type: shortText, Source: pipelineRunsName},
		{Name: "status", Type: shortText, Source: pipelineRunsName},
		{Name: "epoch", Type: types.Uint64, Source: pipelineRunsName},
		{Name: "started", Type: datetime6, Source: pipelineRunsName},
		{Name: "finished", Type: datetime6, Source: pipelineRunsName, Nullable: true},
		{Name: "rows", Type: types.Int64, Source: pipelineRunsName},
		{Name: "attempts", Type: types.Int32, Source: pipelineRunsName},
		{Name: "error", Type: types.Text, Source: pipelineRunsName, Nullable: true},
	}}
}

func (t *pipelineRunsTable) Name() string               { return pipelineRunsName }
func (t *pipelineRunsTable) String() string             { return pipelineRunsName }
func (t *pipelineRunsTable) Schema() sql.Schema         { return t.schema }
func (t *pipelineRunsTable) Collation() sql.CollationID { return defaultCollation }
func (t *pipelineRunsTable) Partitions(*sql.Context) (sql.PartitionIter, error) {
	return sql.PartitionsToPartitionIter(scanPartition{}), nil
}

func (t *pipelineRunsTable) PartitionRows(*sql.Context, sql.Partition) (sql.RowIter, error) {
	records := t.cycle.Runs().Records()
	rows := make([]sql.Row, 0, len(records))
	for _, r := range records {
		rows = append(rows, runRow(r))
	}
	return sql.RowsToRowIter(rows...), nil
}

func runRow(r batch.RunRecord) sql.Row {
	return sql.Row{r.Run, string(r.Step), r.Status, r.Epoch, r.Started.UTC(), nullTime(r.Finished), r.Rows, int32(r.Attempts), nullString(r.Error)}
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

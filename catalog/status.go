package catalog

import (
	"context"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/autonews/autonews/batch"
	"github.com/autonews/autonews/speed"
)

// Status is the pipeline's state as the status tables show it.
type Status interface {
	// Lag lists every partition of both topics.
	Lag(ctx context.Context) ([]LagRow, error)
	// Rejected lists the kept rejected messages, oldest first.
	Rejected() []speed.Rejection
	// Verify recomputes holdings from the master dataset and lists every difference from
	// what is served.
	Verify(ctx context.Context) ([]batch.Difference, error)
}

// LagRow is one partition of pipeline_lag.
type LagRow struct {
	Topic       string
	Partition   int32
	LogEnd      int64
	Applied     int64
	Archived    int64
	SnapshotCut *int64 // trades only: news needs no cut
	LagMessages int64
	LagMillis   int64
	Epoch       uint64
	// Status is "ok", or why nothing is applied from the partition.
	Status string
}

// staticTable is a read-only table whose rows are computed at read time.
type staticTable struct {
	name   string
	schema sql.Schema
	rows   func(ctx *sql.Context) ([]sql.Row, error)
}

var _ sql.Table = (*staticTable)(nil)

func (t *staticTable) Name() string               { return t.name }
func (t *staticTable) String() string             { return t.name }
func (t *staticTable) Schema() sql.Schema         { return t.schema }
func (t *staticTable) Collation() sql.CollationID { return defaultCollation }
func (t *staticTable) Partitions(*sql.Context) (sql.PartitionIter, error) {
	return sql.PartitionsToPartitionIter(scanPartition{}), nil
}
func (t *staticTable) PartitionRows(ctx *sql.Context, _ sql.Partition) (sql.RowIter, error) {
	rows, err := t.rows(ctx)
	if err != nil {
		return nil, err
	}
	return sql.RowsToRowIter(rows...), nil
}

func column(table, name string, typ sql.Type, nullable bool) *sql.Column {
	return &sql.Column{Name: name, Type: typ, Source: table, Nullable: nullable}
}

func newPipelineLagTable(status Status) *staticTable {
	const name = "pipeline_lag"
	return &staticTable{
		name: name,
		schema: sql.Schema{
			column(name, "topic", shortText, false),
			column(name, "partition", types.Int32, false),
			column(name, "log_end_offset", types.Int64, false),
			column(name, "applied_offset", types.Int64, false),
			column(name, "archived_offset", types.Int64, false),
			column(name, "snapshot_cut", types.Int64, true),
			column(name, "lag_messages", types.Int64, false),
			column(name, "lag_ms", types.Int64, false),
			column(name, "snapshot_epoch", types.Uint64, false),
			column(name, "status", types.Text, false),
		},
		rows: func(ctx *sql.Context) ([]sql.Row, error) {
			lag, err := status.Lag(ctx)
			if err != nil {
				return nil, err
			}
			rows := make([]sql.Row, len(lag))
			for i, l := range lag {
				var cut any
				if l.SnapshotCut != nil {
					cut = *l.SnapshotCut
				}
				rows[i] = sql.Row{l.Topic, l.Partition, l.LogEnd, l.Applied, l.Archived, cut, l.LagMessages, l.LagMillis, l.Epoch, l.Status}
			}
			return rows, nil
		},
	}
}

func newRejectedMessagesTable(status Status) *staticTable {
	const name = "rejected_messages"
	return &staticTable{
		name: name,
		schema: sql.Schema{
			column(name, "topic", shortText, false),
			column(name, "partition", types.Int32, false),
			column(name, "offset", types.Int64, false),
			column(name, "received_at", datetime6, false),
			column(name, "reason", types.Text, false),
			column(name, "payload", types.Blob, false),
		},
		rows: func(*sql.Context) ([]sql.Row, error) {
			rejected := status.Rejected()
			rows := make([]sql.Row, len(rejected))
			for i, r := range rejected {
				rows[i] = sql.Row{r.Topic, r.Partition, r.Offset, r.ReceivedAt.UTC(), r.Reason, r.Payload}
			}
			return rows, nil
		},
	}
}

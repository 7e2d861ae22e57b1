package catalog

import (
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// procedures are the stored procedures of the autonews database, called as
// CALL autonews.<name>().
func (p *Provider) procedures() []sql.ExternalStoredProcedureDetails {
	return []sql.ExternalStoredProcedureDetails{
		{
			Name: "run_cycle",
			Schema: sql.Schema{
				{Name: "run", Type: types.Int64},
				{Name: "epoch", Type: types.Uint64},
				{Name: "status", Type: shortText},
				{Name: "elapsed_ms", Type: types.Int64},
				{Name: "error", Type: types.Text, Nullable: true},
			},
			Function: p.runCycle,
		},
		{
			Name: "verify",
			Schema: sql.Schema{
				{Name: "user_id", Type: types.Int64},
				{Name: "symbol", Type: symbolType},
				{Name: "served_shares", Type: types.Int64},
				{Name: "recomputed_shares", Type: types.Int64},
				{Name: "difference", Type: types.Int64},
			},
			Function: p.verify,
			ReadOnly: true,
		},
	}
}

// verify recomputes holdings from the master dataset and returns one row per position
// where what is served differs; no rows when all is well.
func (p *Provider) verify(ctx *sql.Context) (sql.RowIter, error) {
	diffs, err := p.status.Verify(ctx)
	if err != nil {
		return nil, err
	}
	rows := make([]sql.Row, len(diffs))
	for i, d := range diffs {
		rows[i] = sql.Row{d.UserID, d.Symbol, d.Served, d.Recomputed, d.Served - d.Recomputed}
	}
	return sql.RowsToRowIter(rows...), nil
}

// runCycle runs one batch cycle and returns when it ends, with its epoch and outcome.
func (p *Provider) runCycle(ctx *sql.Context) (sql.RowIter, error) {
	res := p.cycle.RunOnce(ctx)
	var errText any
	if res.Err != nil {
		errText = res.Err.Error()
	}
	return sql.RowsToRowIter(sql.Row{res.Run, res.Epoch, res.Status, res.Elapsed.Milliseconds(), errText}), nil
}

// ExternalStoredProcedure implements sql.ExternalStoredProcedureProvider.
func (p *Provider) ExternalStoredProcedure(_ *sql.Context, name string, numOfParams int) (*sql.ExternalStoredProcedureDetails, error) {
	for _, proc := range p.procedures() {
		if strings.EqualFold(proc.Name, name) && numOfParams == 0 {
			return &proc, nil
		}
	}
	return nil, nil
}

// ExternalStoredProcedures implements sql.ExternalStoredProcedureProvider.
func (p *Provider) ExternalStoredProcedures(_ *sql.Context, name string) ([]sql.ExternalStoredProcedureDetails, error) {
	var out []sql.ExternalStoredProcedureDetails
	for _, proc := range p.procedures() {
		if strings.EqualFold(proc.Name, name) {
			out = append(out, proc)
		}
	}
	return out, nil
}

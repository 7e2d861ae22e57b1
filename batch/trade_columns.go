package batch

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// tradeColumns is one batch of a trade segment as columns, the form the batch fold reads:
// no per-row values are built, and symbol and side arrive dictionary-encoded so that each
// batch's strings are looked up once rather than once per row.
type tradeColumns struct {
	rec      arrow.RecordBatch
	firstRow int // row number, within the segment, of the batch's row 0
	rows     int
	offset   []int64
	tradeID  *array.String
	userID   []int64
	symbols  dictColumn
	sides    dictColumn
	quantity []int64
	price    []float64
	ts       []arrow.Timestamp
}

// dictColumn is a dictionary-encoded string column: row i holds values[indices[i]].
type dictColumn struct {
	indices []int32
	values  *array.String
}

// retain keeps the batch's arrays valid after the reader moves on, until release.
func (c *tradeColumns) retain() { c.rec.Retain() }

func (c *tradeColumns) release() { c.rec.Release() }

func newDictColumn(col arrow.Array, name string) (dictColumn, error) {
	d, ok := col.(*array.Dictionary)
	if !ok {
		return dictColumn{}, fmt.Errorf("column %s is %s, want a dictionary", name, col.DataType())
	}
	indices, ok := d.Indices().(*array.Int32)
	if !ok {
		return dictColumn{}, fmt.Errorf("column %s has %s dictionary indices, want int32", name, d.Indices().DataType())
	}
	values, ok := d.Dictionary().(*array.String)
	if !ok {
		return dictColumn{}, fmt.Errorf("column %s has a %s dictionary, want strings", name, d.Dictionary().DataType())
	}
	if indices.NullN() > 0 {
		return dictColumn{}, fmt.Errorf("column %s holds nulls", name)
	}
	return dictColumn{indices: indices.Int32Values(), values: values}, nil
}

// readTradeColumns calls fn with every batch of the segment file in offset order. The
// batch's arrays are valid only during the call unless fn retains it.
func readTradeColumns(ctx context.Context, path string, fn func(*tradeColumns) error) error {
	props := pqarrow.ArrowReadProperties{BatchSize: readBatchRows, Parallel: true}
	props.SetReadDict(colSymbol, true)
	props.SetReadDict(colSide, true)
	rr, closeFile, err := openTradeReader(ctx, path, props, nil)
	if err != nil {
		return err
	}
	defer closeFile()
	defer rr.Release()
	row := 0
	for rr.Next() {
		rec := rr.RecordBatch()
		cols, err := tradeColumnsOf(rec)
		if err != nil {
			return err
		}
		cols.firstRow = row
		if err := fn(cols); err != nil {
			return err
		}
		row += cols.rows
	}
	return rr.Err()
}

// readTradeIDs returns the trade_id of each of the given row numbers (ascending) of the
// segment file.
func readTradeIDs(ctx context.Context, path string, rows []int) ([]string, error) {
	rr, closeFile, err := openTradeReader(ctx, path, pqarrow.ArrowReadProperties{BatchSize: readBatchRows}, []int{colTradeID})
	if err != nil {
		return nil, err
	}
	defer closeFile()
	defer rr.Release()
	out := make([]string, 0, len(rows))
	first := 0
	for rr.Next() && len(out) < len(rows) {
		ids, ok := rr.RecordBatch().Column(0).(*array.String)
		if !ok {
			return nil, fmt.Errorf("column trade_id is %s, want utf8", rr.RecordBatch().Column(0).DataType())
		}
		for len(out) < len(rows) && rows[len(out)] < first+ids.Len() {
			out = append(out, cloneString(ids.Value(rows[len(out)]-first)))
		}
		first += ids.Len()
	}
	if err := rr.Err(); err != nil {
		return nil, err
	}
	if len(out) < len(rows) {
		return nil, fmt.Errorf("row %d is beyond the segment's %d rows", rows[len(out)], first)
	}
	return out, nil
}

func openTradeReader(ctx context.Context, path string, props pqarrow.ArrowReadProperties, columns []int) (pqarrow.RecordReader, func(), error) {
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return nil, nil, err
	}
	fr, err := pqarrow.NewFileReader(pf, props, memory.DefaultAllocator)
	if err != nil {
		pf.Close()
		return nil, nil, err
	}
	if err := sameColumnNames(fr, tradeSchema); err != nil {
		pf.Close()
		return nil, nil, err
	}
	rr, err := fr.GetRecordReader(ctx, columns, nil)
	if err != nil {
		pf.Close()
		return nil, nil, err
	}
	return rr, func() { pf.Close() }, nil
}

// sameColumnNames checks the file's columns by name; their types are checked as each
// batch is taken apart.
func sameColumnNames(fr *pqarrow.FileReader, want *arrow.Schema) error {
	got, err := fr.Schema()
	if err != nil {
		return err
	}
	if got.NumFields() != want.NumFields() {
		return fmt.Errorf("%d columns, want %d (%s)", got.NumFields(), want.NumFields(), columnList(want))
	}
	for i, f := range want.Fields() {
		if got.Field(i).Name != f.Name {
			return fmt.Errorf("column %d is %s, want %s", i, got.Field(i).Name, f.Name)
		}
	}
	return nil
}

func tradeColumnsOf(rec arrow.RecordBatch) (*tradeColumns, error) {
	c := &tradeColumns{rec: rec, rows: int(rec.NumRows())}
	var err error
	if c.offset, err = int64Values(rec, colOffset); err != nil {
		return nil, err
	}
	if c.userID, err = int64Values(rec, colUserID); err != nil {
		return nil, err
	}
	if c.quantity, err = int64Values(rec, colQuantity); err != nil {
		return nil, err
	}
	price, ok := rec.Column(colPrice).(*array.Float64)
	if !ok || price.NullN() > 0 {
		return nil, columnError(rec, colPrice)
	}
	c.price = price.Float64Values()
	ts, ok := rec.Column(colTS).(*array.Timestamp)
	if !ok || ts.NullN() > 0 {
		return nil, columnError(rec, colTS)
	}
	c.ts = ts.TimestampValues()
	if c.tradeID, ok = rec.Column(colTradeID).(*array.String); !ok || c.tradeID.NullN() > 0 {
		return nil, columnError(rec, colTradeID)
	}
	if c.symbols, err = newDictColumn(rec.Column(colSymbol), "symbol"); err != nil {
		return nil, err
	}
	if c.sides, err = newDictColumn(rec.Column(colSide), "side"); err != nil {
		return nil, err
	}
	return c, nil
}

func int64Values(rec arrow.RecordBatch, col int) ([]int64, error) {
	a, ok := rec.Column(col).(*array.Int64)
	if !ok || a.NullN() > 0 {
		return nil, columnError(rec, col)
	}
	return a.Int64Values(), nil
}

func columnError(rec arrow.RecordBatch, col int) error {
	f := rec.Schema().Field(col)
	return fmt.Errorf("column %s is %s with %d nulls, want %s without nulls", f.Name, f.Type, rec.Column(col).NullN(), tradeSchema.Field(col).Type)
}

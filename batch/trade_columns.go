package batch

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/apache/arrow-go/v18/parquet/schema"
)

// tradeColumns is one batch of a trade segment as columns, the form the batch fold reads:
// no per-row values are built, symbol and side arrive as indices into the values met in
// the file so that each batch's strings are looked up once rather than once per row,
// and the other columns arrive as plain slices (see trade_pages.go).
type tradeColumns struct {
	firstRow int // row number, within the segment, of the batch's row 0
	rows     int
	*pageValues
	symbols  dictColumn
	sides    dictColumn
	retained bool
}

// dictColumn is a dictionary-encoded string column: row i holds values[indices[i]].
type dictColumn struct {
	indices []int32
	values  []string
}

// retain keeps the batch's buffers valid after the reader moves on, until release.
func (c *tradeColumns) retain() { c.retained = true }

func (c *tradeColumns) release() { c.recycle() }

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
	names := make([]string, values.Len()) // each aliases the batch's buffer
	for i := range names {
		names[i] = values.Value(i)
	}
	return dictColumn{indices: indices.Int32Values(), values: names}, nil
}

// readTradeColumns calls fn with every batch of the segment file in offset order, the
// columns cols read, its trade_ids hashed by hashID. The batch's arrays are valid only
// during the call unless fn retains it.
func readTradeColumns(ctx context.Context, path string, hashID func(string) uint64, cols columnSet, fn func(*tradeColumns) error) error {
	pf, err := openTradeFile(path)
	if err != nil {
		return err
	}
	defer pf.Close()
	pages, err := newTradePages(pf, hashID)
	if err != nil {
		return err
	}
	defer pages.close()
	rows := int(pf.NumRows())
	for row := 0; row < rows; {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(readBatchRows, rows-row)
		batch := &tradeColumns{firstRow: row, rows: n, pageValues: pageValuesOf(n)}
		if err := pages.read(batch.pageValues, cols); err != nil {
			batch.recycle()
			return fmt.Errorf("rows %d-%d: %w", row, row+n-1, err)
		}
		batch.symbols = dictColumn{indices: batch.symbolIndices, values: pages.symbols.values}
		batch.sides = dictColumn{indices: batch.sideIndices, values: pages.sides.values}
		err := fn(batch)
		if !batch.retained {
			batch.recycle()
		}
		if err != nil {
			return err
		}
		row += n
	}
	return nil
}

// readTradeIDs returns the trade_id of each of the given row numbers (ascending) of the
// segment file.
func readTradeIDs(ctx context.Context, path string, rows []int) ([]string, error) {
	rr, pf, err := openTradeReader(ctx, path, pqarrow.ArrowReadProperties{BatchSize: readBatchRows}, []int{colTradeID}, nil)
	if err != nil {
		return nil, err
	}
	defer pf.Close()
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

// openTradeReader opens a segment file and a reader of the given columns of the given row
// groups (nil: all). Closing the file is the caller's.
func openTradeReader(ctx context.Context, path string, props pqarrow.ArrowReadProperties, columns, rowGroups []int) (pqarrow.RecordReader, *file.Reader, error) {
	pf, err := openTradeFile(path)
	if err != nil {
		return nil, nil, err
	}
	fr, err := pqarrow.NewFileReader(pf, props, memory.DefaultAllocator)
	if err != nil {
		pf.Close()
		return nil, nil, err
	}
	rr, err := fr.GetRecordReader(ctx, columns, rowGroups)
	if err != nil {
		pf.Close()
		return nil, nil, err
	}
	return rr, pf, nil
}

// openTradeFile opens a segment file whose columns are named as tradeSchema's; their
// types are checked as each is read.
func openTradeFile(path string) (*file.Reader, error) {
	pf, err := file.OpenParquetFile(path, false, readOptions())
	if err != nil {
		return nil, err
	}
	if err := sameColumnNames(pf.MetaData().Schema, tradeSchema); err != nil {
		pf.Close()
		return nil, err
	}
	return pf, nil
}

// sameColumnNames checks the file's columns by name.
func sameColumnNames(got *schema.Schema, want *arrow.Schema) error {
	if got.NumColumns() != want.NumFields() {
		return fmt.Errorf("%d columns, want %d (%s)", got.NumColumns(), want.NumFields(), columnList(want))
	}
	for i, f := range want.Fields() {
		if name := got.Column(i).Name(); name != f.Name {
			return fmt.Errorf("column %d is %s, want %s", i, name, f.Name)
		}
	}
	return nil
}

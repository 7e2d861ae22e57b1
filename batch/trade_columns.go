package batch

import (
	"context"
	"fmt"
	"sync"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// tradeColumns is one batch of a trade segment as columns, the form the batch fold reads:
// no per-row values are built, symbol and side arrive dictionary-encoded so that each
// batch's strings are looked up once rather than once per row, and trade_ids arrive as
// their hashes.
type tradeColumns struct {
	rec      arrow.RecordBatch // every column but trade_id
	firstRow int               // row number, within the segment, of the batch's row 0
	rows     int
	offset   []int64
	idHashes []uint64 // the hash of each row's trade_id
	userID   []int64
	symbols  dictColumn
	sides    dictColumn
	quantity []int64
	price    []float64
	ts       []arrow.Timestamp
	retained bool
}

// dictColumn is a dictionary-encoded string column: row i holds values[indices[i]].
type dictColumn struct {
	indices []int32
	values  *array.String
}

// retain keeps the batch's arrays valid after the reader moves on, until release.
func (c *tradeColumns) retain() {
	c.rec.Retain()
	c.retained = true
}

func (c *tradeColumns) release() {
	c.rec.Release()
	idHashBuffers.Put(&c.idHashes)
}

// idHashBuffers recycles the batches' hash arrays, each readBatchRows long.
var idHashBuffers = sync.Pool{New: func() any {
	b := make([]uint64, readBatchRows)
	return &b
}}

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

// readTradeColumns calls fn with every batch of the segment file in offset order, its
// trade_ids hashed by hashID. The batch's arrays are valid only during the call unless
// fn retains it.
func readTradeColumns(ctx context.Context, path string, hashID func(string) uint64, fn func(*tradeColumns) error) error {
	props := pqarrow.ArrowReadProperties{BatchSize: readBatchRows, Parallel: true}
	props.SetReadDict(colSymbol, true)
	props.SetReadDict(colSide, true)
	var others []int
	for col := range tradeSchema.NumFields() {
		if col != colTradeID {
			others = append(others, col)
		}
	}
	rr, pf, err := openTradeReader(ctx, path, props, others)
	if err != nil {
		return err
	}
	defer pf.Close()
	defer rr.Release()
	ids := idHashReader{file: pf, hash: hashID}
	row := 0
	for rr.Next() {
		rec := rr.RecordBatch()
		cols, err := tradeColumnsOf(rec)
		if err != nil {
			return err
		}
		cols.firstRow = row
		hashes := idHashBuffers.Get().(*[]uint64)
		cols.idHashes = (*hashes)[:cols.rows]
		if err := ids.read(cols.idHashes); err != nil {
			idHashBuffers.Put(hashes)
			return fmt.Errorf("column trade_id, rows %d-%d: %w", row, row+cols.rows-1, err)
		}
		err = fn(cols)
		if !cols.retained {
			idHashBuffers.Put(hashes)
		}
		if err != nil {
			return err
		}
		row += cols.rows
	}
	return rr.Err()
}

// idHashReader hashes a segment's trade_ids straight from the Parquet pages, row group
// after row group. Read into Arrow strings first, the ids cost the fold 1.75 times as much
// to read (a copy of every id into a builder whose buffers are allocated and zeroed per
// batch), in a test reading 12M of them.
type idHashReader struct {
	file     *file.Reader
	hash     func(string) uint64
	rowGroup int
	column   *file.ByteArrayColumnChunkReader
	values   []parquet.ByteArray
	levels   []int16
}

// read fills out with the hashes of the next len(out) trade_ids.
func (r *idHashReader) read(out []uint64) error {
	if r.values == nil {
		r.values, r.levels = make([]parquet.ByteArray, readBatchRows), make([]int16, readBatchRows)
	}
	for filled := 0; filled < len(out); {
		if r.column == nil || !r.column.HasNext() {
			if r.rowGroup == r.file.NumRowGroups() {
				return fmt.Errorf("the column ends %d rows before the others", len(out)-filled)
			}
			chunk, err := r.file.RowGroup(r.rowGroup).Column(colTradeID)
			if err != nil {
				return err
			}
			column, ok := chunk.(*file.ByteArrayColumnChunkReader)
			if !ok {
				return fmt.Errorf("the column holds %s, want byte arrays", chunk.Type())
			}
			r.column, r.rowGroup = column, r.rowGroup+1
			continue
		}
		want := min(len(out)-filled, len(r.values))
		levels, values, err := r.column.ReadBatchInPage(int64(want), r.values[:want], r.levels[:want], nil)
		if err != nil {
			return err
		}
		if int(levels) != values {
			return fmt.Errorf("the column holds nulls")
		}
		// The values alias the page (ReadBatch would clone each), and so does each
		// string, only for the call: no hash keeps its input.
		for i, id := range r.values[:values] {
			out[filled+i] = r.hash(unsafe.String(unsafe.SliceData(id), len(id)))
		}
		filled += values
	}
	return nil
}

// readTradeIDs returns the trade_id of each of the given row numbers (ascending) of the
// segment file.
func readTradeIDs(ctx context.Context, path string, rows []int) ([]string, error) {
	rr, pf, err := openTradeReader(ctx, path, pqarrow.ArrowReadProperties{BatchSize: readBatchRows}, []int{colTradeID})
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

// openTradeReader opens a segment file and a reader of the given columns (nil: all).
// Closing the file is the caller's.
func openTradeReader(ctx context.Context, path string, props pqarrow.ArrowReadProperties, columns []int) (pqarrow.RecordReader, *file.Reader, error) {
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
	return rr, pf, nil
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

// tradeColumnsOf takes apart a batch of every trade column but trade_id.
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
	price, err := typedColumn[*array.Float64](rec, colPrice)
	if err != nil {
		return nil, err
	}
	c.price = price.Float64Values()
	ts, err := typedColumn[*array.Timestamp](rec, colTS)
	if err != nil {
		return nil, err
	}
	c.ts = ts.TimestampValues()
	if c.symbols, err = newDictColumn(recordColumn(rec, colSymbol), "symbol"); err != nil {
		return nil, err
	}
	if c.sides, err = newDictColumn(recordColumn(rec, colSide), "side"); err != nil {
		return nil, err
	}
	return c, nil
}

// recordColumn returns the column of the trade schema's col in a batch of every column
// but trade_id.
func recordColumn(rec arrow.RecordBatch, col int) arrow.Array {
	if col > colTradeID {
		col--
	}
	return rec.Column(col)
}

func int64Values(rec arrow.RecordBatch, col int) ([]int64, error) {
	a, err := typedColumn[*array.Int64](rec, col)
	if err != nil {
		return nil, err
	}
	return a.Int64Values(), nil
}

// typedColumn returns column col of the trade schema as the array type it must have,
// without nulls.
func typedColumn[A arrow.Array](rec arrow.RecordBatch, col int) (A, error) {
	arr := recordColumn(rec, col)
	a, ok := arr.(A)
	if !ok || arr.NullN() > 0 {
		f := tradeSchema.Field(col)
		return a, fmt.Errorf("column %s is %s with %d nulls, want %s without nulls", f.Name, arr.DataType(), arr.NullN(), f.Type)
	}
	return a, nil
}

package batch

import (
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/schema"
	"golang.org/x/sync/errgroup"
)

// The fold reads a segment's plain columns with arrow-go's column chunk readers, straight
// from the Parquet pages into buffers it reuses, rather than through pqarrow: on 8M
// trades pqarrow took 10.5, 18.6, 16.8, 23.4 and 10.6 ns a row for offset, user_id,
// quantity, price and ts, the page readers 5.5, 14.8, 12.4, 16.8 and 5.6 (pqarrow
// allocates and zeroes each batch's arrays and copies into them). trade_ids are hashed
// from the page: through pqarrow, every id was first copied into an Arrow string builder
// (1.75 times the time, reading 12M ids). Symbol and side are read from their pages as
// dictionary indices (see trade_dict_pages.go).

// pageValues are the plain columns of a batch that the scatter reads, trade_ids as their
// hashes. Prices and timestamps are read apart, only where they decide a last price (see
// fold_prices.go).
type pageValues struct {
	offset, userID, quantity   []int64
	idHashes                   []uint64
	symbolIndices, sideIndices []int32 // into the file's values met so far (dictionaryPages)
	// Each row's position key and position partition, which the fold's second pass
	// works out from the columns (see fold.resolveRows).
	positionKeys  []uint64
	positionParts []int32
}

// pageValueBuffers recycles pageValues of readBatchRows rows.
var pageValueBuffers = sync.Pool{New: func() any {
	return &pageValues{
		offset: make([]int64, readBatchRows), userID: make([]int64, readBatchRows),
		quantity: make([]int64, readBatchRows), idHashes: make([]uint64, readBatchRows),
		symbolIndices: make([]int32, readBatchRows), sideIndices: make([]int32, readBatchRows),
		positionKeys: make([]uint64, readBatchRows), positionParts: make([]int32, readBatchRows),
	}
}}

// pageValuesOf returns recycled buffers for rows values.
func pageValuesOf(rows int) *pageValues {
	v := pageValueBuffers.Get().(*pageValues)
	v.offset, v.userID, v.quantity, v.idHashes = v.offset[:rows], v.userID[:rows], v.quantity[:rows], v.idHashes[:rows]
	v.symbolIndices, v.sideIndices = v.symbolIndices[:rows], v.sideIndices[:rows]
	v.positionKeys, v.positionParts = v.positionKeys[:rows], v.positionParts[:rows]
	return v
}

func (v *pageValues) recycle() { pageValueBuffers.Put(v) }

// tradePages reads the plain columns of a segment file, batch after batch.
type tradePages struct {
	offset, userID, quantity, tradeID columnPages
	hash                              func(string) uint64
	ids                               []parquet.ByteArray
	// plainIDs reads the trade_ids when the file holds them as the archiver writes
	// them; otherwise tradeID does. So do deltaOffsets and deltaUsers for offset and
	// userID.
	plainIDs                 *plainByteArrayPages
	deltaOffsets, deltaUsers *deltaInt64Pages
	// symbols and sides read those columns' dictionary indices.
	symbols, sides *dictionaryPages
}

func newTradePages(pf *file.Reader, hash func(string) uint64) (*tradePages, error) {
	if ts := pf.MetaData().Schema.Column(colTS).LogicalType(); !isMicroseconds(ts) {
		return nil, fmt.Errorf("column ts is %s, want a timestamp in microseconds", ts)
	}
	// The scratch is as long as a batch can be: a small segment needs less.
	scratch := int(min(readBatchRows, pf.NumRows()))
	p := &tradePages{hash: hash, plainIDs: plainByteArrays(pf, colTradeID), deltaOffsets: deltaInt64s(pf, colOffset), deltaUsers: deltaInt64s(pf, colUserID)}
	for col, pages := range map[int]**dictionaryPages{colSymbol: &p.symbols, colSide: &p.sides} {
		if *pages = dictionaryPagesOf(pf, col); *pages == nil {
			return nil, fmt.Errorf("column %s is %s, want required strings, as the archiver writes them", tradeSchema.Field(col).Name, pf.MetaData().Schema.Column(col))
		}
	}
	for col, pages := range map[int]*columnPages{colOffset: &p.offset, colUserID: &p.userID, colQuantity: &p.quantity} {
		*pages = columnPages{file: pf, col: col, levels: make([]int16, scratch)}
	}
	p.tradeID = columnPages{file: pf, col: colTradeID}
	if p.plainIDs == nil { // the trade_ids go through the column chunk reader
		p.tradeID.levels, p.ids = make([]int16, scratch), make([]parquet.ByteArray, scratch)
	}
	return p, nil
}

func isMicroseconds(t schema.LogicalType) bool {
	switch ts := t.(type) {
	case schema.TimestampLogicalType:
		return ts.TimeUnit() == schema.TimeUnitMicros
	case *schema.TimestampLogicalType:
		return ts.TimeUnit() == schema.TimeUnitMicros
	}
	return false
}

// close gives the buffers of the page readers open back to readMemory.
func (p *tradePages) close() {
	for _, c := range []*columnPages{&p.offset, &p.userID, &p.quantity, &p.tradeID} {
		if c.chunk != nil {
			c.chunk.Close()
		}
	}
	for _, c := range []*columnChunkPages{&p.symbols.pages, &p.sides.pages} {
		c.close()
	}
	if p.plainIDs != nil {
		p.plainIDs.pages.close()
	}
	for _, c := range []*deltaInt64Pages{p.deltaOffsets, p.deltaUsers} {
		if c != nil {
			c.pages.close()
		}
	}
}

// columnSet names the columns of pageValues that a read fills.
type columnSet uint8

const (
	offsetColumn    columnSet = 1 << iota
	idColumn                  // trade_id, as hashes
	positionColumns           // user_id, quantity, symbol and side
)

// read fills the columns cols of v with the next len(v.offset) rows, a goroutine a
// column: read one after the other, the columns made the goroutine reading them the
// scatter's slowest (5.95 of its 6.18 s for 50M trades).
func (p *tradePages) read(v *pageValues, cols columnSet) error {
	type columnRead struct {
		set  columnSet
		col  int
		read func() error
	}
	columns := []columnRead{
		{offsetColumn, colOffset, func() error { return p.readInt64s(p.deltaOffsets, &p.offset, v.offset) }},
		{positionColumns, colUserID, func() error { return p.readInt64s(p.deltaUsers, &p.userID, v.userID) }},
		{positionColumns, colQuantity, func() error { return readValues[int64, *file.Int64ColumnChunkReader](&p.quantity, v.quantity) }},
		{idColumn, colTradeID, func() error {
			if p.plainIDs != nil {
				return p.plainIDs.hashes(v.idHashes, p.hash)
			}
			return p.readHashes(&p.tradeID, v.idHashes)
		}},
		{positionColumns, colSymbol, func() error { return p.symbols.read(v.symbolIndices) }},
		{positionColumns, colSide, func() error { return p.sides.read(v.sideIndices) }},
	}
	var g errgroup.Group
	for _, column := range columns {
		if cols&column.set == 0 {
			continue
		}
		g.Go(func() error {
			if err := column.read(); err != nil {
				return fmt.Errorf("column %s: %w", tradeSchema.Field(column.col).Name, err)
			}
			return nil
		})
	}
	return g.Wait()
}

// readInt64s fills out with an int64 column's next values, from its pages when delta
// reads them and through its column chunk reader otherwise.
func (p *tradePages) readInt64s(delta *deltaInt64Pages, chunks *columnPages, out []int64) error {
	if delta != nil {
		return delta.read(out)
	}
	return readValues[int64, *file.Int64ColumnChunkReader](chunks, out)
}

// columnPages reads one column of a segment file, row group after row group.
type columnPages struct {
	file     *file.Reader
	col      int
	rowGroup int
	chunk    file.ColumnChunkReader
	levels   []int16 // scratch for the definition levels
}

// current returns the reader of the column chunk that holds the column's next value.
func (c *columnPages) current() (file.ColumnChunkReader, error) {
	for c.chunk == nil || !c.chunk.HasNext() {
		if c.rowGroup == c.file.NumRowGroups() {
			return nil, errors.New("the column ends before the others")
		}
		if c.chunk != nil {
			c.chunk.Close() // its page reader's buffers go back to readMemory
		}
		chunk, err := c.file.RowGroup(c.rowGroup).Column(c.col)
		if err != nil {
			return nil, err
		}
		c.chunk, c.rowGroup = chunk, c.rowGroup+1
	}
	return c.chunk, nil
}

// valueReader is a column chunk reader of values of type T.
type valueReader[T any] interface {
	file.ColumnChunkReader
	ReadBatch(batchSize int64, values []T, defLvls, repLvls []int16) (total int64, valuesRead int, err error)
}

// readValues fills out with the column's next values, which must be read by an R.
func readValues[T any, R valueReader[T]](c *columnPages, out []T) error {
	for filled := 0; filled < len(out); {
		chunk, err := c.current()
		if err != nil {
			return err
		}
		typed, ok := chunk.(R)
		if !ok {
			return fmt.Errorf("the column holds %s values, want %T", chunk.Type(), *new(T))
		}
		read, values, err := typed.ReadBatch(int64(len(out)-filled), out[filled:], c.levels[:len(out)-filled], nil)
		if err != nil {
			return err
		}
		if int(read) != values {
			return errors.New("the column holds nulls")
		}
		filled += values
	}
	return nil
}

// readHashes fills out with the hashes of the column's next byte arrays.
func (p *tradePages) readHashes(c *columnPages, out []uint64) error {
	for filled := 0; filled < len(out); {
		chunk, err := c.current()
		if err != nil {
			return err
		}
		typed, ok := chunk.(*file.ByteArrayColumnChunkReader)
		if !ok {
			return fmt.Errorf("the column holds %s values, want byte arrays", chunk.Type())
		}
		want := len(out) - filled
		read, values, err := typed.ReadBatchInPage(int64(want), p.ids[:want], c.levels[:want], nil)
		if err != nil {
			return err
		}
		if int(read) != values {
			return errors.New("the column holds nulls")
		}
		// The values alias the page (ReadBatch would clone each), and so does each
		// string, only for the call: no hash keeps its input.
		for i, id := range p.ids[:values] {
			out[filled+i] = p.hash(unsafe.String(unsafe.SliceData(id), len(id)))
		}
		filled += values
	}
	return nil
}

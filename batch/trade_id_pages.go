package batch

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unsafe"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
)

// plainByteArrayPages reads a column of required byte arrays written PLAIN (as the
// archiver writes trade_ids) straight from its pages, each value a 4-byte length and its
// bytes. Through the column chunk reader, every trade_id was first built as a ByteArray,
// only to be hashed and dropped: 0.55 s of the 50M-trade fold's CPU.
type plainByteArrayPages struct {
	pages columnChunkPages
	data  []byte // the current page's values not read yet
	left  int    // how many
}

// plainByteArrays returns a reader of column col of pf if every chunk of it holds
// required byte arrays in PLAIN pages only, and nil otherwise.
func plainByteArrays(pf *file.Reader, col int) *plainByteArrayPages {
	if !requiredColumnOf(pf, col, parquet.Types.ByteArray) || !chunksEncodedOnly(pf, col, parquet.Encodings.Plain) {
		return nil
	}
	return &plainByteArrayPages{pages: columnChunkPages{file: pf, col: col}}
}

// hashes fills out with the hashes of the column's next values.
func (p *plainByteArrayPages) hashes(out []uint64, hash func(string) uint64) error {
	return fillFromPages(len(out), &p.left, p.nextPage, func(from, n int) error {
		data := p.data // a local the loop keeps in registers
		for i := range n {
			value, rest, err := nextPlainByteArray(data)
			if err != nil {
				return err
			}
			// The string aliases the page only for the call: no hash keeps its input.
			out[from+i], data = hash(unsafe.String(unsafe.SliceData(value), len(value))), rest
		}
		p.data = data
		return nil
	})
}

// fillFromPages fills want values, n at a time from the current page, of which left
// are unread, calling nextPage when it is used up; fill reads n values into positions
// from on.
func fillFromPages(want int, left *int, nextPage func() error, fill func(from, n int) error) error {
	for filled := 0; filled < want; {
		if *left == 0 {
			if err := nextPage(); err != nil {
				return err
			}
			continue
		}
		n := min(*left, want-filled)
		if err := fill(filled, n); err != nil {
			return err
		}
		*left -= n
		filled += n
	}
	return nil
}

// nextPlainByteArray splits a PLAIN byte array, a 4-byte length and its bytes, from the
// front of data.
func nextPlainByteArray(data []byte) (value, rest []byte, err error) {
	if len(data) < 4 {
		return nil, nil, errors.New("a page ends inside a value's length")
	}
	size := binary.LittleEndian.Uint32(data)
	data = data[4:]
	if uint64(size) > uint64(len(data)) {
		return nil, nil, fmt.Errorf("a value of %d bytes runs past its page's end", size)
	}
	return data[:size], data[size:], nil
}

// nextPage moves to the next data page that holds values, row group after row group.
func (p *plainByteArrayPages) nextPage() error {
	for {
		page, _, err := p.pages.next()
		if err != nil {
			return err
		}
		if p.data, err = requiredValues(page); err != nil {
			return err
		}
		if enc := parquet.Encoding(page.Encoding()); enc != parquet.Encodings.Plain {
			return fmt.Errorf("a page in %s where the column chunk lists only PLAIN", enc)
		}
		if p.left = int(page.NumValues()); p.left > 0 {
			return nil
		}
	}
}

// columnChunkPages walks the pages of a column, row group after row group.
type columnChunkPages struct {
	file     *file.Reader
	col      int
	rowGroup int // the next row group to read
	pages    file.PageReader
}

// next returns the column's next page, and whether it is the first of its row group.
func (c *columnChunkPages) next() (page file.Page, firstOfChunk bool, err error) {
	for {
		if c.pages != nil && c.pages.Next() {
			return c.pages.Page(), firstOfChunk, nil
		}
		if c.pages != nil {
			if err := c.pages.Err(); err != nil {
				return nil, false, err
			}
			c.pages.Close()
			c.pages = nil
		}
		if c.rowGroup == c.file.NumRowGroups() {
			return nil, false, errors.New("the column ends before the others")
		}
		pages, err := c.file.RowGroup(c.rowGroup).GetColumnPageReader(c.col)
		if err != nil {
			return nil, false, err
		}
		c.pages, c.rowGroup, firstOfChunk = pages, c.rowGroup+1, true
	}
}

func (c *columnChunkPages) close() {
	if c.pages != nil {
		c.pages.Close()
		c.pages = nil
	}
}

// requiredColumnOf reports whether column col of pf holds required values of physical
// type typ, unrepeated: the page readers read no levels.
func requiredColumnOf(pf *file.Reader, col int, typ parquet.Type) bool {
	descr := pf.MetaData().Schema.Column(col)
	return descr.PhysicalType() == typ && descr.MaxDefinitionLevel() == 0 && descr.MaxRepetitionLevel() == 0
}

// chunksEncodedOnly reports whether every chunk of column col of pf lists no value
// encoding but enc (RLE and BIT_PACKED are level encodings, listed whether or not the
// pages hold levels), and no dictionary page.
func chunksEncodedOnly(pf *file.Reader, col int, enc parquet.Encoding) bool {
	for rg := range pf.NumRowGroups() {
		chunk, err := pf.MetaData().RowGroup(rg).ColumnChunk(col)
		if err != nil || chunk.HasDictionaryPage() {
			return false
		}
		for _, e := range chunk.Encodings() {
			if e != enc && e != parquet.Encodings.RLE && e != parquet.Encodings.BitPacked {
				return false
			}
		}
	}
	return true
}

// requiredValues returns the encoded values of a data page of a required, flat column:
// all its bytes in a page v1, which then holds no levels, and those after the levels in
// a page v2.
func requiredValues(page file.Page) ([]byte, error) {
	switch data := page.(type) {
	case *file.DataPageV1:
		return data.Data(), nil
	case *file.DataPageV2:
		levels := int(data.DefinitionLevelByteLen()) + int(data.RepetitionLevelByteLen())
		if levels < 0 || levels > len(data.Data()) {
			return nil, fmt.Errorf("a page whose %d bytes of levels exceed its %d bytes", levels, len(data.Data()))
		}
		return data.Data()[levels:], nil
	}
	return nil, fmt.Errorf("a %s page among data pages", page.Type())
}

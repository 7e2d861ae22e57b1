package batch

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
)

// dictionaryPages reads a required byte-array column, as the archiver writes symbol and
// side, straight from its pages: each row as an index into the distinct values met so
// far in the file. Through pqarrow, each batch's indices went into an Arrow dictionary
// builder, in arrays allocated for the batch: 1.05 s of the 50M-trade fold's 10.2 s of
// CPU for the two columns. Dictionary-encoded pages are read as indices; PLAIN pages
// (a writer falls back to them when a chunk's dictionary grows too large) value by value.
type dictionaryPages struct {
	pages columnChunkPages
	// values are the distinct values met so far in the file, indexed by the rows;
	// byValue finds them.
	values  []string
	byValue map[string]int32
	// chunkValues maps the current chunk's dictionary into values; nil before the
	// chunk's dictionary page. identity says it maps each index to itself, as in a
	// file's first chunk.
	chunkValues []int32
	identity    bool
	// The current data page: how many values are left in it, and its values, PLAIN
	// byte arrays or dictionary indices.
	left      int
	plainPage bool
	plain     []byte // the bytes left of a PLAIN page
	runs      hybridRuns
}

// dictionaryPagesOf returns a reader of column col of pf if it holds required byte
// arrays, and nil otherwise.
func dictionaryPagesOf(pf *file.Reader, col int) *dictionaryPages {
	if !requiredColumnOf(pf, col, parquet.Types.ByteArray) {
		return nil
	}
	return &dictionaryPages{pages: columnChunkPages{file: pf, col: col}, byValue: map[string]int32{}}
}

// read fills out with the indices, into d.values, of the column's next values.
func (d *dictionaryPages) read(out []int32) error {
	return fillFromPages(len(out), &d.left, d.nextPage, func(from, n int) error {
		if d.plainPage {
			return d.readPlain(out[from : from+n])
		}
		return d.readIndices(out[from : from+n])
	})
}

func (d *dictionaryPages) readIndices(out []int32) error {
	if err := d.runs.decode(out); err != nil {
		return err
	}
	if d.identity { // the indices are the values': only their range needs checking
		var highest uint32
		for _, index := range out {
			highest = max(highest, uint32(index))
		}
		if len(out) > 0 && highest >= uint32(len(d.chunkValues)) {
			return fmt.Errorf("dictionary index %d beyond the chunk's %d values", highest, len(d.chunkValues))
		}
		return nil
	}
	for i, index := range out {
		if uint32(index) >= uint32(len(d.chunkValues)) {
			return fmt.Errorf("dictionary index %d beyond the chunk's %d values", uint32(index), len(d.chunkValues))
		}
		out[i] = d.chunkValues[index]
	}
	return nil
}

func (d *dictionaryPages) readPlain(out []int32) error {
	for i := range out {
		value, rest, err := nextPlainByteArray(d.plain)
		if err != nil {
			return err
		}
		out[i], d.plain = d.intern(value), rest
	}
	return nil
}

// intern returns the index of value in d.values, adding it if it is new. value may alias
// a page: a new one is copied.
func (d *dictionaryPages) intern(value []byte) int32 {
	if index, ok := d.byValue[string(value)]; ok {
		return index
	}
	index := int32(len(d.values))
	s := string(value)
	d.values = append(d.values, s)
	d.byValue[s] = index
	return index
}

// nextPage moves to the next data page that holds values, row group after row group,
// taking in the dictionary pages on the way.
func (d *dictionaryPages) nextPage() error {
	for {
		page, firstOfChunk, err := d.pages.next()
		if err != nil {
			return err
		}
		if firstOfChunk {
			d.chunkValues = nil
		}
		if dict, ok := page.(*file.DictionaryPage); ok {
			if err := d.readDictionary(dict); err != nil {
				return err
			}
			continue
		}
		data, err := requiredValues(page)
		if err != nil {
			return err
		}
		if err := d.startPage(parquet.Encoding(page.Encoding()), data); err != nil {
			return err
		}
		if d.left = int(page.NumValues()); d.left > 0 {
			return nil
		}
	}
}

// startPage readies the decoding of a data page's values, in encoding.
func (d *dictionaryPages) startPage(encoding parquet.Encoding, data []byte) error {
	switch encoding {
	case parquet.Encodings.RLEDict, parquet.Encodings.PlainDict:
		if d.chunkValues == nil {
			return errors.New("a dictionary-encoded page before its chunk's dictionary")
		}
		if len(data) == 0 {
			return errors.New("a dictionary-encoded page without its bit width")
		}
		if data[0] > 32 {
			return fmt.Errorf("dictionary indices of %d bits", data[0])
		}
		d.plainPage, d.runs = false, hybridRuns{data: data[1:], width: data[0]}
	case parquet.Encodings.Plain:
		d.plainPage, d.plain = true, data
	default:
		return fmt.Errorf("a page of byte arrays in %s", encoding)
	}
	return nil
}

func (d *dictionaryPages) readDictionary(p *file.DictionaryPage) error {
	if enc := parquet.Encoding(p.Encoding()); enc != parquet.Encodings.Plain && enc != parquet.Encodings.PlainDict {
		return fmt.Errorf("a dictionary page in %s", enc)
	}
	data := p.Data()
	d.chunkValues = make([]int32, 0, max(p.NumValues(), 0))
	for range p.NumValues() {
		value, rest, err := nextPlainByteArray(data)
		if err != nil {
			return fmt.Errorf("dictionary page: %w", err)
		}
		d.chunkValues, data = append(d.chunkValues, d.intern(value)), rest
	}
	d.identity = true
	for i, v := range d.chunkValues {
		if v != int32(i) {
			d.identity = false
			break
		}
	}
	return nil
}

// hybridRuns decodes Parquet's RLE/bit-packing hybrid encoding of values of width bits:
// runs of one repeated value, and runs of values bit-packed in groups of eight.
type hybridRuns struct {
	data  []byte // the runs not started yet
	width uint8
	// The current run: repeated times value, or the bit-packed values from next to
	// count in packed.
	repeated    int
	value       int32
	packed      []byte
	next, count int
}

// decode fills out with the next values.
func (r *hybridRuns) decode(out []int32) error {
	for i := 0; i < len(out); {
		switch {
		case r.repeated > 0:
			n := min(r.repeated, len(out)-i)
			for j := range out[i : i+n] {
				out[i+j] = r.value
			}
			r.repeated -= n
			i += n
		case r.next < r.count:
			n := min(r.count-r.next, len(out)-i)
			r.unpack(out[i : i+n])
			i += n
		default:
			if err := r.nextRun(); err != nil {
				return err
			}
		}
	}
	return nil
}

// nextRun starts the run whose header, a ULEB128 varint, begins r.data: its low bit
// says bit-packed, the rest how many groups of eight, or how many repeats of the value
// in the bytes that follow.
func (r *hybridRuns) nextRun() error {
	header, n := binary.Uvarint(r.data)
	if n <= 0 {
		return errors.New("a page ends inside a run's header")
	}
	r.data = r.data[n:]
	if header&1 == 0 {
		size := (int(r.width) + 7) / 8
		if len(r.data) < size {
			return errors.New("a page ends inside a repeated run's value")
		}
		var value uint32
		for i := size - 1; i >= 0; i-- {
			value = value<<8 | uint32(r.data[i])
		}
		if r.width < 32 && value >= 1<<r.width {
			return fmt.Errorf("a repeated value of %d, beyond %d bits", value, r.width)
		}
		r.repeated, r.value, r.data = int(min(header>>1, math.MaxInt32)), int32(value), r.data[size:]
		return nil
	}
	groups := header >> 1
	if r.width > 0 && groups > uint64(len(r.data))/uint64(r.width) {
		return fmt.Errorf("a bit-packed run of %d groups runs past its page's end", groups)
	}
	size := int(groups) * int(r.width) // a group of eight values takes width bytes
	r.packed, r.data = r.data[:size], r.data[size:]
	r.next, r.count = 0, int(min(groups, math.MaxInt32/8)*8)
	return nil
}

// unpack fills out with the bit-packed run's next values, least significant bit first.
func (r *hybridRuns) unpack(out []int32) {
	width := uint(r.width)
	if width == 0 {
		clear(out)
		r.next += len(out)
		return
	}
	mask := uint64(1)<<width - 1
	// Locals, which the loop keeps in registers: as r's fields, they were loaded again
	// after every store to out, which might have changed them.
	packed, bit := r.packed, uint(r.next)*width
	i := 0
	for ; i < len(out) && bit/8+8 <= uint(len(packed)); i++ {
		out[i] = int32(binary.LittleEndian.Uint64(packed[bit/8:]) >> (bit % 8) & mask)
		bit += width
	}
	for ; i < len(out); i++ { // the run's last bytes
		var tail [8]byte
		copy(tail[:], packed[bit/8:])
		out[i] = int32(binary.LittleEndian.Uint64(tail[:]) >> (bit % 8) & mask)
		bit += width
	}
	r.next += len(out)
}

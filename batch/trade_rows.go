package batch

import (
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/message"
)

// tradeRows hold a pending trade segment's rows as plain Go slices, one a column, and
// become an Arrow record without a copy: Arrow's builders checked capacity, set a
// validity bit and went through an interface for each value, and the symbol and side
// strings were indexed again when written (0.37 µs a trade in the ingest profile, with
// the archive's write after it 0.84 µs in all). Symbol, side and partition are kept
// dictionary-encoded, as the segment stores them.
type tradeRows struct {
	offsets    []int64
	idBytes    []byte
	idOffsets  []int32 // where each trade_id starts in idBytes, and where the last ends
	users      []int64
	quantities []int64
	prices     []float64
	micros     []int64 // ts

	symbols    symbolColumn
	sides      []int32 // 0 for BUY, 1 for SELL: sideNames
	partitions dictionary[int32]
}

// sideNames is the side column's dictionary, indexed by tradeRows.sides.
var sideNames = [...]string{"BUY", "SELL"}

// maxTradeRows bounds a segment so that its trade_ids' bytes, at most
// message.MaxTradeIDLen each, stay within the 32-bit offsets of an Arrow string array.
const maxTradeRows = math.MaxInt32 / message.MaxTradeIDLen

// newTradeRows makes room for n rows: grown by appends instead, a segment's columns were
// allocated and copied over again as they doubled.
func newTradeRows(n int) *tradeRows {
	n = min(max(n, 0), maxTradeRows)
	return &tradeRows{
		offsets:    make([]int64, 0, n),
		idBytes:    make([]byte, 0, n*16), // ids of about 16 bytes
		idOffsets:  append(make([]int32, 0, n+1), 0),
		users:      make([]int64, 0, n),
		quantities: make([]int64, 0, n),
		prices:     make([]float64, 0, n),
		micros:     make([]int64, 0, n),
		symbols:    symbolColumn{indices: make([]int32, 0, n)},
		sides:      make([]int32, 0, n),
		partitions: newDictionary[int32](n),
	}
}

// AppendRecord decodes a trade record into a row.
func (r *tradeRows) AppendRecord(rec *kgo.Record) bool {
	t, err := message.DecodeTradeInPlace(rec.Key, rec.Value) // add copies the id
	if err != nil {
		return false
	}
	r.add(t, ledger.LogPosition{Partition: rec.Partition, Offset: rec.Offset})
	return true
}

func (r *tradeRows) add(t message.Trade, at ledger.LogPosition) {
	r.partitions.add(at.Partition)
	r.offsets = append(r.offsets, at.Offset)
	r.idBytes = append(r.idBytes, t.ID...)
	r.idOffsets = append(r.idOffsets, int32(len(r.idBytes)))
	r.users = append(r.users, t.UserID)
	r.symbols.add(t.Symbol)
	side := int32(0)
	if t.Side == message.Sell {
		side = 1
	}
	r.sides = append(r.sides, side)
	r.quantities = append(r.quantities, t.Quantity)
	r.prices = append(r.prices, t.Price)
	r.micros = append(r.micros, t.TS.UnixMicro())
}

func (r *tradeRows) Len() int { return len(r.offsets) }

// Build hands the rows over to a record of tradeSchema's columns, symbol, side and
// partition as dictionary arrays; r is then empty.
func (r *tradeRows) Build() arrow.RecordBatch {
	n := r.Len()
	sideValues := stringArray(sideNames[:])
	defer sideValues.Release()
	cols := []arrow.Array{
		colPartition: r.partitions.array(func(v []int32) arrow.Array { return fixedWidthArray(arrow.PrimitiveTypes.Int32, v) }),
		colOffset:    fixedWidthArray(arrow.PrimitiveTypes.Int64, r.offsets),
		colTradeID:   stringArrayOf(r.idBytes, r.idOffsets),
		colUserID:    fixedWidthArray(arrow.PrimitiveTypes.Int64, r.users),
		colSymbol:    r.symbols.array(),
		colSide:      dictionaryArray(r.sides, sideValues),
		colQuantity:  fixedWidthArray(arrow.PrimitiveTypes.Int64, r.quantities),
		colPrice:     fixedWidthArray(arrow.PrimitiveTypes.Float64, r.prices),
		colTS:        fixedWidthArray(tradeSchema.Field(colTS).Type, r.micros),
	}
	fields := tradeSchema.Fields()
	for i, col := range cols {
		fields[i].Type = col.DataType()
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, int64(n))
	for _, col := range cols {
		col.Release()
	}
	*r = *newTradeRows(0)
	return rec
}

// Release has nothing to give back: the columns are Go memory.
func (r *tradeRows) Release() {}

// dictionary numbers the distinct values of a column in order of first appearance.
type dictionary[T comparable] struct {
	index   map[T]int32
	values  []T
	indices []int32
	// last is the index of the row before: consecutive rows often repeat a value (a
	// segment's partition always does), which then costs no lookup.
	last int32
}

func newDictionary[T comparable](rows int) dictionary[T] {
	return dictionary[T]{index: map[T]int32{}, indices: make([]int32, 0, rows), last: -1}
}

func (d *dictionary[T]) add(v T) {
	if d.last < 0 || d.values[d.last] != v {
		id, ok := d.index[v]
		if !ok {
			id = int32(len(d.values))
			d.index[v] = id
			d.values = append(d.values, v)
		}
		d.last = id
	}
	d.indices = append(d.indices, d.last)
}

// symbolColumn is the symbol column, dictionary-encoded: each row's index into the
// symbols in the order they were first met. It numbers them as the speed layer's book
// does, by their strings' addresses before their names (dictionary's map by name cost
// 47 ns a trade in the ingest profile, symbols rarely repeating from one row to the next).
type symbolColumn struct {
	numbers message.SymbolNumbers
	indices []int32
}

func (c *symbolColumn) add(symbol string) {
	c.indices = append(c.indices, int32(c.numbers.Number(symbol)))
}

func (c *symbolColumn) array() arrow.Array {
	values := stringArray(c.numbers.Names())
	defer values.Release()
	return dictionaryArray(c.indices, values)
}

// array returns the column as a dictionary array of the values valueArray makes.
func (d *dictionary[T]) array(valueArray func([]T) arrow.Array) arrow.Array {
	values := valueArray(d.values)
	defer values.Release()
	return dictionaryArray(d.indices, values)
}

func dictionaryArray(indices []int32, values arrow.Array) arrow.Array {
	indexArray := fixedWidthArray(arrow.PrimitiveTypes.Int32, indices)
	defer indexArray.Release()
	return array.NewDictionaryArray(&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: values.DataType()}, indexArray, values)
}

// fixedWidthArray views values as an array of typ, without copying them.
func fixedWidthArray[T int32 | int64 | float64](typ arrow.DataType, values []T) arrow.Array {
	data := array.NewData(typ, len(values), []*memory.Buffer{nil, memory.NewBufferBytes(arrow.GetBytes(values))}, nil, 0, 0)
	defer data.Release()
	return array.MakeFromData(data)
}

// stringArrayOf views bytes as a string array, value i from offsets[i] to offsets[i+1].
func stringArrayOf(bytes []byte, offsets []int32) arrow.Array {
	buffers := []*memory.Buffer{nil, memory.NewBufferBytes(arrow.GetBytes(offsets)), memory.NewBufferBytes(bytes)}
	data := array.NewData(arrow.BinaryTypes.String, len(offsets)-1, buffers, nil, 0, 0)
	defer data.Release()
	return array.MakeFromData(data)
}

func stringArray(values []string) arrow.Array {
	var bytes []byte
	offsets := make([]int32, 1, len(values)+1)
	for _, v := range values {
		bytes = append(bytes, v...)
		offsets = append(offsets, int32(len(bytes)))
	}
	return stringArrayOf(bytes, offsets)
}

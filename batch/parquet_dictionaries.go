package batch

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
)

// Columns a segment dictionary-encodes (symbol, side, partition) reach the Parquet writer
// as Arrow dictionary arrays, indexed here with a Go map. Given plain strings, arrow-go's
// dictionary encoder boxes every value into an interface to hash it: two allocations a
// trade, 93% of the archiver's allocations and, with the collector's share, about a
// third of its CPU (BenchmarkArchiveTrades). The file is the same: a dictionary array is
// written as the dictionary page and indices the encoder would have made, and its Arrow
// schema is not stored, so readers see plain strings.

// withDictionaries returns rec with each string or int32 column that props
// dictionary-encode as a dictionary array; the caller releases it.
func withDictionaries(rec arrow.RecordBatch, props *parquet.WriterProperties) arrow.RecordBatch {
	fields := rec.Schema().Fields()
	cols := make([]arrow.Array, len(fields))
	defer func() {
		for _, col := range cols {
			if col != nil {
				col.Release()
			}
		}
	}()
	for i, f := range fields {
		var dict arrow.Array
		switch values := rec.Column(i).(type) {
		case *array.String:
			if props.DictionaryEnabledFor(f.Name) {
				dict = dictionaryOf(values, values.Value, func(b *array.StringBuilder, v string) { b.Append(v) })
			}
		case *array.Int32:
			if props.DictionaryEnabledFor(f.Name) {
				dict = dictionaryOf(values, values.Value, func(b *array.Int32Builder, v int32) { b.Append(v) })
			}
		}
		if dict == nil {
			dict = rec.Column(i)
			dict.Retain()
		} else {
			fields[i].Type = dict.DataType()
		}
		cols[i] = dict
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, rec.NumRows())
}

// dictionaryOf returns values as a dictionary array of int32 indices, the dictionary in
// order of first appearance.
func dictionaryOf[T comparable, B array.Builder](values arrow.Array, value func(int) T, add func(B, T)) *array.Dictionary {
	indices := array.NewInt32Builder(memory.DefaultAllocator)
	defer indices.Release()
	indices.Reserve(values.Len())
	dict := array.NewBuilder(memory.DefaultAllocator, values.DataType())
	defer dict.Release()
	index := map[T]int32{}
	for i := range values.Len() {
		if values.IsNull(i) {
			indices.UnsafeAppendBoolToBitmap(false)
			continue
		}
		v := value(i) // a string aliases the array's buffer, which outlives the map
		id, ok := index[v]
		if !ok {
			id = int32(len(index))
			index[v] = id
			add(dict.(B), v)
		}
		indices.UnsafeAppend(id)
	}
	indexArray, dictArray := indices.NewArray(), dict.NewArray()
	defer indexArray.Release()
	defer dictArray.Release()
	return array.NewDictionaryArray(&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: values.DataType()}, indexArray, dictArray)
}

package batch

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/autonews/autonews/ledger"
)

// A snapshot is three Arrow IPC files: positions by symbol id, the sorted symbol
// dictionary (row i is id i), and last prices.
var (
	holdingsSchema = arrow.NewSchema([]arrow.Field{
		{Name: "user_id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "symbol_id", Type: arrow.PrimitiveTypes.Uint32},
		{Name: "shares", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	symbolsSchema = arrow.NewSchema([]arrow.Field{
		{Name: "symbol", Type: arrow.BinaryTypes.String},
	}, nil)
	pricesSchema = arrow.NewSchema([]arrow.Field{
		{Name: "symbol", Type: arrow.BinaryTypes.String},
		{Name: "price", Type: arrow.PrimitiveTypes.Float64},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
		{Name: "partition", Type: arrow.PrimitiveTypes.Int32},
		{Name: "offset", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
)

type snapshotFile struct {
	name  string
	write func(io.Writer, *ledger.Snapshot) (rows int64, err error)
}

var snapshotFiles = []snapshotFile{
	{"holdings.arrow", writeHoldings},
	{"symbols.arrow", writeSymbols},
	{"prices.arrow", writePrices},
}

// holdingsChunkRows bounds each record batch of holdings.arrow.
const holdingsChunkRows = 1 << 20

func writeHoldings(w io.Writer, snap *ledger.Snapshot) (int64, error) {
	cols := snap.Columns()
	return writeIPC(w, holdingsSchema, func(emit func(arrow.RecordBatch) error) error {
		for from := 0; from < len(cols.Users) || from == 0; from += holdingsChunkRows {
			to := min(from+holdingsChunkRows, len(cols.Users))
			// The columns are wrapped, not copied: Arrow buffers over the snapshot's slices.
			rec := array.NewRecordBatch(holdingsSchema, []arrow.Array{
				primitiveArray(arrow.PrimitiveTypes.Int64, arrow.Int64Traits.CastToBytes(cols.Users[from:to]), to-from),
				primitiveArray(arrow.PrimitiveTypes.Uint32, arrow.Uint32Traits.CastToBytes(cols.Symbols[from:to]), to-from),
				primitiveArray(arrow.PrimitiveTypes.Int64, arrow.Int64Traits.CastToBytes(cols.Shares[from:to]), to-from),
			}, int64(to-from))
			err := emit(rec)
			rec.Release()
			if err != nil || to == len(cols.Users) {
				return err
			}
		}
		return nil
	})
}

func primitiveArray(dt arrow.DataType, values []byte, n int) arrow.Array {
	data := array.NewData(dt, n, []*memory.Buffer{nil, memory.NewBufferBytes(values)}, nil, 0, 0)
	defer data.Release()
	return array.MakeFromData(data)
}

func writeSymbols(w io.Writer, snap *ledger.Snapshot) (int64, error) {
	names := snap.Columns().SymbolNames
	return writeIPC(w, symbolsSchema, func(emit func(arrow.RecordBatch) error) error {
		b := array.NewRecordBuilder(memory.DefaultAllocator, symbolsSchema)
		defer b.Release()
		b.Field(0).(*array.StringBuilder).AppendValues(names, nil)
		rec := b.NewRecordBatch()
		defer rec.Release()
		return emit(rec)
	})
}

func writePrices(w io.Writer, snap *ledger.Snapshot) (int64, error) {
	prices := snap.Prices()
	symbols := slices.Sorted(maps.Keys(prices))
	return writeIPC(w, pricesSchema, func(emit func(arrow.RecordBatch) error) error {
		b := array.NewRecordBuilder(memory.DefaultAllocator, pricesSchema)
		defer b.Release()
		for _, s := range symbols {
			m := prices[s]
			b.Field(0).(*array.StringBuilder).Append(s)
			b.Field(1).(*array.Float64Builder).Append(m.Price)
			b.Field(2).(*array.TimestampBuilder).Append(arrow.Timestamp(m.TSMicros))
			b.Field(3).(*array.Int32Builder).Append(m.At.Partition)
			b.Field(4).(*array.Int64Builder).Append(m.At.Offset)
		}
		rec := b.NewRecordBatch()
		defer rec.Release()
		return emit(rec)
	})
}

func writeIPC(w io.Writer, schema *arrow.Schema, produce func(emit func(arrow.RecordBatch) error) error) (int64, error) {
	fw, err := ipc.NewFileWriter(w, ipc.WithSchema(schema))
	if err != nil {
		return 0, err
	}
	var rows int64
	err = produce(func(rec arrow.RecordBatch) error {
		rows += rec.NumRows()
		return fw.Write(rec)
	})
	if err != nil {
		fw.Close()
		return 0, err
	}
	return rows, fw.Close()
}

// decodeSnapshot rebuilds a snapshot from its verified files.
func decodeSnapshot(epoch uint64, cut ledger.Cut, files map[string][]byte) (*ledger.Snapshot, error) {
	// The columns are sized exactly before they are filled: grown batch by batch, they
	// kept up to a quarter more memory than the rows need.
	var chunks []arrow.RecordBatch
	var rows int64
	err := readIPC(files["holdings.arrow"], holdingsSchema, func(rec arrow.RecordBatch) {
		rec.Retain()
		chunks = append(chunks, rec)
		rows += rec.NumRows()
	})
	defer func() {
		for _, rec := range chunks {
			rec.Release()
		}
	}()
	if err != nil {
		return nil, fmt.Errorf("holdings.arrow: %w", err)
	}
	cols := ledger.SnapshotColumns{Users: make([]int64, 0, rows), Symbols: make([]uint32, 0, rows), Shares: make([]int64, 0, rows)}
	for _, rec := range chunks {
		cols.Users = append(cols.Users, rec.Column(0).(*array.Int64).Int64Values()...)
		cols.Symbols = append(cols.Symbols, rec.Column(1).(*array.Uint32).Uint32Values()...)
		cols.Shares = append(cols.Shares, rec.Column(2).(*array.Int64).Int64Values()...)
	}
	err = readIPC(files["symbols.arrow"], symbolsSchema, func(rec arrow.RecordBatch) {
		col := rec.Column(0).(*array.String)
		for i := 0; i < col.Len(); i++ {
			cols.SymbolNames = append(cols.SymbolNames, cloneString(col.Value(i)))
		}
	})
	if err != nil {
		return nil, fmt.Errorf("symbols.arrow: %w", err)
	}
	prices := map[string]ledger.PriceMark{}
	err = readIPC(files["prices.arrow"], pricesSchema, func(rec arrow.RecordBatch) {
		sym := rec.Column(0).(*array.String)
		price := rec.Column(1).(*array.Float64)
		ts := rec.Column(2).(*array.Timestamp)
		part := rec.Column(3).(*array.Int32)
		off := rec.Column(4).(*array.Int64)
		for i := 0; i < int(rec.NumRows()); i++ {
			prices[cloneString(sym.Value(i))] = ledger.PriceMark{Price: price.Value(i), TSMicros: int64(ts.Value(i)),
				At: ledger.LogPosition{Partition: part.Value(i), Offset: off.Value(i)}}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("prices.arrow: %w", err)
	}
	return ledger.NewSnapshot(epoch, cut, cols, prices)
}

func readIPC(data []byte, schema *arrow.Schema, each func(arrow.RecordBatch)) error {
	// The mapped reader slices record buffers out of data rather than copying them.
	r, err := ipc.NewMappedFileReader(data, ipc.WithSchema(schema))
	if err != nil {
		return err
	}
	defer r.Close()
	if err := sameColumns(r.Schema(), schema); err != nil {
		return err
	}
	for i := 0; i < r.NumRecords(); i++ {
		rec, err := r.RecordBatch(i)
		if err != nil {
			return err
		}
		each(rec)
	}
	return nil
}

// sameColumns checks a file's columns against the expected ones by name and type; field
// metadata that writers add (Parquet field ids) does not matter.
func sameColumns(got, want *arrow.Schema) error {
	if got.NumFields() != want.NumFields() {
		return fmt.Errorf("%d columns, want %d (%s)", got.NumFields(), want.NumFields(), columnList(want))
	}
	for i, f := range want.Fields() {
		g := got.Field(i)
		if g.Name != f.Name || !arrow.TypeEqual(g.Type, f.Type) {
			return fmt.Errorf("column %d is %s %s, want %s %s", i, g.Name, g.Type, f.Name, f.Type)
		}
	}
	return nil
}

func columnList(s *arrow.Schema) string {
	names := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

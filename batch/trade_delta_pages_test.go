package batch

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
)

// A column of int64s written DELTA_BINARY_PACKED reads back value for value from its
// pages, whatever the deltas' widths (none to all 64 bits, deltas that wrap), however
// many values the last miniblock holds, in data pages v1 and v2, pages and row groups
// cut small; read in batches that end inside pages.
func TestDeltaPagesReadEveryRowsValue(t *testing.T) {
	small := []parquet.WriterProperty{parquet.WithDataPageSize(1024), parquet.WithBatchSize(100), parquet.WithMaxRowGroupLength(3000)}
	for _, tc := range []struct {
		name  string
		rows  int
		value func(rng *rand.Rand, i int) int64
		props []parquet.WriterProperty
	}{
		{"offsets", 20_000, func(_ *rand.Rand, i int) int64 { return int64(i) + 1_000_000 }, small},
		{"user ids", 20_000, func(rng *rand.Rand, _ int) int64 { return rng.Int64N(1_000_000) + 1 }, small},
		{"one value", 5_000, func(*rand.Rand, int) int64 { return -7 }, small},
		{"descending", 5_000, func(_ *rand.Rand, i int) int64 { return int64(-3 * i) }, small},
		{"every bit", 20_000, func(rng *rand.Rand, _ int) int64 { return int64(rng.Uint64()) }, small},
		{"extremes", 5_000, func(rng *rand.Rand, i int) int64 { return []int64{math.MinInt64, math.MaxInt64, 0, -1}[rng.IntN(4)] }, small},
		{"one row", 1, func(*rand.Rand, int) int64 { return 42 }, nil},
		{"a miniblock and one", 33, func(rng *rand.Rand, _ int) int64 { return rng.Int64N(1 << 40) }, nil},
		{"data pages v2", 20_000, func(rng *rand.Rand, _ int) int64 { return rng.Int64N(1 << 20) }, append(small, parquet.WithDataPageVersion(parquet.DataPageV2))},
		{"one large page", 100_000, func(rng *rand.Rand, _ int) int64 { return rng.Int64N(1_000_000) + 1 }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(tc.rows), 11))
			want := make([]int64, tc.rows)
			for i := range want {
				want[i] = tc.value(rng, i)
			}
			pf := openInt64Column(t, want, append(tc.props, parquet.WithDictionaryDefault(false), parquet.WithEncoding(parquet.Encodings.DeltaBinaryPacked)))
			pages := deltaInt64s(pf, 0)
			if pages == nil {
				t.Fatal("a DELTA_BINARY_PACKED column is not read from its pages")
			}
			readInPieces(t, len(want), pages.read, func(row int, v int64) {
				if v != want[row] {
					t.Fatalf("row %d: %d, want %d", row, v, want[row])
				}
			})
		})
	}
}

func TestOnlyDeltaEncodedColumnsAreReadFromTheirPages(t *testing.T) {
	values := []int64{3, 1, 4, 1, 5}
	for name, props := range map[string][]parquet.WriterProperty{
		"PLAIN":      {parquet.WithDictionaryDefault(false)},
		"dictionary": nil,
	} {
		if deltaInt64s(openInt64Column(t, values, props), 0) != nil {
			t.Fatalf("a %s column is read as DELTA_BINARY_PACKED", name)
		}
	}
}

// Whatever the bytes of a page, decoding it fills the values asked for or says where the
// page breaks off; it never reads past it.
func FuzzDeltaBinaryPacked(f *testing.F) {
	// 128 values a block in 4 miniblocks, 5 values, first value 1; then a block whose
	// minimum delta is 1 and whose first miniblock's deltas take 2 bits.
	f.Add([]byte{0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0x02, 0x00, 0x00, 0x00, 0b11100100}, 5)
	f.Add([]byte{0x80, 0x01, 0x04, 0x01, 0x02}, 1)                                     // one value
	f.Add([]byte{0x80, 0x01, 0x04, 0x03, 0x02, 0x02, 0x40, 0x00, 0x00, 0x00, 0xff}, 3) // 64-bit deltas cut short
	f.Add([]byte{0x80, 0x01, 0x04, 0x03, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00}, 3)       // 0-bit deltas
	f.Add([]byte{0x80, 0x01, 0x00, 0x03, 0x02}, 3)                                     // no miniblocks
	f.Add([]byte{0x80}, 1)                                                             // a header cut short
	f.Fuzz(func(t *testing.T, page []byte, values int) {
		values = max(0, min(values, 4096))
		var d deltaBinaryPacked
		if err := d.reset(page, values); err != nil {
			return
		}
		out := make([]int64, values)
		for from := 0; from < values; from += 100 { // as a fold reads, in pieces
			if err := d.decode(out[from:min(from+100, values)]); err != nil {
				return
			}
		}
		if err := d.decode(make([]int64, 1)); err == nil {
			t.Fatalf("page %x: a value decoded beyond the page's %d", page, values)
		}
	})
}

// readInPieces reads a column of rows values with read, in batches that end inside
// pages, checking each value with check; then it checks that no row is read beyond them.
func readInPieces[T any](t *testing.T, rows int, read func([]T) error, check func(row int, v T)) {
	t.Helper()
	for row := 0; row < rows; {
		out := make([]T, min(777, rows-row))
		if err := read(out); err != nil {
			t.Fatalf("row %d: %v", row, err)
		}
		for i, v := range out {
			check(row+i, v)
		}
		row += len(out)
	}
	if err := read(make([]T, 1)); err == nil {
		t.Fatal("a row read beyond the column's end")
	}
}

// openInt64Column writes values as a file of one required int64 column and opens it.
func openInt64Column(t *testing.T, values []int64, props []parquet.WriterProperty) *file.Reader {
	t.Helper()
	b := array.NewInt64Builder(memory.DefaultAllocator)
	b.AppendValues(values, nil)
	pf, err := file.OpenParquetFile(writeColumn(t, b.NewArray(), props), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pf.Close() })
	return pf
}

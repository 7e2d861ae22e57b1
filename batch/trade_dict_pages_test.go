package batch

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
)

// A column of strings read from its pages gives every row's value, however the writer
// laid it out: dictionaries of one value (indices of no bits) to 80,000 (17 bits), runs
// of one value and values at random, data pages v1 and v2, pages and row groups cut
// small, a chunk whose dictionary filled up (its later pages PLAIN) and no dictionary
// at all; read in batches that end inside pages.
func TestDictionaryPagesReadEveryRowsValue(t *testing.T) {
	small := []parquet.WriterProperty{parquet.WithDataPageSize(512), parquet.WithBatchSize(100), parquet.WithMaxRowGroupLength(3000)}
	for _, tc := range []struct {
		name      string
		rows      int
		distinct  int  // values, each row's at random; 0: every row's its own
		runs      bool // values repeat in runs of up to 50 rows
		props     []parquet.WriterProperty
		encodings []parquet.Encoding // the data pages' encodings the file must hold
		width     uint8              // the widest dictionary indices it must hold
	}{
		{"one value", 20_000, 1, false, small, []parquet.Encoding{parquet.Encodings.RLEDict}, 0},
		{"BUY and SELL", 20_000, 2, false, small, []parquet.Encoding{parquet.Encodings.RLEDict}, 1},
		{"symbols in runs", 20_000, 300, true, small, []parquet.Encoding{parquet.Encodings.RLEDict}, 6},
		{"symbols in runs, 9-bit indices", 20_000, 2000, true, []parquet.WriterProperty{parquet.WithDataPageSize(512)}, []parquet.Encoding{parquet.Encodings.RLEDict}, 9},
		{"symbols at random", 20_000, 300, false, small, []parquet.Encoding{parquet.Encodings.RLEDict}, 9},
		{"data pages v2", 20_000, 300, false, append(small, parquet.WithDataPageVersion(parquet.DataPageV2)), []parquet.Encoding{parquet.Encodings.RLEDict}, 9},
		{"17-bit indices", 80_000, 0, false, []parquet.WriterProperty{parquet.WithDataPageSize(4096), parquet.WithDictionaryPageSizeLimit(8 << 20)}, []parquet.Encoding{parquet.Encodings.RLEDict}, 17},
		{"a dictionary that fills up", 20_000, 300, false, append(small, parquet.WithDictionaryPageSizeLimit(256)), []parquet.Encoding{parquet.Encodings.RLEDict, parquet.Encodings.Plain}, 0},
		{"no dictionary", 20_000, 300, false, append(small, parquet.WithDictionaryDefault(false)), []parquet.Encoding{parquet.Encodings.Plain}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(tc.distinct), 7))
			want := make([]string, tc.rows)
			for i := range want {
				switch {
				case tc.runs && i > 0 && rng.IntN(50) > 0:
					want[i] = want[i-1]
				case tc.distinct == 0:
					want[i] = fmt.Sprintf("S%d", i)
				default:
					want[i] = fmt.Sprintf("S%d", rng.IntN(tc.distinct))
				}
			}
			path := writeStringColumn(t, want, tc.props)
			pf, err := file.OpenParquetFile(path, false)
			if err != nil {
				t.Fatal(err)
			}
			defer pf.Close()
			encodings := dataPageEncodings(t, pf, 0)
			for _, enc := range tc.encodings {
				if !encodings[enc] {
					t.Fatalf("the file has data pages in %v, not in %s", encodings, enc)
				}
			}
			if width := widestIndices(t, pf); width < tc.width {
				t.Fatalf("the widest dictionary indices take %d bits, want %d", width, tc.width)
			}
			pages := dictionaryPagesOf(pf, 0)
			if pages == nil {
				t.Fatal("a required string column is not read from its pages")
			}
			readInPieces(t, len(want), pages.read, func(row int, index int32) {
				if got := pages.values[index]; got != want[row] {
					t.Fatalf("row %d: %q, want %q", row, got, want[row])
				}
			})
		})
	}
}

func TestOnlyRequiredStringColumnsAreReadFromTheirPages(t *testing.T) {
	dir := t.TempDir()
	schema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	b := array.NewStringBuilder(memory.DefaultAllocator)
	b.AppendValues([]string{"BUY", "SELL"}, nil)
	col := b.NewArray()
	defer col.Release()
	rec := array.NewRecordBatch(schema, []arrow.Array{col}, 2)
	defer rec.Release()
	path := filepath.Join(dir, "optional.parquet")
	if err := writeParquet(path, []arrow.RecordBatch{rec}, parquet.NewWriterProperties()); err != nil {
		t.Fatal(err)
	}
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	if dictionaryPagesOf(pf, 0) != nil {
		t.Fatal("an optional column is read from its pages")
	}
}

// Whatever the bytes of a page's runs, decoding them fills every value with one that
// fits the bit width, or says where the runs break off; it never reads past them.
func FuzzHybridRuns(f *testing.F) {
	f.Add([]byte{0x06, 0x01}, uint8(1), 3)                          // three repeats of 1
	f.Add([]byte{0x03, 0b10110100}, uint8(1), 8)                    // a group of eight 1-bit values
	f.Add([]byte{0x03, 0xff, 0x01, 0x04, 0x02, 0x00}, uint8(9), 10) // 9-bit values, then repeats
	f.Add([]byte{0x05}, uint8(0), 16)                               // two groups of 0-bit values
	f.Add([]byte{0x80}, uint8(3), 1)                                // a header cut short
	f.Add([]byte{0x0f, 0x01}, uint8(32), 4)                         // a run longer than its bytes
	f.Fuzz(func(t *testing.T, data []byte, width uint8, n int) {
		width %= 33
		n = max(1, min(n, 4096))
		runs := hybridRuns{data: data, width: width}
		out := make([]int32, n)
		if err := runs.decode(out); err != nil {
			return
		}
		for i, v := range out {
			if width < 32 && uint32(v) >= 1<<width {
				t.Fatalf("value %d is %d, beyond %d bits", i, uint32(v), width)
			}
		}
	})
}

// writeStringColumn writes values as a file of one required string column.
func writeStringColumn(t *testing.T, values []string, props []parquet.WriterProperty) string {
	t.Helper()
	b := array.NewStringBuilder(memory.DefaultAllocator)
	b.AppendValues(values, nil)
	return writeColumn(t, b.NewArray(), props)
}

// writeColumn writes col, which it releases, as a file of one required column.
func writeColumn(t *testing.T, col arrow.Array, props []parquet.WriterProperty) string {
	t.Helper()
	defer col.Release()
	schema := arrow.NewSchema([]arrow.Field{{Name: "c", Type: col.DataType()}}, nil)
	rec := array.NewRecordBatch(schema, []arrow.Array{col}, int64(col.Len()))
	defer rec.Release()
	path := filepath.Join(t.TempDir(), "column.parquet")
	if err := writeParquet(path, []arrow.RecordBatch{rec}, parquet.NewWriterProperties(props...)); err != nil {
		t.Fatal(err)
	}
	return path
}

// widestIndices returns the bit width of the widest dictionary indices in the data pages
// of the file's first column, a required one (its pages hold no levels).
func widestIndices(t *testing.T, pf *file.Reader) uint8 {
	t.Helper()
	var widest uint8
	for rg := range pf.NumRowGroups() {
		pages, err := pf.RowGroup(rg).GetColumnPageReader(0)
		if err != nil {
			t.Fatal(err)
		}
		for pages.Next() {
			if page := pages.Page(); page.Type() != file.PageTypeDictionaryPage && parquet.Encoding(page.Encoding()) == parquet.Encodings.RLEDict {
				widest = max(widest, page.Data()[0])
			}
		}
	}
	return widest
}

// An index beyond the chunk's dictionary is an error, whether the chunk's dictionary is
// the file's values in order (a first chunk's) or maps into them.
func TestADictionaryIndexBeyondTheChunksValuesIsRefused(t *testing.T) {
	for _, chunkValues := range [][]int32{{0, 1}, {1, 0}} {
		d := dictionaryPages{chunkValues: chunkValues, identity: chunkValues[0] == 0}
		// A bit-packed run of one group of eight 2-bit values: 1, then 3.
		d.runs = hybridRuns{data: []byte{0x03, 0b1101, 0}, width: 2}
		out := make([]int32, 2)
		if err := d.readIndices(out); err == nil || !strings.Contains(err.Error(), "dictionary index 3 beyond the chunk's 2 values") {
			t.Fatalf("chunk values %v: read %v, %v", chunkValues, out, err)
		}
	}
}

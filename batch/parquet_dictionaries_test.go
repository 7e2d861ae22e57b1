package batch

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
)

// Columns the writer properties dictionary-encode are handed over as dictionary arrays;
// the file read back holds the same values, as plain columns.
func TestDictionaryEncodedColumnsReadBackAsWritten(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "symbol", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "partition", Type: arrow.PrimitiveTypes.Int32},
		{Name: "note", Type: arrow.BinaryTypes.String},
	}, nil)
	rows := `[{"symbol":"MMM","partition":3,"note":"a"},{"symbol":null,"partition":3,"note":"b"},
		{"symbol":"KO","partition":4,"note":"a"},{"symbol":"MMM","partition":3,"note":"c"},{"symbol":"","partition":3,"note":"d"}]`
	rec, _, err := array.RecordFromJSON(memory.DefaultAllocator, schema, strings.NewReader(rows))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	props := parquet.NewWriterProperties(parquet.WithDictionaryDefault(false),
		parquet.WithDictionaryFor("symbol", true), parquet.WithDictionaryFor("partition", true))

	encoded := withDictionaries(rec, props)
	defer encoded.Release()
	for i, want := range []arrow.Type{arrow.DICTIONARY, arrow.DICTIONARY, arrow.STRING} {
		if got := encoded.Column(i).DataType().ID(); got != want {
			t.Fatalf("column %s is %s, want %s", schema.Field(i).Name, got, want)
		}
	}
	if dict := encoded.Column(0).(*array.Dictionary).Dictionary(); dict.Len() != 3 {
		t.Fatalf("symbol dictionary %v, want MMM, KO and the empty string once each", dict)
	}

	path := filepath.Join(t.TempDir(), "dict.parquet")
	if err := writeParquet(path, []arrow.RecordBatch{rec}, props); err != nil {
		t.Fatal(err)
	}
	var got []string
	err = readParquet(context.Background(), path, schema, func(back arrow.RecordBatch) error {
		for i := range schema.NumFields() {
			got = append(got, back.Column(i).String())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range schema.NumFields() {
		want = append(want, rec.Column(i).String())
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("read back %v, want %v", got, want)
	}
}

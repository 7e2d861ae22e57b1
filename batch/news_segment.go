package batch

import (
	"context"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/message"
)

// ArchivedNews is a news message with the log position it was read from.
type ArchivedNews struct {
	message.News
	At ledger.LogPosition
}

// NewsCodec archives the news topic.
var NewsCodec = Codec{
	Topic: message.NewsTopic, Properties: newsWriterProperties,
	NewRows: func(int) Rows { return newsRows{array.NewRecordBuilder(memory.DefaultAllocator, newsSchema)} },
}

// newsRows hold a pending news segment's rows in Arrow's builders: news arrive a few a
// second.
type newsRows struct{ *array.RecordBuilder }

func (r newsRows) AppendRecord(rec *kgo.Record) bool {
	n, err := message.DecodeNews(rec.Key, rec.Value)
	if err != nil {
		return false
	}
	appendNews(r.RecordBuilder, ArchivedNews{News: n, At: ledger.LogPosition{Partition: rec.Partition, Offset: rec.Offset}})
	return true
}

func (r newsRows) Len() int { return r.Field(0).Len() }

func (r newsRows) Build() arrow.RecordBatch { return r.NewRecordBatch() }

// newsSchema is the master dataset's news row: the message as it arrived (symbols as the
// message listed them; matching is redone on load, so a better dictionary applies to old
// news too), with its partition and offset.
var newsSchema = arrow.NewSchema([]arrow.Field{
	{Name: "partition", Type: arrow.PrimitiveTypes.Int32},
	{Name: "offset", Type: arrow.PrimitiveTypes.Int64},
	{Name: "news_id", Type: arrow.BinaryTypes.String},
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
	{Name: "source", Type: arrow.BinaryTypes.String},
	{Name: "headline", Type: arrow.BinaryTypes.String},
	{Name: "body", Type: arrow.BinaryTypes.String},
	{Name: "url", Type: arrow.BinaryTypes.String},
	{Name: "symbols", Type: arrow.ListOf(arrow.BinaryTypes.String)},
}, nil)

func newsWriterProperties() *parquet.WriterProperties {
	return parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Zstd), parquet.WithDictionaryDefault(false))
}

// WriteNews writes one segment of the news topic covering offsets [first, last].
func (m *Master) WriteNews(partition int32, first, last int64, rows []ArchivedNews) error {
	b := array.NewRecordBuilder(memory.DefaultAllocator, newsSchema)
	defer b.Release()
	for _, r := range rows {
		appendNews(b, r)
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	_, err := m.writeSegment(message.NewsTopic, partition, first, last, newsWriterProperties(), []arrow.RecordBatch{rec})
	return err
}

func appendNews(b *array.RecordBuilder, r ArchivedNews) {
	b.Field(0).(*array.Int32Builder).Append(r.At.Partition)
	b.Field(1).(*array.Int64Builder).Append(r.At.Offset)
	b.Field(2).(*array.StringBuilder).Append(r.ID)
	b.Field(3).(*array.TimestampBuilder).Append(arrow.Timestamp(r.PublishedAt.UnixMicro()))
	b.Field(4).(*array.StringBuilder).Append(r.Source)
	b.Field(5).(*array.StringBuilder).Append(r.Headline)
	b.Field(6).(*array.StringBuilder).Append(r.Body)
	b.Field(7).(*array.StringBuilder).Append(r.URL)
	symbols := b.Field(8).(*array.ListBuilder)
	symbols.Append(true)
	symbols.ValueBuilder().(*array.StringBuilder).AppendValues(r.Symbols, nil)
}

// ReadNews calls fn for every row of a news segment in offset order.
func (m *Master) ReadNews(ctx context.Context, seg Segment, fn func(ArchivedNews) error) error {
	err := readParquet(ctx, seg.Path, newsSchema, func(rec arrow.RecordBatch) error {
		id := rec.Column(2).(*array.String)
		ts := rec.Column(3).(*array.Timestamp)
		source := rec.Column(4).(*array.String)
		headline := rec.Column(5).(*array.String)
		body := rec.Column(6).(*array.String)
		url := rec.Column(7).(*array.String)
		symbols := rec.Column(8).(*array.List)
		symbolValues := symbols.ListValues().(*array.String)
		for i := 0; i < int(rec.NumRows()); i++ {
			n := ArchivedNews{
				News: message.News{
					ID: cloneString(id.Value(i)), PublishedAt: time.UnixMicro(int64(ts.Value(i))).UTC(),
					Source: cloneString(source.Value(i)), Headline: cloneString(headline.Value(i)),
					Body: cloneString(body.Value(i)), URL: cloneString(url.Value(i)),
				},
				At: ledger.LogPosition{Partition: rec.Column(0).(*array.Int32).Value(i), Offset: rec.Column(1).(*array.Int64).Value(i)},
			}
			from, to := symbols.ValueOffsets(i)
			for j := from; j < to; j++ {
				n.Symbols = append(n.Symbols, cloneString(symbolValues.Value(int(j))))
			}
			if err := fn(n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read master segment %s: %w", seg.Path, err)
	}
	return nil
}

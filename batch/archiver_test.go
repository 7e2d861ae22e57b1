package batch

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/autonews/autonews/internal/kafkatest"
	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/message"
)

// A segment whose write fails stays pending with everything consumed since: the retry
// writes the rows of the failed attempt and the rows that arrived after it, once each,
// and an invalid message is not archived but its offset is.
func TestAFailedArchiveWriteKeepsItsRowsForTheRetry(t *testing.T) {
	seeds, client := kafkatest.Start(t, message.TradesTopic, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	produce := func(from, to int) {
		t.Helper()
		for i := from; i < to; i++ {
			value := kafkatest.NotATrade
			if i != 3 {
				value = kafkatest.Trade(fmt.Sprintf("t%d", i), 7)
			}
			if err := client.ProduceSync(ctx, &kgo.Record{Key: message.TradeKey(7), Value: value}).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}

	master := openMaster(t)
	archiver, err := NewArchiver(master, TradeCodec, ArchiverConfig{Partitions: []int32{0},
		ClientOpts: []kgo.Opt{kgo.SeedBrokers(seeds...)}, FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	blocker := blockPartitionFolder(t, master)
	stop := runInBackground(ctx, archiver.Run)

	produce(0, 5)
	if _, err := archiver.FlushThrough(ctx, ledger.Cut{0: 5}); err == nil {
		t.Fatal("a write into a blocked folder succeeded")
	}
	if got := archiver.Archived()[0]; got != 0 {
		t.Fatalf("archived up to %d after a failed write", got)
	}
	produce(5, 8)
	if err := os.Remove(blocker); err != nil {
		t.Fatal(err)
	}
	archivedTo, err := archiver.FlushThrough(ctx, ledger.Cut{0: 8})
	if err != nil {
		t.Fatal(err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if archivedTo[0] != 8 {
		t.Fatalf("archived up to %d, want 8", archivedTo[0])
	}
	if got, want := archivedRows(t, master), "[t0@0 t1@1 t2@2 t4@4 t5@5 t6@6 t7@7]"; got != want {
		t.Fatalf("archived rows %s, want %s", got, want)
	}
}

// Fed by the speed layer, the archiver keeps the same promises: what a failed write held
// is written by the retry, ahead of what was fed meanwhile, once each; records fed again
// (a reader that starts below what the archiver has) are skipped; an invalid message is
// not archived but its offset is.
func TestAFedArchiverLosesNothingToAFailedWriteAndSkipsWhatItHas(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	records := make([]*kgo.Record, 10)
	for i := range records {
		value := kafkatest.NotATrade
		if i != 3 {
			value = kafkatest.Trade(fmt.Sprintf("t%d", i), 7)
		}
		records[i] = &kgo.Record{Topic: message.TradesTopic, Partition: 0, Offset: int64(i), Key: message.TradeKey(7), Value: value}
	}
	master := openMaster(t)
	archiver, err := NewArchiver(master, TradeCodec, ArchiverConfig{Partitions: []int32{0}, FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	feed := func(from, to int) {
		fed := records[from:to]
		archiver.FeedTrades(fed, func(i int) (message.Trade, bool) {
			tr, err := message.DecodeTrade(fed[i].Key, fed[i].Value)
			return tr, err == nil
		})
	}
	blocker := blockPartitionFolder(t, master)
	stop := runInBackground(ctx, archiver.RunFed)

	feed(0, 5)
	if _, err := archiver.FlushThrough(ctx, ledger.Cut{0: 5}); err == nil {
		t.Fatal("a write into a blocked folder succeeded")
	}
	feed(2, 8) // 2-4 again, as from a reader that started before them
	if err := os.Remove(blocker); err != nil {
		t.Fatal(err)
	}
	archivedTo, err := archiver.FlushThrough(ctx, ledger.Cut{0: 8})
	if err != nil {
		t.Fatal(err)
	}
	feed(6, 10)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if archivedTo[0] != 8 || archiver.Archived()[0] != 10 {
		t.Fatalf("archived up to %d, then %d after the final flush; want 8, then 10", archivedTo[0], archiver.Archived()[0])
	}
	if got, want := archivedRows(t, master), "[t0@0 t1@1 t2@2 t4@4 t5@5 t6@6 t7@7 t8@8 t9@9]"; got != want {
		t.Fatalf("archived rows %s, want %s", got, want)
	}
}

// A flush writes every partition's segment, side by side: one partition's failed write
// keeps only its own rows for the retry, and the others are archived.
func TestAFlushArchivesEveryPartitionItCanWhenOneFails(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	partitions := []int32{0, 1, 2, 3}
	master := openMaster(t)
	archiver, err := NewArchiver(master, TradeCodec, ArchiverConfig{Partitions: partitions, FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	var records []*kgo.Record
	for _, p := range partitions {
		for offset := range 3 {
			records = append(records, &kgo.Record{Topic: message.TradesTopic, Partition: p, Offset: int64(offset),
				Key: message.TradeKey(7), Value: kafkatest.Trade(fmt.Sprintf("p%dt%d", p, offset), 7)})
		}
	}
	archiver.FeedTrades(records, func(i int) (message.Trade, bool) {
		tr, err := message.DecodeTrade(records[i].Key, records[i].Value)
		return tr, err == nil
	})
	blocker := blockPartitionFolder(t, master)
	all := ledger.Cut{0: 3, 1: 3, 2: 3, 3: 3}
	if _, err := archiver.FlushThrough(ctx, all); err == nil {
		t.Fatal("a write into a blocked folder succeeded")
	}
	if got, want := archiver.Archived(), (ledger.Cut{0: 0, 1: 3, 2: 3, 3: 3}); !got.Equal(want) {
		t.Fatalf("archived %s after partition 0's write failed, want %s", got, want)
	}
	if err := os.Remove(blocker); err != nil {
		t.Fatal(err)
	}
	if got, err := archiver.FlushThrough(ctx, all); err != nil || !got.Equal(all) {
		t.Fatalf("archived %s, %v after the retry; want %s", got, err, all)
	}
	if got, want := archivedRows(t, master), "[p0t0@0 p0t1@1 p0t2@2 p1t0@0 p1t1@1 p1t2@2 p2t0@0 p2t1@1 p2t2@2 p3t0@0 p3t1@1 p3t2@2]"; got != want {
		t.Fatalf("archived rows %s, want %s", got, want)
	}
}

// runInBackground runs run on a goroutine of its own until the returned stop, which
// cancels it and returns what it returned.
func runInBackground(ctx context.Context, run func(context.Context) error) (stop func() error) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	return func() error {
		cancel()
		return <-done
	}
}

// blockPartitionFolder puts a file where partition 0's folder of trade segments belongs,
// which makes every write of it fail until the file is removed; it returns the file.
func blockPartitionFolder(t *testing.T, master *Master) string {
	t.Helper()
	blocker := filepath.Join(master.Dir(), message.TradesTopic, "p0")
	if err := os.MkdirAll(filepath.Dir(blocker), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return blocker
}

// archivedRows lists the master dataset's trades as id@offset, in segment order.
func archivedRows(t *testing.T, master *Master) string {
	t.Helper()
	segs, err := master.Segments(message.TradesTopic)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, seg := range segs {
		err := master.ReadTrades(context.Background(), seg, func(tr ArchivedTrade) error {
			ids = append(ids, fmt.Sprintf("%s@%d", tr.ID, tr.At.Offset))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return fmt.Sprint(ids)
}

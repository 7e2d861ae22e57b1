package batch

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/message"
)

func archived(id string, user int64, sym string, side message.Side, qty int64, p int32, off int64) ArchivedTrade {
	return ArchivedTrade{
		Trade: message.Trade{ID: id, UserID: user, Symbol: sym, Side: side, Quantity: qty, Price: 10 + float64(off), TS: time.Unix(1700000000+off, 0).UTC()},
		At:    ledger.LogPosition{Partition: p, Offset: off},
	}
}

func openMaster(t *testing.T) *Master {
	t.Helper()
	m, err := OpenMaster(filepath.Join(t.TempDir(), "master"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMasterSegmentsRoundTripAndResumeAfterTheLastOffset(t *testing.T) {
	m := openMaster(t)
	rows := []ArchivedTrade{archived("a", 1, "MMM", message.Buy, 5, 0, 0), archived("b", 2, "BRK.B", message.Sell, 3, 0, 2)}
	if _, err := m.WriteTrades(0, 0, 2, rows); err != nil {
		t.Fatal(err)
	}
	// A segment of only rejected records still advances the archive.
	if _, err := m.WriteTrades(0, 3, 4, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := m.WriteTrades(2, 10, 10, []ArchivedTrade{archived("c", 3, "A", message.Buy, 1, 2, 10)}); err != nil {
		t.Fatal(err)
	}
	next, err := m.Archived(message.TradesTopic)
	if err != nil {
		t.Fatal(err)
	}
	if !next.Equal(ledger.Cut{0: 5, 2: 11}) {
		t.Fatalf("archived %s", next)
	}
	segs, _ := m.Segments(message.TradesTopic)
	var got []ArchivedTrade
	if err := m.ReadTrades(context.Background(), segs[0], func(a ArchivedTrade) error { got = append(got, a); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != rows[0] || got[1] != rows[1] {
		t.Fatalf("read back %+v, want %+v", got, rows)
	}
}

func TestMasterRefusesGapsAndStrangeFiles(t *testing.T) {
	m := openMaster(t)
	if _, err := m.WriteTrades(1, 0, 9, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := m.WriteTrades(1, 20, 29, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Segments(message.TradesTopic); err == nil || !strings.Contains(err.Error(), "not contiguous") {
		t.Fatalf("a gap was not reported: %v", err)
	}
	m = openMaster(t)
	dir := filepath.Join(m.Dir(), message.TradesTopic, "p0")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644)
	if _, err := m.Segments(message.TradesTopic); err == nil || !strings.Contains(err.Error(), "notes.txt") {
		t.Fatalf("a strange file was not named: %v", err)
	}
}

func TestReadTradesNamesACorruptSegment(t *testing.T) {
	m := openMaster(t)
	seg, err := m.WriteTrades(0, 0, 0, []ArchivedTrade{archived("a", 1, "MMM", message.Buy, 5, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(seg.Path, []byte("PAR1 truncated"), 0o644); err != nil {
		t.Fatal(err)
	}
	err = m.ReadTrades(context.Background(), seg, func(ArchivedTrade) error { return nil })
	if err == nil || !strings.Contains(err.Error(), seg.Path) {
		t.Fatalf("corrupt segment not reported by name: %v", err)
	}
}

func TestComputeStopsAtTheCutAndAppliesEachTradeIDOnce(t *testing.T) {
	m := openMaster(t)
	m.WriteTrades(0, 0, 3, []ArchivedTrade{
		archived("t1", 1, "MMM", message.Buy, 100, 0, 0),
		archived("t2", 1, "MMM", message.Sell, 30, 0, 1),
		archived("t1", 1, "MMM", message.Buy, 100, 0, 2), // redelivered
		archived("t3", 1, "MMM", message.Buy, 1, 0, 3),   // beyond the cut
	})
	m.WriteTrades(1, 0, 0, []ArchivedTrade{archived("t2", 2, "KO", message.Buy, 9, 1, 0)}) // same id, other partition
	snap, stats, err := Compute(context.Background(), m, 1, ledger.Cut{0: 3, 1: 1})
	if err != nil {
		t.Fatal(err)
	}
	if snap.Len() != 1 || snap.Row(0) != (ledger.Holding{UserID: 1, Symbol: "MMM", Shares: 70}) {
		t.Fatalf("snapshot %v", snap.Row(0))
	}
	if stats.Rows != 4 || stats.Applied != 2 || stats.Duplicates != 2 || stats.NetShares != 70 {
		t.Fatalf("stats %+v", stats)
	}
	// The redelivered row at offset 2 is the latest below the cut; redeliveries count for
	// the last price, so that it does not depend on which copy a run read first.
	if price, _ := snap.Price("MMM"); price.Price != 12 {
		t.Fatalf("last price below the cut %v, want 12", price.Price)
	}
	if _, _, err := Compute(context.Background(), m, 2, ledger.Cut{0: 9}); err == nil {
		t.Fatal("a cut beyond the master dataset was accepted")
	}
}

func TestStorePublishesAtomicallyAndDetectsCorruption(t *testing.T) {
	dir := t.TempDir()
	store, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := store.LoadCurrent(); err != ErrNoSnapshot {
		t.Fatalf("empty store: %v", err)
	}
	book := ledger.NewBook()
	book.Apply(message.Trade{ID: "a", UserID: 3, Symbol: "MMM", Side: message.Buy, Quantity: 7, Price: 1.5, TS: time.Unix(5, 0)}, ledger.LogPosition{Partition: 1, Offset: 4})
	book.Apply(message.Trade{ID: "b", UserID: 1, Symbol: "ZION", Side: message.Sell, Quantity: 2, Price: 9, TS: time.Unix(6, 0)}, ledger.LogPosition{Partition: 0, Offset: 0})
	snap := book.Freeze(4, ledger.Cut{0: 1, 1: 5})
	m, err := store.Publish(snap, Manifest{Cut: map[string]ledger.Cut{message.TradesTopic: snap.Cut}})
	if err != nil {
		t.Fatal(err)
	}
	if m.Rows["holdings"] != 2 || m.Files["holdings.arrow"].SHA256 == "" {
		t.Fatalf("manifest %+v", m)
	}
	loaded, lm, err := store.LoadCurrent()
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Epoch != 4 || !loaded.Cut.Equal(snap.Cut) || loaded.Len() != 2 || loaded.Row(0) != snap.Row(0) || loaded.Row(1) != snap.Row(1) || lm.Epoch != 4 {
		t.Fatalf("loaded %+v", loaded)
	}
	if p, _ := loaded.Price("MMM"); p != (ledger.PriceMark{Price: 1.5, TSMicros: 5e6, At: ledger.LogPosition{Partition: 1, Offset: 4}}) {
		t.Fatalf("price %+v", p)
	}

	// One flipped byte is caught by the checksum.
	path := filepath.Join(dir, "4", "holdings.arrow")
	data, _ := os.ReadFile(path)
	data[len(data)/2] ^= 0x01
	os.WriteFile(path, data, 0o644)
	if _, _, err := store.LoadCurrent(); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("a flipped byte was not detected: %v", err)
	}
}

func TestStoreRetireKeepsTheNewestAndThePublished(t *testing.T) {
	store, _ := OpenStore(t.TempDir())
	for epoch := uint64(1); epoch <= 4; epoch++ {
		if _, err := store.Publish(ledger.NewBook().Freeze(epoch, ledger.Cut{}), Manifest{}); err != nil {
			t.Fatal(err)
		}
	}
	if removed, err := store.Retire(2); err != nil || removed != 2 {
		t.Fatalf("retire: %d, %v", removed, err)
	}
	if epochs, _ := store.Epochs(); len(epochs) != 2 || epochs[0] != 3 || epochs[1] != 4 {
		t.Fatalf("kept %v", epochs)
	}
}

func TestRunLogSurvivesReopenAndMarksInterruptedRuns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runs.jsonl")
	l, err := OpenRunLog(path, 10)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	l.Put(RunRecord{Run: 1, Step: StepRun, Status: StatusSucceeded, Started: now, Finished: now})
	l.Put(RunRecord{Run: 2, Step: StepRun, Status: StatusRunning, Started: now})
	l.Put(RunRecord{Run: 2, Step: StepCut, Status: StatusRunning, Started: now})
	l.Put(RunRecord{Run: 2, Step: StepCut, Status: StatusSucceeded, Started: now, Rows: 5})
	l.Close()
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"run":3,"step":"ru`) // torn by a crash
	f.Close()

	l, err = OpenRunLog(path, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	recs := l.Records()
	if len(recs) != 3 || recs[1].Status != StatusInterrupted || recs[2].Rows != 5 || l.LastRun() != 2 {
		t.Fatalf("records %+v", recs)
	}
}

func TestNewsSegmentsRoundTrip(t *testing.T) {
	m := openMaster(t)
	rows := []ArchivedNews{
		{News: message.News{ID: "N1", PublishedAt: time.Unix(100, 0).UTC(), Source: "wire", Headline: "3M beats", Body: "b", URL: "u", Symbols: []string{"MMM", "AAPL"}}, At: ledger.LogPosition{Offset: 3}},
		{News: message.News{ID: "N2", PublishedAt: time.Unix(200, 0).UTC(), Headline: "Quiet day"}, At: ledger.LogPosition{Offset: 5}},
	}
	if err := m.WriteNews(0, 3, 5, rows); err != nil {
		t.Fatal(err)
	}
	segs, err := m.Segments(message.NewsTopic)
	if err != nil || len(segs) != 1 {
		t.Fatalf("segments %v %v", segs, err)
	}
	var got []ArchivedNews
	if err := m.ReadNews(context.Background(), segs[0], func(n ArchivedNews) error { got = append(got, n); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "N1" || len(got[0].Symbols) != 2 || got[0].Symbols[1] != "AAPL" || got[1].Symbols != nil || !got[1].PublishedAt.Equal(rows[1].PublishedAt) {
		t.Fatalf("read back %+v", got)
	}
}

func TestRecentTradeIDsAreTheLatestBelowTheCut(t *testing.T) {
	m := openMaster(t)
	m.WriteTrades(0, 0, 2, []ArchivedTrade{archived("a", 1, "A", message.Buy, 1, 0, 0), archived("b", 1, "A", message.Buy, 1, 0, 1), archived("c", 1, "A", message.Buy, 1, 0, 2)})
	m.WriteTrades(0, 3, 4, []ArchivedTrade{archived("d", 1, "A", message.Buy, 1, 0, 3), archived("e", 1, "A", message.Buy, 1, 0, 4)})
	m.WriteTrades(1, 0, 0, []ArchivedTrade{archived("x", 2, "A", message.Buy, 1, 1, 0)})
	ids, err := m.RecentTradeIDs(context.Background(), ledger.Cut{0: 4, 1: 1}, 6)
	if err != nil {
		t.Fatal(err)
	}
	// Three per partition at most; "e" is at the cut, so not in the snapshot.
	if strings.Join(ids, ",") != "b,c,d,x" {
		t.Fatalf("ids %v", ids)
	}
}

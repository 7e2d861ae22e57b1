package speed

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/message"
)

func record(p int32, off int64, id string, user int64, side string, qty int64) *kgo.Record {
	value := fmt.Sprintf(`{"trade_id":%q,"user_id":%d,"symbol":"MMM","side":%q,"quantity":%d,"price":10,"ts":"2026-01-02T15:04:05Z"}`, id, user, side, qty)
	return &kgo.Record{Topic: message.TradesTopic, Partition: p, Offset: off, Key: message.TradeKey(user), Value: []byte(value)}
}

func fetch(records ...*kgo.Record) kgo.Fetches {
	byPartition := map[int32][]*kgo.Record{}
	for _, r := range records {
		byPartition[r.Partition] = append(byPartition[r.Partition], r)
	}
	var topic kgo.FetchTopic
	topic.Topic = message.TradesTopic
	for _, p := range slices.Sorted(maps.Keys(byPartition)) {
		topic.Partitions = append(topic.Partitions, kgo.FetchPartition{Partition: p, Records: byPartition[p]})
	}
	return kgo.Fetches{{Topics: []kgo.FetchTopic{topic}}}
}

func shares(l *Layer, user int64) (batch, delta, union int64) {
	v := l.Holdings(user, user)
	from, to := v.Snapshot.UserRows(user, user)
	for i := from; i < to; i++ {
		batch += v.Snapshot.Row(i).Shares
	}
	for _, h := range v.Delta {
		delta += h.Shares
	}
	return batch, delta, batch + delta
}

func TestTheSwapCountsEveryTradeOnceWhateverArrivesDuringTheRun(t *testing.T) {
	l := New(Config{Partitions: []int32{0}}, ledger.EmptySnapshot())
	l.apply(fetch(record(0, 0, "T1", 1, "BUY", 5000)))

	// The run cuts after the buy, but the speed layer has already applied a later sale:
	// the next delta is seeded with it.
	l.apply(fetch(record(0, 1, "T2", 1, "SELL", 1000)))
	if err := l.BeginCut(ledger.Cut{0: 1}); err != nil {
		t.Fatal(err)
	}
	l.apply(fetch(record(0, 2, "T3", 1, "SELL", 500)))
	if _, _, union := shares(l, 1); union != 3500 {
		t.Fatalf("during the run: %d", union)
	}

	book := ledger.NewBook()
	tr, _ := message.DecodeTrade(record(0, 0, "T1", 1, "BUY", 5000).Key, record(0, 0, "T1", 1, "BUY", 5000).Value)
	book.Apply(tr, ledger.LogPosition{Partition: 0, Offset: 0})
	if err := l.Swap(book.Freeze(1, ledger.Cut{0: 2})); err == nil {
		t.Fatal("a snapshot cut elsewhere than the next delta was swapped in")
	}
	book = ledger.NewBook()
	book.Apply(tr, ledger.LogPosition{Partition: 0, Offset: 0})
	if err := l.Swap(book.Freeze(1, ledger.Cut{0: 1})); err != nil {
		t.Fatal(err)
	}
	if b, d, u := shares(l, 1); b != 5000 || d != -1500 || u != 3500 {
		t.Fatalf("after the swap: batch %d delta %d union %d", b, d, u)
	}
	if err := l.Swap(book.Freeze(2, ledger.Cut{0: 1})); err == nil {
		t.Fatal("a swap without a cut in progress was accepted")
	}
}

func TestAbortedCutLeavesTheActiveDeltaServing(t *testing.T) {
	l := New(Config{Partitions: []int32{0}}, ledger.EmptySnapshot())
	l.apply(fetch(record(0, 0, "T1", 1, "BUY", 10)))
	l.BeginCut(ledger.Cut{0: 1})
	l.AbortCut()
	l.apply(fetch(record(0, 1, "T2", 1, "BUY", 5)))
	if _, _, u := shares(l, 1); u != 15 {
		t.Fatalf("union %d", u)
	}
	if err := l.BeginCut(ledger.Cut{}); err != nil {
		t.Fatal(err)
	}
}

func TestDuplicatesRedeliveriesAndRejections(t *testing.T) {
	var rejected []Rejection
	l := New(Config{Partitions: []int32{0, 1}, OnReject: func(r Rejection) { rejected = append(rejected, r) }}, ledger.EmptySnapshot())
	bad := record(1, 0, "B1", 2, "HOLD", 1)
	l.apply(fetch(record(0, 0, "T1", 1, "BUY", 10), record(0, 1, "T1", 1, "BUY", 10), bad))
	l.apply(fetch(record(0, 0, "T1", 1, "BUY", 10))) // the same offset again, after a reconnect
	if _, _, u := shares(l, 1); u != 10 {
		t.Fatalf("union %d", u)
	}
	if len(rejected) != 1 || rejected[0].Partition != 1 || rejected[0].Offset != 0 || rejected[0].Reason != `side "HOLD" must be BUY or SELL` {
		t.Fatalf("rejections %+v", rejected)
	}
	st := l.Stats()
	if st.Applied != 1 || st.Duplicates != 1 || st.Rejected != 1 {
		t.Fatalf("stats %+v", st)
	}
	if !l.Applied().Equal(ledger.Cut{0: 2, 1: 1}) {
		t.Fatalf("applied %s", l.Applied())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := l.WaitApplied(ctx, ledger.Cut{0: 3}); err == nil {
		t.Fatal("waited for an offset never applied")
	}
	if err := l.WaitApplied(context.Background(), ledger.Cut{0: 2, 1: 1}); err != nil {
		t.Fatal(err)
	}
}

// A batch may hold runs of several partitions, one after another and back: each run
// starts from what the partition's earlier runs applied.
func TestABatchOfInterleavedPartitionsAppliesEachOffsetOnce(t *testing.T) {
	l := New(Config{Partitions: []int32{0, 1}}, ledger.EmptySnapshot())
	stamped := func(r *kgo.Record, second int) *kgo.Record {
		r.Timestamp = time.Unix(int64(second), 0)
		return r
	}
	records := []*kgo.Record{
		stamped(record(0, 0, "T1", 1, "BUY", 10), 1),
		stamped(record(1, 0, "T2", 2, "BUY", 20), 2),
		stamped(record(0, 1, "T3", 1, "BUY", 30), 3),
		stamped(record(1, 1, "T1", 1, "BUY", 10), 4), // T1 again, from another partition
		stamped(record(0, 1, "T3", 1, "BUY", 30), 5), // offset 1 of partition 0 again
	}
	l.applyDecoded(l.decode(records))
	if _, _, u := shares(l, 1); u != 40 {
		t.Fatalf("user 1 holds %d, want 40", u)
	}
	if _, _, u := shares(l, 2); u != 20 {
		t.Fatalf("user 2 holds %d, want 20", u)
	}
	if st := l.Stats(); st.Consumed != 5 || st.Applied != 3 || st.Duplicates != 1 {
		t.Fatalf("stats %+v", st)
	}
	if !l.Applied().Equal(ledger.Cut{0: 2, 1: 2}) {
		t.Fatalf("applied %s", l.Applied())
	}
	if stamps := l.LastApplied(); !stamps[0].Equal(time.Unix(5, 0)) || !stamps[1].Equal(time.Unix(4, 0)) {
		t.Fatalf("last applied %v", stamps)
	}
}

func TestDedupWindowForgetsTheOldest(t *testing.T) {
	w := newDedupWindow(2)
	for _, step := range []struct {
		id    string
		first bool
	}{{"a", true}, {"b", true}, {"a", false}, {"c", true}, {"a", true}, {"c", false}} {
		if got := w.firstSighting(step.id); got != step.first {
			t.Fatalf("%s: first sighting %v, want %v", step.id, got, step.first)
		}
	}
	off := newDedupWindow(0)
	off.touch([]uint64{1, 2})
	if first, again := off.firstSighting("x"), off.firstSighting("x"); !first || !again {
		t.Fatal("a zero window deduplicates")
	}
}

// The window's table shifts entries back on removal; whatever the sizes and the order of
// ids, it must answer as a plain list of the last size distinct ids would, touched ahead
// or not.
func TestDedupWindowAnswersAsTheListOfItsLastIDs(t *testing.T) {
	for _, size := range []int{1, 3, 7, 64, 1000} {
		rng := rand.New(rand.NewPCG(uint64(size), 7))
		w := newDedupWindow(size)
		var recent []string // the reference: distinct ids in arrival order, oldest first
		for step := range 50_000 {
			id := fmt.Sprintf("t%d", rng.IntN(3*size+2))
			want := !slices.Contains(recent, id)
			// Touching slots ahead, as the layer does for a batch, changes no answer.
			w.touch([]uint64{w.hash(id), w.hash(fmt.Sprint(step)), 0, ^uint64(0)})
			if got := w.firstSightingOf(w.hash(id)); got != want {
				t.Fatalf("size %d, step %d, id %s: first sighting %v, want %v", size, step, id, got, want)
			}
			if want {
				recent = append(recent, id)
				if len(recent) > size {
					recent = recent[1:]
				}
			}
		}
	}
}

func TestLastPricesFollowTheLatestTradeAcrossTheSwap(t *testing.T) {
	book := ledger.NewBook()
	old, _ := message.DecodeTrade([]byte("1"), []byte(`{"trade_id":"S","user_id":1,"symbol":"MMM","side":"BUY","quantity":1,"price":50,"ts":"2026-01-02T15:00:00Z"}`))
	book.Apply(old, ledger.LogPosition{Partition: 0, Offset: 0})
	l := New(Config{Partitions: []int32{0}}, book.Freeze(1, ledger.Cut{0: 1}))
	if p, _ := l.Holdings(1, 1).Price("MMM"); p != 50 {
		t.Fatalf("snapshot price %v", p)
	}
	l.apply(fetch(record(0, 1, "T1", 1, "BUY", 5))) // price 10, later timestamp
	if p, _ := l.Holdings(1, 1).Price("MMM"); p != 10 {
		t.Fatalf("delta price %v", p)
	}
}

// A snapshot may be cut beyond what the speed layer has read: what is served then holds
// everything below the cut.
func TestServedOffsetsAreTheFurtherOfCutAndApplied(t *testing.T) {
	l := New(Config{Partitions: []int32{0, 1}}, ledger.NewBook().Freeze(3, ledger.Cut{0: 5, 1: 0}))
	l.apply(fetch(record(1, 0, "T1", 1, "BUY", 1), record(1, 1, "T2", 1, "BUY", 1)))
	if _, held := l.Served(); !held.Equal(ledger.Cut{0: 5, 1: 2}) {
		t.Fatalf("served offsets %s", held)
	}
}

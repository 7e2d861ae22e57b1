package speed

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/autonews/autonews/consume"
	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/message"
)

// Config configures the speed layer.
type Config struct {
	// Partitions of the trades topic to consume.
	Partitions []int32
	// ClientOpts connect to the cluster (seed brokers, logger); the layer adds its own
	// consume options.
	ClientOpts []kgo.Opt
	// DedupWindow is how many recent trade ids are remembered to apply a redelivered
	// trade once. Default 1,000,000; a negative value turns deduplication off.
	DedupWindow int
	// Seed, if set, is the window to start with instead of an empty one of DedupWindow.
	Seed *Seed
	// OnReject is told of every message that is not applied. Optional.
	OnReject func(Rejection)
	// OnDataLoss is told when the broker lost records this layer had applied. Optional.
	OnDataLoss func(error)
	// Tap, if set, is given every batch of records the layer reads, in log order, with
	// their decoded trades, on the consuming goroutine: another reader of the topic (the
	// archiver) shares the fetch and the decoding instead of doing both again. It must
	// not keep the slices, nor block.
	Tap    func(records []*kgo.Record, trades []DecodedTrade)
	Logger *slog.Logger
}

// Rejection is a message that failed validation or could not be applied.
type Rejection struct {
	Topic      string
	Partition  int32
	Offset     int64
	ReceivedAt time.Time
	Reason     string
	Payload    []byte
}

// Stats counts what the layer consumed.
type Stats struct {
	Consumed   int64
	Applied    int64
	Rejected   int64
	Duplicates int64
}

// Layer is the speed layer. One goroutine runs Run; readers and the cycle coordinator call
// the other methods concurrently. mu guards the view (snapshot and deltas), the applied
// offsets and the dedup window; the consumer holds it for one fetch at a time.
type Layer struct {
	cfg Config

	mu       sync.RWMutex
	snapshot *ledger.Snapshot
	active   *Delta // D_k: trades at or beyond snapshot.Cut
	next     *Delta // D_k+1 while a run is in progress, else nil
	// prices is the last price of every symbol across snapshot and active delta. It is
	// immutable: replaced, never modified, so readers share it without copying.
	prices  map[string]ledger.PriceMark
	applied ledger.Cut // next offset to apply, per partition
	window  *dedupWindow
	tracker *consume.Progress // applied, as published to waiters
	// touchUsers is the applier's buffer of the users whose accounts it reads ahead.
	touchUsers []int64
	// newPrices are the prices the fetch being applied sets, by the active delta's
	// numbers for symbols: a map by name cost a lookup a trade.
	newPrices ledger.SymbolMarks

	consumed, appliedCount, rejected, duplicates atomic.Int64
}

// New returns a layer serving snap, which will consume from snap's cut.
func New(cfg Config, snap *ledger.Snapshot) *Layer {
	if cfg.DedupWindow == 0 {
		cfg.DedupWindow = 1_000_000
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	var window *dedupWindow
	if cfg.Seed != nil {
		window = cfg.Seed.window
	} else {
		window = newDedupWindow(max(cfg.DedupWindow, 0))
	}
	applied := snap.Cut.Clone()
	for _, p := range cfg.Partitions {
		applied[p] += 0
	}
	return &Layer{
		cfg: cfg, snapshot: snap, active: newDelta(snap.Cut), prices: snap.Prices(), applied: applied,
		window: window, tracker: consume.NewProgress(message.TradesTopic, applied),
	}
}

// pipelineBatch is how many records the consumer decodes before handing them to the
// applier: small enough that a large fetch is decoded and applied in overlapping parts.
const pipelineBatch = 8192

// decodedBatch is a run of fetched records and their trades, on its way from the
// consumer to the applier.
type decodedBatch struct {
	records  []*kgo.Record
	trades   []DecodedTrade
	idHashes []uint64 // the dedup window's hash of each valid trade's id
}

// Run consumes trades from the snapshot's cut until ctx ends. Decoding and applying are a
// pipeline: the consumer's goroutine decodes a batch while an applier goroutine applies
// the one before under the layer's lock. Applying is serial, decoding is not; catching up
// after a restart applied one large fetch at a time with a core idle while it decoded.
func (l *Layer) Run(ctx context.Context) error {
	l.mu.RLock()
	start := make(map[int32]int64, len(l.cfg.Partitions))
	for _, p := range l.cfg.Partitions {
		start[p] = l.applied[p]
	}
	l.mu.RUnlock()
	batches := make(chan decodedBatch, 1)
	applierDone := make(chan struct{})
	go func() { // the applier; Run waits for it, and it ends once batches is closed
		defer close(applierDone)
		for b := range batches {
			l.applyDecoded(b)
		}
	}()
	err := consume.Run(ctx, consume.Config{Topic: message.TradesTopic, Start: start, ClientOpts: l.cfg.ClientOpts,
		PollTimeout: time.Second, OnDataLoss: l.cfg.OnDataLoss, Logger: l.cfg.Logger}, func(fetches kgo.Fetches) {
		for records := fetches.Records(); len(records) > 0; {
			n := min(len(records), pipelineBatch)
			b := l.decode(records[:n])
			batches <- b
			if l.cfg.Tap != nil {
				l.cfg.Tap(b.records, b.trades) // while the applier applies the batch
			}
			records = records[n:]
		}
	})
	close(batches)
	<-applierDone
	return err
}

// apply decodes and applies a fetch on the caller's goroutine.
func (l *Layer) apply(fetches kgo.Fetches) {
	l.applyDecoded(l.decode(fetches.Records()))
}

func (l *Layer) applyDecoded(b decodedBatch) {
	if len(b.records) == 0 {
		return
	}
	l.mu.Lock()
	var rejections []Rejection
	stamps := map[int32]time.Time{}
	var counts applyCounts
	for i, r := range b.records {
		if i%touchAhead == 0 {
			next := min(i+touchAhead, len(b.records))
			l.window.touch(b.idHashes[i:next])
			l.touchAccounts(b.trades[i:next])
		}
		// A partition's last timestamp is noted where a run of its records ends (a fetch
		// holds each partition's together), not once a record.
		if i+1 == len(b.records) || b.records[i+1].Partition != r.Partition {
			stamps[r.Partition] = r.Timestamp
		}
		if reason := l.applyRecordLocked(r, b.trades[i], b.idHashes[i], &counts); reason != "" {
			rejections = append(rejections, Rejection{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset,
				ReceivedAt: time.Now().UTC(), Reason: reason, Payload: r.Value})
		}
	}
	l.consumed.Add(counts.consumed)
	l.appliedCount.Add(counts.applied)
	l.duplicates.Add(counts.duplicates)
	newPrices := map[string]ledger.PriceMark{}
	l.newPrices.Each(func(symbol uint32, mark ledger.PriceMark) { newPrices[l.active.book.SymbolName(symbol)] = mark })
	l.newPrices.Clear()
	if len(newPrices) > 0 {
		l.prices = ledger.MergePrices(l.prices, newPrices)
	}
	applied := l.applied.Clone()
	l.mu.Unlock()
	// Rejections are recorded before the offsets are published: whoever waited for an
	// offset finds its rejection in rejected_messages.
	for _, rej := range rejections {
		l.rejected.Add(1)
		l.cfg.Logger.Warn("trade rejected", "partition", rej.Partition, "offset", rej.Offset, "reason", rej.Reason)
		if l.cfg.OnReject != nil {
			l.cfg.OnReject(rej)
		}
	}
	l.tracker.Publish(applied, stamps)
}

// touchAhead is how many trades' window slots and accounts are read ahead at a time:
// enough for their cache misses to overlap, few enough for what they read to stay in
// cache until applied (BenchmarkApply: 1.13–1.23M trades/s with 32 to 128, 1.04–1.07M
// with 1,024).
const touchAhead = 64

// touchAccounts reads ahead the active delta's accounts of the trades' users.
func (l *Layer) touchAccounts(trades []DecodedTrade) {
	users := l.touchUsers[:0]
	for i := range trades {
		if trades[i].Err == nil {
			users = append(users, trades[i].Trade.UserID)
		}
	}
	l.active.book.TouchAccounts(users)
	l.touchUsers = users
}

// DecodedTrade is a record decoded before the layer takes its lock: the trade, or why the
// record is not one.
type DecodedTrade struct {
	Trade message.Trade
	Err   error
}

// decode decodes a fetch's records, and hashes their ids for the dedup window, outside
// the layer's lock, on every core when the fetch is large: decoding was a third of the
// apply path in BenchmarkApply's profile, and readers wait for the lock meanwhile. The
// window's hash depends only on its seed, which never changes.
func (l *Layer) decode(records []*kgo.Record) decodedBatch {
	out := decodedBatch{records: records, trades: make([]DecodedTrade, len(records)), idHashes: make([]uint64, len(records))}
	decode := func(from, to int) {
		for i := from; i < to; i++ {
			// The records outlive their trades: the ids need no copy.
			d := &out.trades[i]
			d.Trade, d.Err = message.DecodeTradeInPlace(records[i].Key, records[i].Value)
			if d.Err == nil {
				out.idHashes[i] = l.window.hash(d.Trade.ID)
			}
		}
	}
	workers := runtime.GOMAXPROCS(0)
	if len(records) < 256 || workers == 1 {
		decode(0, len(records))
		return out
	}
	var wg sync.WaitGroup
	chunk := (len(records) + workers - 1) / workers
	for from := 0; from < len(records); from += chunk {
		wg.Add(1)
		go func(from, to int) { // one chunk; the call waits for all
			defer wg.Done()
			decode(from, to)
		}(from, min(from+chunk, len(records)))
	}
	wg.Wait()
	return out
}

// applyCounts are what a fetch added to the layer's counters, which are added to once a
// fetch rather than once a record.
type applyCounts struct {
	consumed, applied, duplicates int64
}

// applyRecordLocked applies one record to every delta that accepts it, notes the price it
// sets for the active delta in l.newPrices, counts it, and returns the reason if it is
// rejected.
func (l *Layer) applyRecordLocked(r *kgo.Record, d DecodedTrade, idHash uint64, counts *applyCounts) (rejectReason string) {
	counts.consumed++
	at := ledger.LogPosition{Partition: r.Partition, Offset: r.Offset}
	if r.Offset < l.applied[r.Partition] {
		return "" // redelivered after a reconnect: already applied
	}
	l.applied[r.Partition] = r.Offset + 1
	if d.Err != nil {
		return d.Err.Error()
	}
	t := d.Trade
	mark := ledger.MarkOf(t, at)
	// As in the batch layer, every valid copy of a trade counts for the last price, and so
	// does a trade refused because a position would overflow. The active delta's book
	// numbers the symbol once for the price and the position.
	inActive := l.active.accepts(at)
	var activeSymbol uint32
	if inActive {
		activeSymbol = l.active.book.Symbol(t.Symbol)
		l.newPrices.Note(activeSymbol, mark)
	}
	if !l.window.firstSightingOf(idHash) {
		counts.duplicates++
		return ""
	}
	if inActive {
		if err := l.active.applySymbol(t, activeSymbol, mark); err != nil {
			return err.Error()
		}
	}
	if l.next != nil && l.next.accepts(at) {
		if err := l.next.apply(t, mark); err != nil {
			return err.Error()
		}
	}
	counts.applied++
	return ""
}

// BeginCut starts D_k+1 at cut, seeded with the trades already applied at or beyond it.
func (l *Layer) BeginCut(cut ledger.Cut) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !cut.Covers(l.active.base) {
		return fmt.Errorf("cut %s is behind the active delta's cut %s", cut, l.active.base)
	}
	l.next = l.active.seed(cut)
	return nil
}

// AbortCut drops D_k+1.
func (l *Layer) AbortCut() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.next = nil
}

// Swap makes reads return snap ⊕ D_k+1 and drops D_k. snap must be cut where D_k+1 begins.
func (l *Layer) Swap(snap *ledger.Snapshot) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.next == nil {
		return errors.New("swap without a cut in progress")
	}
	if !l.next.base.Equal(snap.Cut) {
		return fmt.Errorf("snapshot cut %s differs from the next delta's cut %s", snap.Cut, l.next.base)
	}
	l.snapshot, l.active, l.next = snap, l.next, nil
	l.prices = ledger.MergePrices(snap.Prices(), l.active.book.Prices())
	return nil
}

// Holdings returns what readers of users in [lo, hi] see, taken under one lock: the
// snapshot, the active delta's positions and the last prices.
func (l *Layer) Holdings(lo, hi int64) ledger.View {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return ledger.View{Snapshot: l.snapshot, Delta: l.active.book.Holdings(lo, hi), Prices: l.prices}
}

// Applied returns the next offset to apply per partition.
func (l *Layer) Applied() ledger.Cut { return l.tracker.Offsets() }

// LastApplied returns the timestamp of the last record applied per partition.
func (l *Layer) LastApplied() map[int32]time.Time { return l.tracker.Stamps() }

// Served returns what holdings serve for every user, and the offsets it holds, taken at
// one moment: what a recomputation from the log up to those offsets must equal. Per
// partition that is the snapshot's cut or what the layer applied, whichever is further:
// a snapshot may be cut beyond what the speed layer has read.
func (l *Layer) Served() (ledger.View, ledger.Cut) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	held := l.applied.Clone()
	for p, off := range l.snapshot.Cut {
		held[p] = max(held[p], off)
	}
	return ledger.View{Snapshot: l.snapshot, Delta: l.active.book.Holdings(math.MinInt64, math.MaxInt64), Prices: l.prices}, held
}

// InjectDelta adds shares to a position of the active delta without a trade: a fault
// injection hook for tests of verify and of the self-correction of the next cycle.
func (l *Layer) InjectDelta(userID int64, symbol string, shares int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.active.book.Adjust(userID, symbol, shares)
}

// WaitApplied returns once every partition is applied up to target, or ctx ends.
func (l *Layer) WaitApplied(ctx context.Context, target ledger.Cut) error {
	return l.tracker.Wait(ctx, target)
}

// ActiveUser is a user and the number of their trades since the published cut.
type ActiveUser struct {
	UserID int64
	Trades int
}

// ActiveUsers returns the n users with the most trades since the published cut.
func (l *Layer) ActiveUsers(n int) []ActiveUser {
	l.mu.RLock()
	var users []ActiveUser
	l.active.book.EachAccount(func(u int64, trades int) {
		if trades > 0 {
			users = append(users, ActiveUser{UserID: u, Trades: trades})
		}
	})
	l.mu.RUnlock()
	slices.SortFunc(users, func(a, b ActiveUser) int {
		if a.Trades != b.Trades {
			return b.Trades - a.Trades
		}
		return cmp.Compare(a.UserID, b.UserID)
	})
	return users[:min(n, len(users))]
}

// Stats returns the layer's counters.
func (l *Layer) Stats() Stats {
	return Stats{Consumed: l.consumed.Load(), Applied: l.appliedCount.Load(), Rejected: l.rejected.Load(), Duplicates: l.duplicates.Load()}
}

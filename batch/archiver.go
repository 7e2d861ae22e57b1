package batch

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/twmb/franz-go/pkg/kgo"
	"golang.org/x/sync/errgroup"

	"github.com/autonews/autonews/consume"
	"github.com/autonews/autonews/ledger"
)

// ArchiverConfig configures an Archiver.
type ArchiverConfig struct {
	// Partitions of the topic to archive.
	Partitions []int32
	// ClientOpts connect to the cluster (seed brokers, logger).
	ClientOpts []kgo.Opt
	// FlushInterval bounds how long a consumed record waits before it is written to a
	// segment. Default 5s.
	FlushInterval time.Duration
	// MaxSegmentRows flushes a partition's segment early once it holds this many rows.
	// Default 1,048,576; at most 16,777,215, which keeps a segment's trade_ids within
	// what an Arrow string array addresses.
	MaxSegmentRows int
	// OnDataLoss is told when the broker lost records the archiver had read. Optional.
	OnDataLoss func(error)
	Logger     *slog.Logger
}

func (c *ArchiverConfig) setDefaults() {
	if c.FlushInterval <= 0 {
		c.FlushInterval = 5 * time.Second
	}
	if c.MaxSegmentRows <= 0 {
		c.MaxSegmentRows = 1 << 20
	}
	c.MaxSegmentRows = min(c.MaxSegmentRows, maxTradeRows)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Codec is how one topic's records become master dataset rows.
type Codec struct {
	Topic string
	// Properties are the Parquet writer's settings for the topic's segments.
	Properties func() *parquet.WriterProperties
	// NewRows makes the holder of a segment's rows until they are written, with room
	// for about expected rows.
	NewRows func(expected int) Rows
}

// Rows are a pending segment's rows, held in whatever form its codec builds records of
// fastest.
type Rows interface {
	// AppendRecord decodes a record into a row, or reports false for a record that fails
	// validation: it is not archived (the speed layer records the rejection) but its
	// offset is.
	AppendRecord(r *kgo.Record) bool
	Len() int
	// Build moves the rows into a record batch, of the topic's schema or one whose
	// columns are dictionary-encoded forms of it; the caller releases it.
	Build() arrow.RecordBatch
	Release()
}

// Archiver appends every record of a topic to the master dataset. It needs no consumer
// group: it resumes from the offsets the master dataset already covers, so archiving is
// exact. It reads the topic itself (Run), or is fed records another reader fetched and
// decoded (Feed and RunFed): the trades archiver shares the speed layer's.
type Archiver struct {
	cfg    ArchiverConfig
	codec  Codec
	master *Master

	// flushMu makes flushes one at a time; mu guards the rest and is not held while a
	// segment is written, so records keep arriving meanwhile.
	flushMu sync.Mutex
	mu      sync.Mutex
	pending map[int32]*pendingSegment
	// lastRows is the size of each partition's last segment taken to be written: the
	// next one is about as large, and its holder is sized for it.
	lastRows map[int32]int
	consumed ledger.Cut        // next offset read, per partition
	archived ledger.Cut        // next offset not yet in the master dataset
	progress *consume.Progress // consumed, as published to FlushThrough
	full     chan struct{}     // a fed segment reached MaxSegmentRows
}

// pendingSegment holds a partition's rows until they are written, as columns (Rows): a
// profile of ingest had a tenth of its time in growing a slice of decoded trades here,
// and their strings kept the garbage collector busy.
type pendingSegment struct {
	first, last int64
	rows        Rows
	// built holds rows already taken out of rows by a write that failed: they are
	// written, ahead of rows, by the next attempt.
	built []arrow.RecordBatch
	since time.Time
}

func (ps *pendingSegment) len() int {
	n := ps.rows.Len()
	for _, rec := range ps.built {
		n += int(rec.NumRows())
	}
	return n
}

// records moves the builder's rows to built and returns every row of the segment.
func (ps *pendingSegment) records() []arrow.RecordBatch {
	if ps.rows.Len() > 0 || len(ps.built) == 0 {
		ps.built = append(ps.built, ps.rows.Build())
	}
	return ps.built
}

// append moves the rows of newer, the partition's next segment, behind ps's.
func (ps *pendingSegment) append(newer *pendingSegment) {
	ps.built = append(ps.records(), newer.records()...)
	ps.last = newer.last
	ps.rows.Release()
	ps.rows = newer.rows
}

func (ps *pendingSegment) release() {
	for _, rec := range ps.built {
		rec.Release()
	}
	ps.rows.Release()
}

// NewArchiver prepares an archiver that resumes where the master dataset ends.
func NewArchiver(master *Master, codec Codec, cfg ArchiverConfig) (*Archiver, error) {
	cfg.setDefaults()
	archived, err := master.Archived(codec.Topic)
	if err != nil {
		return nil, err
	}
	for _, p := range cfg.Partitions {
		archived[p] += 0 // name every partition, at 0 when nothing is archived yet
	}
	return &Archiver{
		cfg: cfg, codec: codec, master: master,
		pending:  make(map[int32]*pendingSegment),
		lastRows: make(map[int32]int),
		consumed: archived.Clone(), archived: archived,
		progress: consume.NewProgress(codec.Topic, archived),
		full:     make(chan struct{}, 1),
	}, nil
}

// Archived returns the next offset to archive per partition.
func (a *Archiver) Archived() ledger.Cut {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.archived.Clone()
}

// pollWait bounds one fetch poll so that time-based flushes happen without traffic.
const pollWait = 250 * time.Millisecond

// Run consumes and archives until ctx ends, then flushes what it holds. It is owned by
// one goroutine; other goroutines call FlushThrough and Archived.
func (a *Archiver) Run(ctx context.Context) error {
	a.mu.Lock()
	start := map[int32]int64(a.consumed.Clone())
	a.mu.Unlock()
	err := consume.Run(ctx, consume.Config{
		Topic: a.codec.Topic, Start: start, ClientOpts: a.cfg.ClientOpts, PollTimeout: pollWait, OnDataLoss: a.cfg.OnDataLoss, Logger: a.cfg.Logger,
	}, a.archive)
	if err != nil {
		return err
	}
	return a.flush(func(*pendingSegment) bool { return true })
}

func (a *Archiver) archive(fetches kgo.Fetches) {
	a.mu.Lock()
	fetches.EachRecord(func(r *kgo.Record) {
		if ps := a.pendingFor(r); ps != nil {
			ps.rows.AppendRecord(r)
		}
	})
	consumed := a.consumed.Clone()
	a.mu.Unlock()
	a.progress.Publish(consumed, nil)
	a.flushDue()
}

// Feed archives records that another reader of the topic fetched and decoded, in log
// order: appendRow adds record i's row to rows, or reports false for a record that fails
// validation (not archived; its offset is). Records below what the archiver has read
// are skipped, so the reader may start before it. Feed writes nothing: RunFed, on a
// goroutine of its own, does; so the reader never waits for the disk.
func (a *Archiver) Feed(records []*kgo.Record, appendRow func(rows Rows, i int) bool) {
	full := false
	a.mu.Lock()
	for i, r := range records {
		if ps := a.pendingFor(r); ps != nil {
			appendRow(ps.rows, i)
			full = full || ps.len() >= a.cfg.MaxSegmentRows
		}
	}
	consumed := a.consumed.Clone()
	a.mu.Unlock()
	a.progress.Publish(consumed, nil)
	if full {
		select {
		case a.full <- struct{}{}:
		default: // a flush is asked for already
		}
	}
}

// RunFed writes the segments Feed fills, when they are due, until ctx ends; then it
// flushes what it holds. It is Run for an archiver that another reader feeds.
func (a *Archiver) RunFed(ctx context.Context) error {
	tick := time.NewTicker(pollWait)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return a.flush(func(*pendingSegment) bool { return true })
		case <-tick.C:
		case <-a.full:
		}
		a.flushDue()
	}
}

// pendingFor returns the segment that record r goes to and notes r as read, or nil for a
// record read before.
func (a *Archiver) pendingFor(r *kgo.Record) *pendingSegment {
	if r.Offset < a.consumed[r.Partition] {
		return nil
	}
	ps := a.pending[r.Partition]
	if ps == nil {
		ps = &pendingSegment{first: r.Offset, rows: a.codec.NewRows(a.lastRows[r.Partition]), since: time.Now()}
		a.pending[r.Partition] = ps
	}
	ps.last = r.Offset
	a.consumed[r.Partition] = r.Offset + 1
	return ps
}

// flushDue writes the segments that are old or large enough; a failure is logged, and
// the segment retried by the next flush.
func (a *Archiver) flushDue() {
	now := time.Now()
	err := a.flush(func(ps *pendingSegment) bool {
		return now.Sub(ps.since) >= a.cfg.FlushInterval || ps.len() >= a.cfg.MaxSegmentRows
	})
	if err != nil {
		a.cfg.Logger.Error("archive flush failed; records stay buffered and the flush is retried", "err", err)
	}
}

// flush writes the pending segments selected by due. It takes them out under mu and
// writes them without it; a failed write puts its segment back ahead of the records that
// arrived meanwhile, so nothing read is lost and the next flush retries it.
func (a *Archiver) flush(due func(*pendingSegment) bool) error {
	a.flushMu.Lock()
	defer a.flushMu.Unlock()
	a.mu.Lock()
	taken := map[int32]*pendingSegment{}
	for p, ps := range a.pending {
		if due(ps) {
			taken[p] = ps
			delete(a.pending, p)
			a.lastRows[p] = ps.len()
		}
	}
	a.mu.Unlock()

	// The partitions' segments are written side by side: a cut flushes every partition,
	// and one at a time the cycle waited on a core while the other had nothing to do.
	var errs []error
	written := map[int32]int64{}
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	var writtenMu sync.Mutex // guards errs and written
	for p, ps := range taken {
		g.Go(func() error {
			_, err := a.master.writeSegment(a.codec.Topic, p, ps.first, ps.last, a.codec.Properties(), ps.records())
			writtenMu.Lock()
			defer writtenMu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return nil
			}
			ps.release()
			written[p] = ps.last + 1
			return nil
		})
	}
	_ = g.Wait() // the writes' errors are in errs
	for p := range written {
		delete(taken, p)
	}

	a.mu.Lock()
	defer a.mu.Unlock()
	for p, next := range written {
		a.archived[p] = next
	}
	for p, failed := range taken {
		if newer := a.pending[p]; newer != nil {
			failed.append(newer)
		}
		a.pending[p] = failed
	}
	return errors.Join(errs...)
}

// FlushThrough waits until the archiver has consumed every partition up to target, then
// writes everything it holds and returns the archived offsets. If ctx ends first it
// flushes what it has consumed so far; the returned offsets are always what is durably
// in the master dataset.
func (a *Archiver) FlushThrough(ctx context.Context, target ledger.Cut) (ledger.Cut, error) {
	_ = a.progress.Wait(ctx, target) // past ctx, what was consumed so far is flushed
	if err := a.flush(func(*pendingSegment) bool { return true }); err != nil {
		return nil, err
	}
	return a.Archived(), nil
}

package batch

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/twmb/franz-go/pkg/kgo"

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
	// Default 1,048,576.
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
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Codec is how one topic's records become master dataset rows.
type Codec struct {
	Topic  string
	Schema *arrow.Schema
	// Properties are the Parquet writer's settings for the topic's segments.
	Properties func() *parquet.WriterProperties
	// Append decodes a record into a row of b, or reports false for a record that fails
	// validation: it is not archived (the speed layer records the rejection) but its
	// offset is.
	Append func(b *array.RecordBuilder, r *kgo.Record) bool
}

// Archiver appends every record of a topic to the master dataset. It needs no consumer
// group: it resumes from the offsets the master dataset already covers, so archiving is
// exact.
type Archiver struct {
	cfg    ArchiverConfig
	codec  Codec
	master *Master

	mu       sync.Mutex
	pending  map[int32]*pendingSegment
	consumed ledger.Cut        // next offset read, per partition
	archived ledger.Cut        // next offset not yet in the master dataset
	progress *consume.Progress // consumed, as published to FlushThrough
}

// pendingSegment holds a partition's rows until they are written, as Arrow columns: a
// profile of ingest had a tenth of its time in growing a slice of decoded trades here,
// and their strings kept the garbage collector busy.
type pendingSegment struct {
	first, last int64
	rows        *array.RecordBuilder
	// built holds rows already taken out of the builder by a write that failed: they
	// are written, ahead of the builder's rows, by the next attempt.
	built []arrow.RecordBatch
	since time.Time
}

func (ps *pendingSegment) len() int {
	n := ps.rows.Field(0).Len()
	for _, rec := range ps.built {
		n += int(rec.NumRows())
	}
	return n
}

// records moves the builder's rows to built and returns every row of the segment.
func (ps *pendingSegment) records() []arrow.RecordBatch {
	if ps.rows.Field(0).Len() > 0 || len(ps.built) == 0 {
		ps.built = append(ps.built, ps.rows.NewRecordBatch())
	}
	return ps.built
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
		consumed: archived.Clone(), archived: archived,
		progress: consume.NewProgress(codec.Topic, archived),
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
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.flushLocked(func(*pendingSegment) bool { return true })
}

func (a *Archiver) archive(fetches kgo.Fetches) {
	a.mu.Lock()
	fetches.EachRecord(a.addLocked)
	err := a.flushDueLocked(time.Now())
	consumed := a.consumed.Clone()
	a.mu.Unlock()
	a.progress.Publish(consumed, nil)
	if err != nil {
		a.cfg.Logger.Error("archive flush failed; records stay buffered and the flush is retried", "err", err)
	}
}

func (a *Archiver) addLocked(r *kgo.Record) {
	ps := a.pending[r.Partition]
	if ps == nil {
		ps = &pendingSegment{first: r.Offset, rows: array.NewRecordBuilder(memory.DefaultAllocator, a.codec.Schema), since: time.Now()}
		a.pending[r.Partition] = ps
	}
	ps.last = r.Offset
	a.consumed[r.Partition] = r.Offset + 1
	a.codec.Append(ps.rows, r)
}

func (a *Archiver) flushDueLocked(now time.Time) error {
	return a.flushLocked(func(ps *pendingSegment) bool {
		return now.Sub(ps.since) >= a.cfg.FlushInterval || ps.len() >= a.cfg.MaxSegmentRows
	})
}

// flushLocked writes the pending segments selected by due. A failed write keeps its
// records pending, so nothing consumed is lost; the next flush retries it.
func (a *Archiver) flushLocked(due func(*pendingSegment) bool) error {
	var errs []error
	for p, ps := range a.pending {
		if !due(ps) {
			continue
		}
		if _, err := a.master.writeSegment(a.codec.Topic, p, ps.first, ps.last, a.codec.Properties(), ps.records()); err != nil {
			errs = append(errs, err)
			continue
		}
		ps.release()
		a.archived[p] = ps.last + 1
		delete(a.pending, p)
	}
	return errors.Join(errs...)
}

// FlushThrough waits until the archiver has consumed every partition up to target, then
// writes everything it holds and returns the archived offsets. If ctx ends first it
// flushes what it has consumed so far; the returned offsets are always what is durably
// in the master dataset.
func (a *Archiver) FlushThrough(ctx context.Context, target ledger.Cut) (ledger.Cut, error) {
	_ = a.progress.Wait(ctx, target) // past ctx, what was consumed so far is flushed
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.flushLocked(func(*pendingSegment) bool { return true }); err != nil {
		return nil, err
	}
	return a.archived.Clone(), nil
}

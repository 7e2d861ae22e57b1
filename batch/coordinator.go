package batch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/message"
)

// SpeedLayer is what the cycle needs of the speed layer: the two halves of the swap.
type SpeedLayer interface {
	// BeginCut starts the next delta table: from now on every trade at or beyond cut is
	// also applied to it, including those the speed layer already applied.
	BeginCut(cut ledger.Cut) error
	// AbortCut drops the next delta table after a failed run.
	AbortCut()
	// Swap makes reads return snap ⊕ the next delta, atomically, and drops the old delta.
	Swap(snap *ledger.Snapshot) error
}

// TradeArchive is what the cut step needs of the trades archiver.
type TradeArchive interface {
	// FlushThrough archives everything up to target (or what it can before ctx ends) and
	// returns the archived offsets.
	FlushThrough(ctx context.Context, target ledger.Cut) (ledger.Cut, error)
}

// CoordinatorConfig configures the cycle.
type CoordinatorConfig struct {
	// Interval is the least time from the end of one automatic run to the start of the
	// next. Zero turns automatic runs off; RunOnce still works. Default: off.
	Interval time.Duration
	// StepAttempts is how often a failing step is tried before the run fails. Default 3.
	StepAttempts int
	// RetryBackoff is the wait before the second attempt, doubled for each further one.
	// Default 200ms.
	RetryBackoff time.Duration
	// CatchUpTimeout bounds how long the cut step waits for the archiver to reach the log
	// end; past it the cut is what is archived by then. Default 10s.
	CatchUpTimeout time.Duration
	// KeepSnapshots is how many epochs stay on disk. Default 2: the published one and the
	// one before it, to fall back on.
	KeepSnapshots int
	// LogEnd returns the log end offset of each trades partition.
	LogEnd func(context.Context) (ledger.Cut, error)
	// TrimLog, if set, deletes broker records below the cut once a snapshot holds them.
	TrimLog func(context.Context, ledger.Cut) error
	// BeforeStep, if set, runs before each step; tests use it to hold a run open.
	BeforeStep func(ctx context.Context, run int64, step Step) error
	// Disabled, if set, is asked before every run; a reason fails the run (the log cannot
	// be trusted).
	Disabled func() error
	// OnRunEnd, if set, is told the outcome of every run (for metrics).
	OnRunEnd func(RunResult)
	Runs     *RunLog
	Logger   *slog.Logger
}

func (c *CoordinatorConfig) setDefaults() {
	if c.StepAttempts <= 0 {
		c.StepAttempts = 3
	}
	if c.RetryBackoff <= 0 {
		c.RetryBackoff = 200 * time.Millisecond
	}
	if c.CatchUpTimeout <= 0 {
		c.CatchUpTimeout = 10 * time.Second
	}
	if c.KeepSnapshots <= 0 {
		c.KeepSnapshots = 2
	}
	if c.Runs == nil {
		c.Runs = NewRunLog(1000)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Coordinator runs the batch cycle: cut → compute → verify → publish → swap → retire,
// each step only after the previous one succeeded. Until a run succeeds, the previous
// snapshot and its delta keep serving.
type Coordinator struct {
	cfg      CoordinatorConfig
	master   *Master
	archiver TradeArchive
	store    *Store
	speed    SpeedLayer

	runMu   sync.Mutex // held for a whole run: one run at a time
	current *ledger.Snapshot
	// folded is the fold behind current when a run computed it; the next run advances it
	// by the new trades only. Nil, or at another cut than current's, means a full recompute.
	folded  *Aggregate
	lastRun int64
}

// NewCoordinator returns a coordinator whose published snapshot is current.
func NewCoordinator(cfg CoordinatorConfig, master *Master, archiver TradeArchive, store *Store, speed SpeedLayer, current *ledger.Snapshot) *Coordinator {
	cfg.setDefaults()
	return &Coordinator{cfg: cfg, master: master, archiver: archiver, store: store, speed: speed, current: current, lastRun: cfg.Runs.LastRun()}
}

// Runs is the log behind pipeline_runs.
func (c *Coordinator) Runs() *RunLog { return c.cfg.Runs }

// Current returns the published snapshot.
func (c *Coordinator) Current() *ledger.Snapshot {
	c.runMu.Lock()
	defer c.runMu.Unlock()
	return c.current
}

// Run starts a cycle every Interval until ctx ends. It is owned by one goroutine.
func (c *Coordinator) Run(ctx context.Context) error {
	if c.cfg.Interval <= 0 {
		<-ctx.Done()
		return nil
	}
	timer := time.NewTimer(c.cfg.Interval)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
		c.RunOnce(ctx)
		timer.Reset(c.cfg.Interval)
	}
}

// RunResult is the outcome of one run.
type RunResult struct {
	Run     int64
	Epoch   uint64
	Status  string
	Err     error
	Elapsed time.Duration
}

// cycle is the state one run carries from step to step.
type cycle struct {
	run      int64
	epoch    uint64
	prev     *ledger.Snapshot
	cut      ledger.Cut
	cutBegun bool
	snap     *ledger.Snapshot
	stats    ComputeStats
	manifest Manifest
	millis   map[string]int64
}

// RunOnce runs one cycle to its end and reports the outcome. Concurrent calls run one
// after the other.
func (c *Coordinator) RunOnce(ctx context.Context) RunResult {
	c.runMu.Lock()
	defer c.runMu.Unlock()
	c.lastRun++
	cy := &cycle{run: c.lastRun, epoch: c.current.Epoch + 1, prev: c.current, millis: map[string]int64{}}
	start := time.Now()
	runRec := RunRecord{Run: cy.run, Step: StepRun, Status: StatusRunning, Epoch: cy.epoch, Started: start}
	c.record(runRec)

	err := c.runSteps(ctx, cy)
	runRec.Finished = time.Now()
	runRec.Status = StatusSucceeded
	if err != nil {
		runRec.Status, runRec.Error = StatusFailed, err.Error()
		if cy.cutBegun && c.current == cy.prev {
			c.speed.AbortCut()
		}
		c.cfg.Logger.Error("cycle failed; the previous snapshot keeps serving", "run", cy.run, "epoch", cy.epoch, "err", err)
	} else {
		runRec.Rows = cy.stats.Applied
		c.cfg.Logger.Info("cycle published", "run", cy.run, "epoch", cy.epoch, "cut", cy.cut.String(),
			"trades", cy.stats.Applied, "incremental", cy.stats.Incremental, "positions", cy.snap.Len(), "elapsed", runRec.Finished.Sub(start), "compute", cy.stats.Phases.String())
	}
	c.record(runRec)
	res := RunResult{Run: cy.run, Epoch: cy.epoch, Status: runRec.Status, Err: err, Elapsed: runRec.Finished.Sub(start)}
	if c.cfg.OnRunEnd != nil {
		c.cfg.OnRunEnd(res)
	}
	return res
}

func (c *Coordinator) runSteps(ctx context.Context, cy *cycle) error {
	if c.cfg.Disabled != nil {
		if err := c.cfg.Disabled(); err != nil {
			return err
		}
	}
	steps := map[Step]func(context.Context, *cycle) (int64, error){
		StepCut: c.cut, StepCompute: c.compute, StepVerify: c.verify,
		StepPublish: c.publish, StepSwap: c.swap, StepRetire: c.retire,
	}
	for _, step := range Steps {
		if err := c.runStep(ctx, cy, step, steps[step]); err != nil {
			return fmt.Errorf("%s: %w", step, err)
		}
	}
	return nil
}

// runStep runs one step with retries, recording it in the run log.
func (c *Coordinator) runStep(ctx context.Context, cy *cycle, step Step, fn func(context.Context, *cycle) (int64, error)) error {
	rec := RunRecord{Run: cy.run, Step: step, Status: StatusRunning, Epoch: cy.epoch, Started: time.Now()}
	c.record(rec)
	var err error
	backoff := c.cfg.RetryBackoff
	for rec.Attempts = 1; ; rec.Attempts++ {
		if c.cfg.BeforeStep != nil {
			err = c.cfg.BeforeStep(ctx, cy.run, step)
		}
		if err == nil {
			rec.Rows, err = fn(ctx, cy)
		}
		if err == nil || rec.Attempts >= c.cfg.StepAttempts || ctx.Err() != nil {
			break
		}
		c.cfg.Logger.Warn("cycle step failed; retrying", "run", cy.run, "step", step, "attempt", rec.Attempts, "err", err)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
		}
		backoff *= 2
	}
	rec.Finished = time.Now()
	cy.millis[string(step)] = rec.Finished.Sub(rec.Started).Milliseconds()
	rec.Status = StatusSucceeded
	if err != nil {
		rec.Status, rec.Error = StatusFailed, err.Error()
	}
	c.record(rec)
	return err
}

// record keeps a run record; losing its line in the file is logged, not fatal to the run.
func (c *Coordinator) record(r RunRecord) {
	if err := c.cfg.Runs.Put(r); err != nil {
		c.cfg.Logger.Warn("record pipeline run", "run", r.Run, "step", r.Step, "err", err)
	}
}

// cut chooses C_k+1: the log end, once the archiver has written it to the master
// dataset (or what is archived when the archiver cannot catch up in time).
func (c *Coordinator) cut(ctx context.Context, cy *cycle) (int64, error) {
	logEnd, err := c.cfg.LogEnd(ctx)
	if err != nil {
		return 0, fmt.Errorf("log end offsets: %w", err)
	}
	catchUp, cancel := context.WithTimeout(ctx, c.cfg.CatchUpTimeout)
	archived, err := c.archiver.FlushThrough(catchUp, logEnd)
	cancel()
	if err != nil {
		return 0, err
	}
	if !archived.Covers(cy.prev.Cut) {
		return 0, fmt.Errorf("archived offsets %s are behind the published cut %s", archived, cy.prev.Cut)
	}
	if err := c.speed.BeginCut(archived); err != nil {
		return 0, err
	}
	cy.cut, cy.cutBegun = archived, true
	var added int64
	for p, off := range archived {
		added += off - cy.prev.Cut[p]
	}
	return added, nil
}

func (c *Coordinator) compute(ctx context.Context, cy *cycle) (int64, error) {
	var snap *ledger.Snapshot
	var stats ComputeStats
	err := ErrIncrementOverflow
	if c.folded != nil && c.folded.Cut().Equal(cy.prev.Cut) {
		snap, stats, err = c.folded.Advance(ctx, cy.prev, cy.epoch, cy.cut)
		if err != nil {
			c.folded = nil // it failed part-way and matches no cut
			if !errors.Is(err, ErrIncrementOverflow) {
				return 0, err
			}
			c.cfg.Logger.Warn("recomputing the whole history", "run", cy.run, "reason", err)
		}
	}
	if err != nil {
		c.folded = NewAggregate(c.master)
		if snap, stats, err = c.folded.Advance(ctx, ledger.EmptySnapshot(), cy.epoch, cy.cut); err != nil {
			c.folded = nil
			return 0, err
		}
	}
	cy.snap, cy.stats = snap, stats
	return int64(snap.Len()), nil
}

// verify checks the computed snapshot before anyone can read it: the cut only moves
// forward, the rows keep the invariants readers rely on, every held symbol has a price,
// and the positions conserve the shares of the trades folded into them.
func (c *Coordinator) verify(_ context.Context, cy *cycle) (int64, error) {
	snap := cy.snap
	if !snap.Cut.Covers(cy.prev.Cut) {
		return 0, fmt.Errorf("cut %s is behind the published cut %s", snap.Cut, cy.prev.Cut)
	}
	if _, err := ledger.NewSnapshot(snap.Epoch, snap.Cut, snap.Columns(), snap.Prices()); err != nil {
		return 0, err
	}
	var net int64 // modular, like the sum it is checked against
	for i := 0; i < snap.Len(); i++ {
		row := snap.Row(i)
		net += row.Shares
		if _, ok := snap.Price(row.Symbol); !ok {
			return 0, fmt.Errorf("symbol %s is held but has no price", row.Symbol)
		}
	}
	if net != cy.stats.NetShares {
		return 0, fmt.Errorf("positions sum to %d shares but the trades folded sum to %d", net, cy.stats.NetShares)
	}
	return int64(snap.Len()), nil
}

func (c *Coordinator) publish(_ context.Context, cy *cycle) (int64, error) {
	m, err := c.store.Publish(cy.snap, Manifest{
		CreatedAt:  time.Now().UTC(),
		Cut:        map[string]ledger.Cut{message.TradesTopic: cy.cut},
		StepMillis: cy.millis,
		Trades:     cy.stats.Trades,
		Duplicates: cy.stats.Duplicates,
	})
	if err != nil {
		return 0, err
	}
	cy.manifest = m
	return int64(cy.snap.Len()), nil
}

func (c *Coordinator) swap(_ context.Context, cy *cycle) (int64, error) {
	if err := c.speed.Swap(cy.snap); err != nil {
		return 0, err
	}
	c.current = cy.snap
	return int64(cy.snap.Len()), nil
}

func (c *Coordinator) retire(ctx context.Context, cy *cycle) (int64, error) {
	removed, err := c.store.Retire(c.cfg.KeepSnapshots)
	if err != nil {
		return 0, err
	}
	if c.cfg.TrimLog != nil {
		if err := c.cfg.TrimLog(ctx, cy.cut); err != nil && !errors.Is(err, context.Canceled) {
			return int64(removed), fmt.Errorf("trim broker log: %w", err)
		}
	}
	return int64(removed), nil
}

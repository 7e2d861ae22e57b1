package batch

import (
	"fmt"
	"time"

	"github.com/autonews/autonews/logbook"
)

// Step names a stage of the cycle, in the order they run.
type Step string

// The cycle's steps. StepRun is the row that stands for a whole run.
const (
	StepRun     Step = "run"
	StepCut     Step = "cut"
	StepCompute Step = "compute"
	StepVerify  Step = "verify"
	StepPublish Step = "publish"
	StepSwap    Step = "swap"
	StepRetire  Step = "retire"
)

// Steps lists the cycle's steps in order.
var Steps = []Step{StepCut, StepCompute, StepVerify, StepPublish, StepSwap, StepRetire}

// Status of a run or step.
const (
	StatusRunning   = "running"
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
	// StatusInterrupted marks a run the process stopped in the middle of.
	StatusInterrupted = "interrupted"
)

// RunRecord is one row of pipeline_runs: a whole run (Step == StepRun) or one step of it.
type RunRecord struct {
	Run      int64     `json:"run"`
	Step     Step      `json:"step"`
	Status   string    `json:"status"`
	Epoch    uint64    `json:"epoch"` // the epoch the run publishes
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished,omitzero"` // zero while running
	Rows     int64     `json:"rows"`
	Attempts int       `json:"attempts,omitempty"`
	Error    string    `json:"error,omitempty"`
}

// RunLog keeps the most recent run records for pipeline_runs and the dashboard.
type RunLog struct {
	book *logbook.Book[runKey, RunRecord]
}

type runKey struct {
	run  int64
	step Step
}

func keyOf(r RunRecord) runKey { return runKey{r.Run, r.Step} }

// NewRunLog keeps at most limit records in memory only.
func NewRunLog(limit int) *RunLog { return &RunLog{book: logbook.New(limit, keyOf)} }

// OpenRunLog loads the run log kept in path and appends to it from now on. Runs that were
// still going when the process stopped are marked interrupted.
func OpenRunLog(path string, limit int) (*RunLog, error) {
	book, err := logbook.Open(path, limit, keyOf)
	if err != nil {
		return nil, fmt.Errorf("run log: %w", err)
	}
	book.Update(func(r RunRecord) RunRecord {
		if r.Status == StatusRunning {
			r.Status = StatusInterrupted
		}
		return r
	})
	return &RunLog{book: book}, nil
}

// Put inserts or updates the record for (Run, Step). A failure to append to the file is
// returned; the record is kept in memory either way.
func (l *RunLog) Put(r RunRecord) error { return l.book.Put(r) }

// Records returns the kept records, oldest first.
func (l *RunLog) Records() []RunRecord { return l.book.Records() }

// LastRun is the highest run number recorded, 0 if none.
func (l *RunLog) LastRun() int64 {
	var last int64
	for _, r := range l.book.Records() {
		last = max(last, r.Run)
	}
	return last
}

// Close stops appending to the file.
func (l *RunLog) Close() error { return l.book.Close() }

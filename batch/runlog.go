package batch

import (
	"slices"
	"sync"
	"time"
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
)

// RunRecord is one row of pipeline_runs: a whole run (Step == StepRun) or one step of it.
type RunRecord struct {
	Run      int64
	Step     Step
	Status   string
	Epoch    uint64 // the epoch the run publishes
	Started  time.Time
	Finished time.Time // zero while running
	Rows     int64
	Attempts int
	Error    string
}

// RunLog keeps the most recent run records for pipeline_runs and the dashboard.
type RunLog struct {
	mu      sync.Mutex
	records []RunRecord
	limit   int
}

// NewRunLog keeps at most limit records, dropping the oldest.
func NewRunLog(limit int) *RunLog { return &RunLog{limit: limit} }

// Put inserts or updates the record for (Run, Step).
func (l *RunLog) Put(r RunRecord) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := len(l.records) - 1; i >= 0; i-- {
		if l.records[i].Run == r.Run && l.records[i].Step == r.Step {
			l.records[i] = r
			return
		}
	}
	l.records = append(l.records, r)
	if over := len(l.records) - l.limit; over > 0 {
		l.records = slices.Delete(l.records, 0, over)
	}
}

// Records returns a copy of the kept records, oldest first.
func (l *RunLog) Records() []RunRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.records)
}

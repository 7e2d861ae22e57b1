package batch

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
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

// RunLog keeps the most recent run records for pipeline_runs and the dashboard. With a
// file, every change is appended to it as a JSON line, so the record survives restarts.
type RunLog struct {
	mu      sync.Mutex
	records []RunRecord
	limit   int
	file    *os.File
}

// NewRunLog keeps at most limit records in memory, dropping the oldest.
func NewRunLog(limit int) *RunLog { return &RunLog{limit: limit} }

// OpenRunLog loads the run log kept in path and appends to it from now on. Runs that were
// still going when the process stopped are marked interrupted.
func OpenRunLog(path string, limit int) (*RunLog, error) {
	l := NewRunLog(limit)
	if err := l.load(path); err != nil {
		return nil, fmt.Errorf("run log %s: %w", path, err)
	}
	for i, r := range l.records {
		if r.Status == StatusRunning {
			l.records[i].Status = StatusInterrupted
		}
	}
	// Rewrite the file compactly: one line per kept record.
	err := writeFileAtomic(path, func(f *os.File) error {
		enc := json.NewEncoder(f)
		for _, r := range l.records {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("run log %s: %w", path, err)
	}
	if l.file, err = os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o644); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *RunLog) load(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var r RunRecord
		if json.Unmarshal(sc.Bytes(), &r) != nil {
			continue // a line torn by a crash
		}
		l.putLocked(r)
	}
	return sc.Err()
}

// Close stops appending to the file.
func (l *RunLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.file == nil {
		return nil
	}
	err := l.file.Close()
	l.file = nil
	return err
}

// Put inserts or updates the record for (Run, Step). A failure to append to the file is
// returned; the record is kept in memory either way.
func (l *RunLog) Put(r RunRecord) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.putLocked(r)
	if l.file == nil {
		return nil
	}
	line, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = l.file.Write(append(line, '\n'))
	return err
}

func (l *RunLog) putLocked(r RunRecord) {
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

// LastRun is the highest run number recorded, 0 if none.
func (l *RunLog) LastRun() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	var last int64
	for _, r := range l.records {
		last = max(last, r.Run)
	}
	return last
}

// Package benchmark runs AutoNews' end-to-end scenarios behind `autonews bench`: each
// starts the product in-process on loopback with a temporary data directory, drives it
// through its real interfaces (Kafka, the MySQL protocol, the master dataset), and
// measures one figure against its target.
package benchmark

import (
	"context"
	gosql "database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	_ "github.com/go-sql-driver/mysql" // the MySQL client the scenarios query with

	"github.com/autonews/autonews/server"
)

// Options size the scenarios.
type Options struct {
	// Quick runs every scenario small, to show that it works (CI runs it).
	Quick bool
	// Progress receives a line as each scenario starts. Optional.
	Progress io.Writer
	// Only, if set, names the scenarios to run.
	Only []string
	// TouchMemory, if not 0, is how many GiB of fresh memory to write once before the
	// scenarios (see TouchMemory).
	TouchMemory int
	// DuckDB, if set, is the command of the bench/duckdb module: the batch scenario runs
	// it on the same master dataset and reports the ratio of the two times.
	DuckDB string
	// MySQLBaseline, if set, is the DSN of a MySQL or MariaDB server: the queries scenario
	// loads the same holdings into it and runs the same queries against both.
	MySQLBaseline string
	// ServerProfile, if set, makes each server process a scenario starts write a CPU
	// profile to ServerProfile.serve-N.
	ServerProfile string
	// ProfileWindow, if set, is called as a scenario that runs the product in the
	// bench's process starts its clock (window names it: ingest, ingest-encoded,
	// freshness, batch, incremental) and the function it returns when the clock stops, so that a profile
	// shows the measured work without the generation of its input.
	ProfileWindow func(window string) (stop func())
}

// profileWindow starts the named measured window's profile, if any; call the result
// when the window ends.
func (o Options) profileWindow(window string) (stop func()) {
	if o.ProfileWindow == nil {
		return func() {}
	}
	return o.ProfileWindow(window)
}

// Result is one measured figure.
type Result struct {
	Scenario string  `json:"scenario"`
	Value    float64 `json:"value"`
	Unit     string  `json:"unit"`
	Target   string  `json:"target"`
	Met      *bool   `json:"met,omitempty"`
	Note     string  `json:"note,omitempty"`
}

func met(ok bool) *bool { return &ok }

// scenario is one measurement.
type scenario struct {
	name string
	run  func(ctx context.Context, o Options) ([]Result, error)
}

var scenarios = []scenario{
	{"ingest", ingest},
	{"ingest-encoded", ingestEncoded},
	{"freshness", freshness},
	{"batch", batchRecompute},
	{"queries", queries},
	{"restart", restart},
}

// Run runs every scenario and returns their results, in order, after what fresh memory
// costs on the machine (see machine.go).
func Run(ctx context.Context, o Options) ([]Result, error) {
	for _, name := range o.Only {
		if !slices.ContainsFunc(scenarios, func(s scenario) bool { return s.name == name }) {
			return nil, fmt.Errorf("no scenario %q: choose among %s", name, strings.Join(scenarioNames(), ", "))
		}
	}
	if o.TouchMemory != 0 {
		progress := o.Progress
		if progress == nil {
			progress = io.Discard
		}
		if err := TouchMemory(o.TouchMemory, progress); err != nil {
			return nil, err
		}
	}
	probe, err := freshMemoryCost()
	if err != nil {
		return nil, err
	}
	all := []Result{probe}
	for _, s := range scenarios {
		if len(o.Only) > 0 && !slices.Contains(o.Only, s.name) {
			continue
		}
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "running %s...\n", s.name)
		}
		res, err := s.run(ctx, o)
		if err != nil {
			return all, fmt.Errorf("scenario %s: %w", s.name, err)
		}
		all = append(all, res...)
		runtime.GC()
	}
	return all, nil
}

func scenarioNames() []string {
	names := make([]string, len(scenarios))
	for i, s := range scenarios {
		names[i] = s.name
	}
	return names
}

// size picks the quick or the full figure.
func size(o Options, quick, full int) int {
	if o.Quick {
		return quick
	}
	return full
}

// fixture is the product started for one scenario: a server on free loopback ports in a
// temporary data directory, and a MySQL connection pool to it.
type fixture struct {
	dir              string
	srv              *server.Server
	db               *gosql.DB
	tradesPartitions int
}

// newFixture starts the product; close stops it and removes its data directory.
func newFixture() (*fixture, error) {
	dir, err := os.MkdirTemp("", "autonews-bench-")
	if err != nil {
		return nil, err
	}
	f := &fixture{dir: dir}
	if err := f.start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return f, nil
}

func (f *fixture) start() error {
	cfg := server.DefaultConfig()
	cfg.DataDir = f.dir
	cfg.KafkaAddr, cfg.MySQLAddr, cfg.HTTPAddr = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	cfg.CycleInterval = 0
	f.tradesPartitions = cfg.TradesPartitions
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := server.Start(cfg)
	if err != nil {
		return err
	}
	db, err := gosql.Open("mysql", "root@tcp("+srv.MySQLAddr()+")/autonews")
	if err != nil {
		srv.Close()
		return err
	}
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(32)
	f.srv, f.db = srv, db
	return nil
}

func (f *fixture) stop() {
	f.db.Close()
	f.srv.Close()
}

func (f *fixture) close() {
	f.stop()
	os.RemoveAll(f.dir)
}

func since(start time.Time) float64 { return time.Since(start).Seconds() }

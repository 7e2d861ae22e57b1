package benchmark

import (
	"context"
	gosql "database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/autonews/autonews/internal/logline"
	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/message"
)

// serverProcess is the product run as its own process, `autonews serve` from the binary
// the bench runs in: the query scenarios measure it like the peer database they compare
// it with, so that client and server do not share one Go runtime's two cores.
type serverProcess struct {
	cmd                           *exec.Cmd
	exited                        chan error
	dir                           string
	kafkaAddr, mysqlAddr, logPath string
	httpAddr                      string
	// profile, if set, is where each run of the process writes a CPU profile, numbered.
	profile string
	db      *gosql.DB
}

// serverRuns numbers the server processes of one bench run, for their profiles.
var serverRuns atomic.Int32

func startServerProcess(ctx context.Context, o Options) (*serverProcess, error) {
	dir, err := os.MkdirTemp("", "autonews-bench-")
	if err != nil {
		return nil, err
	}
	p := &serverProcess{dir: dir, logPath: filepath.Join(dir, "serve.log"), profile: o.ServerProfile}
	if err := p.run(ctx); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return p, nil
}

// run starts `autonews serve` on the process's directory and returns once it answers over
// the MySQL protocol. The server picks its ports and the bench reads them from the line
// it logs once it serves, which it does when it has caught up with the log: ports the
// bench found free could be taken by another socket before the server bound them.
func (p *serverProcess) run(ctx context.Context) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the autonews binary: %w", err)
	}
	logFile, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()
	logged, err := logFile.Seek(0, io.SeekEnd) // a restart appends to the log of the runs before
	if err != nil {
		return err
	}
	const anyPort = "127.0.0.1:0"
	args := []string{"serve", "--data-dir", filepath.Join(p.dir, "data"), "--kafka-addr", anyPort,
		"--mysql-addr", anyPort, "--http-addr", anyPort, "--cycle-interval", "0"}
	if p.profile != "" {
		n := serverRuns.Add(1)
		args = append(args, "--cpuprofile", fmt.Sprintf("%s.serve-%d", p.profile, n), "--memprofile", fmt.Sprintf("%s.serve-%d.allocs", p.profile, n))
	}
	p.cmd = exec.Command(exe, args...)
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	if err := p.cmd.Start(); err != nil {
		return fmt.Errorf("start %s serve: %w", exe, err)
	}
	p.exited = make(chan error, 1)
	go func() { p.exited <- p.cmd.Wait() }() // the only Wait; end reads its result
	deadline := time.Now().Add(120 * time.Second)
	for {
		var serving bool
		if p.kafkaAddr, p.mysqlAddr, p.httpAddr, serving = p.servingAddrs(logged); serving {
			break
		}
		select {
		case err := <-p.exited:
			p.exited <- err
			p.end()
			return fmt.Errorf("autonews serve exited (%v); the end of its log:\n%s", err, p.logTail())
		case <-ctx.Done():
			p.end()
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.end()
			return fmt.Errorf("autonews serve did not serve within 120 s; the end of its log:\n%s", p.logTail())
		}
	}
	if p.db, err = gosql.Open("mysql", "root@tcp("+p.mysqlAddr+")/autonews"); err != nil {
		p.end()
		return err
	}
	p.db.SetMaxOpenConns(32)
	p.db.SetMaxIdleConns(32)
	if err := p.db.PingContext(ctx); err != nil {
		p.end()
		return fmt.Errorf("autonews serve logged that it serves on %s, but: %w", p.mysqlAddr, err)
	}
	return nil
}

// servingAddrs returns the addresses the server logged once serving, in its log after
// the first from bytes.
func (p *serverProcess) servingAddrs(from int64) (kafka, mysql, http string, ok bool) {
	addrs, ok := logline.AttrsInFile(p.logPath, from, "autonews serving", "kafka", "mysql", "http")
	if !ok {
		return "", "", "", false
	}
	return addrs[0], addrs[1], addrs[2], true
}

// logTail returns the last lines of the process's log, for an error: the log goes with
// the process's directory when the scenario ends.
func (p *serverProcess) logTail() string {
	const lines = 20
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return fmt.Sprintf("(the log cannot be read: %v)", err)
	}
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(all[max(0, len(all)-lines):], "\n")
}

// rss is the process's resident memory in bytes, from /proc.
func (p *serverProcess) rss() (int64, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, fmt.Errorf("read the server's memory use: %w", err)
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kib, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kib << 10, err
		}
	}
	return 0, errors.New("no VmRSS line in /proc status")
}

// load produces records to the process's broker and waits until it applied them.
func (p *serverProcess) load(ctx context.Context, records []*kgo.Record) error {
	ends, err := produceTo(ctx, p.kafkaAddr, records)
	if err != nil {
		return err
	}
	for {
		applied, err := p.applied(ctx)
		if err != nil {
			return err
		}
		if applied[message.TradesTopic].Covers(ends[message.TradesTopic]) && applied[message.NewsTopic].Covers(ends[message.NewsTopic]) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// applied reads what the process applied per topic and partition from pipeline_lag.
func (p *serverProcess) applied(ctx context.Context) (map[string]ledger.Cut, error) {
	rows, err := p.db.QueryContext(ctx, "SELECT topic, `partition`, applied_offset FROM pipeline_lag")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	applied := map[string]ledger.Cut{message.TradesTopic: {}, message.NewsTopic: {}}
	for rows.Next() {
		var topic string
		var partition int32
		var offset int64
		if err := rows.Scan(&topic, &partition, &offset); err != nil {
			return nil, err
		}
		if applied[topic] != nil {
			applied[topic][partition] = offset
		}
	}
	return applied, rows.Err()
}

// stop ends the process and removes its directory.
func (p *serverProcess) stop() {
	p.end()
	os.RemoveAll(p.dir)
}

// end ends the process it started, by its PID: SIGTERM, then SIGKILL after 30 s. It
// reports whether the process ended on SIGTERM.
func (p *serverProcess) end() (clean bool) {
	if p.db != nil {
		p.db.Close()
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		return err == nil
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
		return false
	}
}

package benchmark

import (
	"context"
	gosql "database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

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
	db                            *gosql.DB
}

func startServerProcess(ctx context.Context) (*serverProcess, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find the autonews binary: %w", err)
	}
	dir, err := os.MkdirTemp("", "autonews-bench-")
	if err != nil {
		return nil, err
	}
	addrs := make([]string, 3)
	for i := range addrs {
		if addrs[i], err = freeLoopbackAddr(); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	p := &serverProcess{dir: dir, kafkaAddr: addrs[0], mysqlAddr: addrs[1], logPath: filepath.Join(dir, "serve.log"), exited: make(chan error, 1)}
	logFile, err := os.Create(p.logPath)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	defer logFile.Close()
	p.cmd = exec.Command(exe, "serve", "--data-dir", filepath.Join(dir, "data"), "--kafka-addr", p.kafkaAddr,
		"--mysql-addr", p.mysqlAddr, "--http-addr", addrs[2], "--cycle-interval", "0")
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	if err := p.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start %s serve: %w", exe, err)
	}
	go func() { p.exited <- p.cmd.Wait() }() // the only Wait; stop reads its result
	if p.db, err = gosql.Open("mysql", "root@tcp("+p.mysqlAddr+")/autonews"); err != nil {
		p.stop()
		return nil, err
	}
	p.db.SetMaxOpenConns(32)
	p.db.SetMaxIdleConns(32)
	deadline := time.Now().Add(60 * time.Second)
	for p.db.PingContext(ctx) != nil {
		select {
		case err := <-p.exited:
			p.exited <- err
			p.stop()
			return nil, fmt.Errorf("autonews serve exited (%v); its log: %s", err, p.logPath)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, errors.New("autonews serve did not answer within 60 s")
		}
	}
	return p, nil
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

// stop ends the process it started, by its PID: SIGTERM, then SIGKILL after 10 s.
func (p *serverProcess) stop() {
	if p.db != nil {
		p.db.Close()
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	os.RemoveAll(p.dir)
}

func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

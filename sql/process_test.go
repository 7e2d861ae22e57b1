package sql_test

import (
	"context"
	gosql "database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/autonews/autonews/internal/logline"
	"github.com/autonews/autonews/message"
)

// binaryDir holds the binary that binary builds; TestMain removes it after the tests.
var binaryDir string

// binary builds cmd/autonews once per test run.
var binary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "autonews-bin-")
	if err != nil {
		return "", err
	}
	binaryDir = dir
	path := filepath.Join(dir, "autonews")
	out, err := exec.Command("go", "build", "-o", path, "../cmd/autonews").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return path, nil
})

// TestMain removes the binary the tests built: left behind, each run of the package's
// tests kept 125 MB in the temporary directory.
func TestMain(m *testing.M) {
	code := m.Run()
	if binaryDir != "" {
		os.RemoveAll(binaryDir)
	}
	os.Exit(code)
}

// process is `autonews serve` (or `autonews broker`) running as a child process on
// loopback. Its first start picks free ports itself, which the test reads from the line
// it logs once it serves; a restart keeps them, as clients that carry on across it (a
// producer streaming through a broker's restart) expect. Ports the test found free
// could be taken by another socket before the process bound them.
type process struct {
	t         testing.TB
	dataDir   string
	kafkaAddr string
	mysqlAddr string
	httpAddr  string
	extra     []string
	cmd       *exec.Cmd
	logPath   string
	db        *gosql.DB
}

func newProcess(t testing.TB, extra ...string) *process {
	t.Helper()
	p := &process{t: t, dataDir: t.TempDir(), extra: extra}
	p.logPath = filepath.Join(p.dataDir, "..", "process.log")
	t.Cleanup(func() {
		if p.cmd != nil {
			p.kill()
		}
		if t.Failed() {
			if b, err := os.ReadFile(p.logPath); err == nil {
				t.Logf("server log (tail):\n%s", tail(string(b), 4000))
			}
		}
	})
	return p
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// start runs `autonews serve` and waits until it answers a query.
func (p *process) start() {
	p.t.Helper()
	addrs := p.runUntilServing(append([]string{"serve", "--data-dir", p.dataDir, "--kafka-addr", orAnyPort(p.kafkaAddr),
		"--mysql-addr", orAnyPort(p.mysqlAddr), "--http-addr", orAnyPort(p.httpAddr)}, p.extra...),
		"autonews serving", "kafka", "mysql", "http")
	p.kafkaAddr, p.mysqlAddr, p.httpAddr = addrs[0], addrs[1], addrs[2]
	var err error
	p.db, err = gosql.Open("mysql", "root@tcp("+p.mysqlAddr+")/autonews")
	if err != nil {
		p.t.Fatal(err)
	}
	p.waitUntil("the server answers queries", func() bool { return p.db.Ping() == nil })
}

// startBroker runs `autonews broker` and waits until it accepts connections.
func (p *process) startBroker() {
	p.t.Helper()
	p.kafkaAddr = p.runUntilServing([]string{"broker", "--data-dir", p.dataDir, "--kafka-addr", orAnyPort(p.kafkaAddr)},
		"broker serving", "kafka")[0]
}

// runUntilServing runs the process and returns the values of keys in the line msg it
// logs once it serves, in this run's part of the log.
func (p *process) runUntilServing(args []string, msg string, keys ...string) []string {
	p.t.Helper()
	logged := p.logSize()
	p.run(args)
	var values []string
	p.waitUntil(fmt.Sprintf("the process logs %q", msg), func() (ok bool) {
		values, ok = logline.AttrsInFile(p.logPath, logged, msg, keys...)
		return ok
	})
	return values
}

// orAnyPort is addr, or a loopback address on a port the process picks when there is none
// yet.
func orAnyPort(addr string) string {
	if addr == "" {
		return "127.0.0.1:0"
	}
	return addr
}

// logSize is how many bytes the process's log holds: each run appends to it.
func (p *process) logSize() int64 {
	info, err := os.Stat(p.logPath)
	if err != nil {
		return 0
	}
	return info.Size()
}

func (p *process) run(args []string) {
	p.t.Helper()
	bin, err := binary()
	if err != nil {
		p.t.Fatal(err)
	}
	logFile, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	defer logFile.Close()
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
}

func (p *process) waitUntil(what string, ready func() bool) {
	p.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !ready() {
		if time.Now().After(deadline) {
			p.t.Fatalf("timed out after 60s waiting until %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill ends the server with SIGKILL: no shutdown code runs.
func (p *process) kill() {
	p.closeDB()
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	_ = p.cmd.Wait()
	p.cmd = nil
}

// stop ends the server with SIGTERM and checks it shut down cleanly.
func (p *process) stop() {
	p.t.Helper()
	p.closeDB()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	err := p.cmd.Wait()
	p.cmd = nil
	if err != nil {
		p.t.Fatalf("server did not shut down cleanly: %v", err)
	}
}

func (p *process) closeDB() {
	if p.db != nil {
		p.db.Close()
		p.db = nil
	}
}

func (p *process) query(q string) (string, error) {
	h := &harness{db: p.db}
	return h.query(q)
}

// waitForQuery polls q until it returns want.
func (p *process) waitForQuery(q, want string, timeout time.Duration) string {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got, err := p.query(q)
		if err == nil && sortedOutput(got) == want {
			return got
		}
		if time.Now().After(deadline) {
			return got
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// produceTo produces trades, keyed by their user, to the broker at addr.
func produceTo(addr string, values ...string) error {
	client, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)))
	if err != nil {
		return err
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	records := make([]*kgo.Record, len(values))
	for i, v := range values {
		records[i] = &kgo.Record{Topic: message.TradesTopic, Key: []byte(userIDOf(v)), Value: []byte(v)}
	}
	return client.ProduceSync(ctx, records...).FirstErr()
}

func (p *process) runCycle() string {
	h := &harness{db: p.db}
	return h.runCycle()
}

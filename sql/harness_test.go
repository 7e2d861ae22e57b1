package sql_test

import (
	"context"
	gosql "database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/autonews/autonews/batch"
	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/message"
	"github.com/autonews/autonews/server"
)

// harness is a server started in-process on free loopback ports and a temporary data
// directory, with a MySQL connection pool and a Kafka producer pointed at it.
type harness struct {
	t        testing.TB
	dataDir  string
	srv      *server.Server
	db       *gosql.DB
	producer *kgo.Client
	hold     *stepHold
	// releaseLater lets the run held by cycle-start go on.
	releaseLater chan<- struct{}
	configure    func(*server.Config)
}

func startHarness(t testing.TB) *harness {
	return startHarnessWith(t, false)
}

// startHarnessWith starts a server with AutoNews' plan rules on, or with go-mysql-server's
// generic plans only.
func startHarnessWith(t testing.TB, genericPlans bool) *harness {
	return startHarnessConfig(t, func(c *server.Config) { c.GenericPlans = genericPlans })
}

// startHarnessConfig starts a server whose configuration configure adjusts.
func startHarnessConfig(t testing.TB, configure func(*server.Config)) *harness {
	t.Helper()
	h := &harness{t: t, dataDir: t.TempDir(), hold: &stepHold{}, configure: configure}
	h.start()
	t.Cleanup(h.stop)
	return h
}

func (h *harness) start() {
	h.t.Helper()
	cfg := server.DefaultConfig()
	cfg.DataDir = h.dataDir
	cfg.KafkaAddr = "127.0.0.1:0"
	cfg.MySQLAddr = "127.0.0.1:0"
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.CycleInterval = 0
	cfg.ArchiveFlushInterval = 100 * time.Millisecond
	cfg.BeforeStep = h.hold.beforeStep
	if h.configure != nil {
		h.configure(&cfg)
	}
	cfg.Logger = testLogger(h.t)
	srv, err := server.Start(cfg)
	if err != nil {
		h.t.Fatalf("start server: %v", err)
	}
	h.srv = srv
	h.db, err = gosql.Open("mysql", "root:"+cfg.MySQLPassword+"@tcp("+srv.MySQLAddr()+")/autonews")
	if err != nil {
		h.t.Fatal(err)
	}
	h.producer, err = kgo.NewClient(kgo.SeedBrokers(srv.KafkaAddr()), kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)))
	if err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) stop() {
	if h.srv == nil {
		return
	}
	h.producer.Close()
	h.db.Close()
	if err := h.srv.Close(); err != nil {
		h.t.Errorf("close server: %v", err)
	}
	h.srv = nil
}

// restart stops the server cleanly and starts it again on the same data directory. The
// embedded broker comes back on a new port.
func (h *harness) restart() {
	h.stop()
	h.start()
}

func testLogger(t testing.TB) *slog.Logger {
	level := slog.LevelWarn
	if os.Getenv("AUTONEWS_TEST_LOG") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: level}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// produce sends messages to topic and waits until the speed layer applied them. A trade
// without an explicit key is keyed by its user_id, as the contract requires.
func (h *harness) produce(topic, key string, values []string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	records := make([]*kgo.Record, 0, len(values))
	for _, v := range values {
		r := &kgo.Record{Topic: topic, Value: []byte(v)}
		switch {
		case key == "null":
		case key != "":
			r.Key = []byte(key)
		case topic == message.TradesTopic:
			r.Key = []byte(userIDOf(v))
		case topic == message.NewsTopic:
			r.Key = []byte(newsIDOf(v))
		}
		records = append(records, r)
	}
	results := h.producer.ProduceSync(ctx, records...)
	if err := results.FirstErr(); err != nil {
		return err
	}
	target := ledger.Cut{}
	for _, r := range results {
		target[r.Record.Partition] = max(target[r.Record.Partition], r.Record.Offset+1)
	}
	if topic == message.NewsTopic {
		return h.srv.NewsFeed().WaitApplied(ctx, target)
	}
	return h.srv.Speed().WaitApplied(ctx, target)
}

func newsIDOf(value string) string {
	var m struct {
		NewsID string `json:"news_id"`
	}
	_ = json.Unmarshal([]byte(value), &m)
	return m.NewsID
}

// userIDOf extracts user_id for keying; an unparsable value yields an empty key.
func userIDOf(value string) string {
	var m struct {
		UserID json.RawMessage `json:"user_id"`
	}
	_ = json.Unmarshal([]byte(value), &m)
	return string(m.UserID)
}

// query runs q and renders the rows, one per line, columns separated by spaces; NULL
// shows as NULL.
func (h *harness) query(q string) (string, error) {
	rows, err := h.db.Query(q)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return "", err
	}
	var out strings.Builder
	values, ptrs := rawScanTargets(len(cols))
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return "", err
		}
		for i, v := range values {
			if i > 0 {
				out.WriteByte(' ')
			}
			if v == nil {
				out.WriteString("NULL")
			} else {
				out.Write(v)
			}
		}
		out.WriteByte('\n')
	}
	return out.String(), rows.Err()
}

// stepHold holds a cycle open before a chosen step until the test releases it, or makes
// a chosen step fail.
type stepHold struct {
	mu      sync.Mutex
	step    batch.Step
	reached chan int64
	release chan struct{}
	failing batch.Step
}

// failAt makes every attempt of step fail until the next arm or failAt.
func (s *stepHold) failAt(step batch.Step) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failing = step
}

func (s *stepHold) arm(step batch.Step) (reached <-chan int64, release chan<- struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.step, s.reached, s.release = step, make(chan int64, 1), make(chan struct{})
	return s.reached, s.release
}

func (s *stepHold) beforeStep(ctx context.Context, run int64, step batch.Step) error {
	s.mu.Lock()
	if s.failing == step {
		s.mu.Unlock()
		return fmt.Errorf("injected failure before %s", step)
	}
	if s.step != step {
		s.mu.Unlock()
		return nil
	}
	reached, release := s.reached, s.release
	s.step = ""
	s.mu.Unlock()
	reached <- run
	select {
	case <-release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// cycleResult renders the row CALL autonews.run_cycle() returns, without its timing.
func (h *harness) runCycle() string {
	var (
		run, elapsed int64
		epoch        uint64
		status       string
		errText      gosql.NullString
	)
	err := h.db.QueryRow("CALL autonews.run_cycle()").Scan(&run, &epoch, &status, &elapsed, &errText)
	if err != nil {
		return "error: " + err.Error()
	}
	out := fmt.Sprintf("run %d epoch %d %s", run, epoch, status)
	if errText.Valid {
		out += ": " + errText.String
	}
	return out
}

// corruptSnapshot flips one byte in the middle of a file of the published snapshot.
func (h *harness) corruptSnapshot(file string) {
	h.t.Helper()
	dir := filepath.Join(h.dataDir, "snapshots")
	current, err := os.ReadFile(filepath.Join(dir, "CURRENT"))
	if err != nil {
		h.t.Fatal(err)
	}
	path := filepath.Join(dir, strings.TrimSpace(string(current)), file)
	data, err := os.ReadFile(path)
	if err != nil {
		h.t.Fatal(err)
	}
	data[len(data)/2] ^= 0x40
	if err := os.WriteFile(path, data, 0o644); err != nil {
		h.t.Fatal(err)
	}
}

// rawScanTargets returns n raw values and the pointers to them that rows.Scan fills: the
// tests compare what the server sent, byte for byte.
func rawScanTargets(n int) ([]gosql.RawBytes, []any) {
	values := make([]gosql.RawBytes, n)
	ptrs := make([]any, n)
	for i := range values {
		ptrs[i] = &values[i]
	}
	return values, ptrs
}

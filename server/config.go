package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/autonews/autonews/batch"
	"github.com/autonews/autonews/news"
)

// Config is the process configuration. DefaultConfig returns the defaults stated on each
// field.
type Config struct {
	// DataDir holds the broker log, the master dataset and the snapshots. Default ./data.
	DataDir string
	// KafkaAddr is where the embedded broker listens. Default 127.0.0.1:9092.
	KafkaAddr string
	// Brokers, when set, are the seed brokers of an existing Kafka cluster; nothing is
	// embedded then.
	Brokers []string
	// TradesPartitions is the partition count of the trades topic when it is created.
	// Default 4.
	TradesPartitions int
	// MySQLAddr is where the MySQL protocol is served. Default 127.0.0.1:3306.
	MySQLAddr string
	// MySQLUser is the admin account. Default root.
	MySQLUser string
	// MySQLPassword is the admin account's password. Default empty: with no password and
	// no read-only account, logins are not checked, and only loopback may be listened on.
	MySQLPassword string
	// MySQLReadonlyUser, if set, is an account that may only read, for BI tools.
	MySQLReadonlyUser     string
	MySQLReadonlyPassword string
	// HTTPAddr is where /metrics, /healthz and /readyz are served. Default 127.0.0.1:8080.
	HTTPAddr string
	// CycleInterval is the least time between automatic batch cycles; 0 turns them off.
	// Default 1m.
	CycleInterval time.Duration
	// ArchiveFlushInterval bounds how long a consumed trade waits to be archived.
	// Default 5s.
	ArchiveFlushInterval time.Duration
	// DedupWindow is how many recent trade ids the speed layer remembers. Default 1,000,000.
	DedupWindow int
	// RelevanceThreshold is the least portfolio weight that makes a symbol's news relevant,
	// the default of each session's autonews_relevance_threshold. Default 0.10.
	RelevanceThreshold float64
	// CompaniesFile, if set, is a company list (the columns of the S&P 500 list) used
	// instead of the one shipped inside the binary.
	CompaniesFile string
	// RejectedRetention is how many rejected messages rejected_messages keeps, across
	// restarts. Default 100,000.
	RejectedRetention int
	// RebuildFromMaster, when the broker's log went backwards, replays the master dataset
	// into it instead of refusing to apply anything. Default off.
	RebuildFromMaster bool
	// KafkaSyncWrites fsyncs every produced batch of the embedded broker. Default off:
	// records written before a process crash survive in the page cache either way.
	KafkaSyncWrites bool
	// GenericPlans turns off AutoNews' own query plan rules (tests compare both ways).
	GenericPlans bool
	// BeforeStep, if set, runs before each cycle step. Tests use it to hold a run open.
	BeforeStep func(ctx context.Context, run int64, step batch.Step) error
	// Logger receives every component's logs. Default slog.Default().
	Logger *slog.Logger
}

// DefaultConfig returns the configuration of `autonews serve` with no flags.
func DefaultConfig() Config {
	return Config{
		DataDir:              "./data",
		KafkaAddr:            "127.0.0.1:9092",
		TradesPartitions:     4,
		MySQLAddr:            "127.0.0.1:3306",
		MySQLUser:            "root",
		HTTPAddr:             "127.0.0.1:8080",
		CycleInterval:        time.Minute,
		ArchiveFlushInterval: 5 * time.Second,
		DedupWindow:          1_000_000,
		RelevanceThreshold:   news.DefaultRelevanceThreshold,
		RejectedRetention:    100_000,
	}
}

// Validate reports every configuration error at once, each saying what to change.
func (c Config) Validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("data directory is empty: set --data-dir"))
	}
	if len(c.Brokers) == 0 {
		if err := checkLoopback("--kafka-addr", c.KafkaAddr); err != nil {
			errs = append(errs, err)
		}
	}
	if c.MySQLPassword == "" {
		// Beyond loopback, anyone who can reach the port could log in and write.
		if err := checkLoopback("--mysql-addr", c.MySQLAddr); err != nil {
			errs = append(errs, err)
		}
		if err := checkLoopback("--http-addr", c.HTTPAddr); err != nil {
			errs = append(errs, err)
		}
	} else if _, _, err := net.SplitHostPort(c.MySQLAddr); err != nil {
		errs = append(errs, fmt.Errorf("--mysql-addr %q is not host:port: %v", c.MySQLAddr, err))
	}
	if c.MySQLUser == "" {
		errs = append(errs, errors.New("--mysql-user is empty: name the admin account"))
	}
	if c.MySQLReadonlyUser != "" && c.MySQLReadonlyPassword == "" {
		errs = append(errs, errors.New("--mysql-readonly-user needs --mysql-readonly-password"))
	}
	if c.MySQLReadonlyUser != "" && c.MySQLReadonlyUser == c.MySQLUser {
		errs = append(errs, errors.New("--mysql-readonly-user must differ from --mysql-user"))
	}
	if c.TradesPartitions < 1 || c.TradesPartitions > 1024 {
		errs = append(errs, fmt.Errorf("--trades-partitions %d must be between 1 and 1024", c.TradesPartitions))
	}
	if c.CycleInterval < 0 {
		errs = append(errs, fmt.Errorf("--cycle-interval %s must not be negative (0 turns automatic cycles off)", c.CycleInterval))
	}
	if c.RelevanceThreshold < 0 || c.RelevanceThreshold > 1 {
		errs = append(errs, fmt.Errorf("--relevance-threshold %v must be between 0 and 1", c.RelevanceThreshold))
	}
	if c.RejectedRetention < 1 {
		errs = append(errs, fmt.Errorf("--rejected-retention %d must be at least 1", c.RejectedRetention))
	}
	if c.ArchiveFlushInterval <= 0 {
		errs = append(errs, fmt.Errorf("archive flush interval %s must be positive", c.ArchiveFlushInterval))
	}
	return errors.Join(errs...)
}

// checkLoopback accepts host:port addresses on the loopback interface. Listening beyond
// loopback needs an admin password.
func checkLoopback(flag, addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%s %q is not host:port: %v", flag, addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%s %q is not a loopback address: AutoNews listens beyond loopback only with an admin password (set --mysql-password) or use 127.0.0.1", flag, addr)
	}
	return nil
}

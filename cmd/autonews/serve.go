package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/autonews/autonews/server"
)

func runServe(ctx context.Context, args []string, stderr io.Writer) error {
	cfg := server.DefaultConfig()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "directory of the broker log, master dataset and snapshots (locked while serving)")
	fs.StringVar(&cfg.KafkaAddr, "kafka-addr", cfg.KafkaAddr, "listen address of the embedded Kafka-protocol broker")
	brokers := fs.String("brokers", "", "comma-separated seed brokers of an existing Kafka cluster; nothing is embedded then")
	fs.IntVar(&cfg.TradesPartitions, "trades-partitions", cfg.TradesPartitions, "partitions of the trades topic when it is created")
	fs.StringVar(&cfg.MySQLAddr, "mysql-addr", cfg.MySQLAddr, "listen address of the MySQL protocol")
	fs.StringVar(&cfg.MySQLUser, "mysql-user", cfg.MySQLUser, "admin account of the MySQL protocol")
	fs.StringVar(&cfg.MySQLPassword, "mysql-password", "", "admin password (or $AUTONEWS_MYSQL_PASSWORD); needed to listen beyond loopback")
	fs.StringVar(&cfg.MySQLReadonlyUser, "mysql-readonly-user", "", "an account that may only SELECT, for BI tools")
	fs.StringVar(&cfg.MySQLReadonlyPassword, "mysql-readonly-password", "", "password of the read-only account (or $AUTONEWS_MYSQL_READONLY_PASSWORD)")
	fs.StringVar(&cfg.HTTPAddr, "http-addr", cfg.HTTPAddr, "listen address of /metrics, /healthz, /readyz and the dashboard")
	fs.DurationVar(&cfg.CycleInterval, "cycle-interval", cfg.CycleInterval, "least time between automatic batch cycles; 0 turns them off")
	fs.DurationVar(&cfg.ArchiveFlushInterval, "archive-flush-interval", cfg.ArchiveFlushInterval, "how long a consumed trade may wait to be archived")
	fs.IntVar(&cfg.DedupWindow, "dedup-window", cfg.DedupWindow, "recent trade ids the speed layer remembers to apply a redelivered trade once")
	fs.Float64Var(&cfg.RelevanceThreshold, "relevance-threshold", cfg.RelevanceThreshold, "least portfolio weight that makes a symbol's news relevant (sessions may SET autonews_relevance_threshold)")
	fs.StringVar(&cfg.CompaniesFile, "companies", "", "company list CSV (columns Symbol, Security, ...) to use instead of the built-in S&P 500 list")
	fs.IntVar(&cfg.RejectedRetention, "rejected-retention", cfg.RejectedRetention, "how many rejected messages rejected_messages keeps")
	fs.BoolVar(&cfg.RebuildFromMaster, "rebuild-from-master", false, "if the broker's log went backwards, replay the master dataset into it instead of refusing to apply anything")
	fs.BoolVar(&cfg.KafkaSyncWrites, "kafka-sync-writes", cfg.KafkaSyncWrites, "fsync every batch the embedded broker accepts")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile from start to shutdown to this file, for go tool pprof")
	allocProfile := fs.String("memprofile", "", "write a profile of the allocations from start to shutdown to this file at shutdown, for go tool pprof")
	if err := fs.Parse(args); err != nil {
		return err
	}
	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	// Passwords may come from the environment, which, unlike flags, ps does not show.
	if cfg.MySQLPassword == "" {
		cfg.MySQLPassword = os.Getenv("AUTONEWS_MYSQL_PASSWORD")
	}
	if cfg.MySQLReadonlyPassword == "" {
		cfg.MySQLReadonlyPassword = os.Getenv("AUTONEWS_MYSQL_READONLY_PASSWORD")
	}
	if *brokers != "" {
		cfg.Brokers = strings.Split(*brokers, ",")
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return err
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	srv, err := server.Start(cfg)
	if err != nil {
		return err
	}
	waitErr := srv.Wait(ctx)
	cfg.Logger.Info("shutting down")
	closeErr := errors.Join(srv.Close(), writeAllocProfile(*allocProfile))
	if waitErr != nil {
		return waitErr
	}
	return closeErr
}

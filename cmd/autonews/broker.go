package main

import (
	"context"
	"flag"
	"io"
	"log/slog"

	"github.com/autonews/autonews/server"
)

func runBroker(ctx context.Context, args []string, stderr io.Writer) error {
	defaults := server.DefaultConfig()
	fs := flag.NewFlagSet("broker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", defaults.DataDir, "directory of the broker log (locked while running)")
	addr := fs.String("kafka-addr", defaults.KafkaAddr, "listen address of the broker")
	syncWrites := fs.Bool("kafka-sync-writes", false, "fsync every batch the broker accepts")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	return server.RunBroker(ctx, *dataDir, *addr, *syncWrites, log)
}

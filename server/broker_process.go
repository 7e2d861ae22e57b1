package server

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
)

// RunBroker runs the embedded Kafka-protocol broker alone, persisting under dataDir/kafka,
// until ctx ends. `serve --brokers` can then connect to it as to any Kafka cluster.
func RunBroker(ctx context.Context, dataDir, addr string, syncWrites bool, log *slog.Logger) error {
	if err := checkLoopback("--kafka-addr", addr); err != nil {
		return err
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	lock, err := lockDataDir(dataDir)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	broker, err := startBroker(addr, filepath.Join(dataDir, "kafka"), syncWrites, log)
	if err != nil {
		return err
	}
	log.Info("broker serving", "kafka", broker.ListenAddrs()[0], "data_dir", dataDir)
	<-ctx.Done()
	broker.Close()
	return nil
}

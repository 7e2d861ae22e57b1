package server

import (
	"fmt"
	"log/slog"
	"net"
	"strconv"

	"github.com/twmb/franz-go/pkg/kfake"
)

// startBroker starts the embedded Kafka-protocol broker: one broker on addr, persisting
// to dir so that topics and records survive a restart.
func startBroker(addr, dir string, syncWrites bool, log *slog.Logger) (*kfake.Cluster, error) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, fmt.Errorf("kafka port %q: %w", portText, err)
	}
	opts := []kfake.Opt{
		kfake.Ports(port),
		kfake.DataDir(dir),
		// kfake binds 127.0.0.1; bind the host that was asked for instead.
		kfake.ListenFn(func(network, address string) (net.Listener, error) {
			_, p, _ := net.SplitHostPort(address)
			return net.Listen(network, net.JoinHostPort(host, p))
		}),
		kfake.WithLogger(brokerLogger{log}),
		kfake.ClusterID("autonews"),
	}
	if syncWrites {
		opts = append(opts, kfake.SyncWrites())
	}
	cluster, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("embedded broker on %s: %w", addr, err)
	}
	return cluster, nil
}

// brokerLogger passes the broker's warnings and errors to slog; its request logs are
// too chatty for an operator.
type brokerLogger struct{ log *slog.Logger }

func (b brokerLogger) Logf(level kfake.LogLevel, format string, args ...any) {
	switch level {
	case kfake.LogLevelError:
		b.log.Error(fmt.Sprintf(format, args...), "component", "broker")
	case kfake.LogLevelWarn:
		b.log.Warn(fmt.Sprintf(format, args...), "component", "broker")
	}
}

// Command autonews is the AutoNews binary: a MySQL-compatible streaming database of what
// each trader holds and which news matters to them.
//
//	autonews serve     run the database (embedded Kafka broker, MySQL protocol)
//	autonews broker    run only the embedded Kafka-protocol broker
//	autonews gen       produce a realistic stream of trades and news, or replay a file
//	autonews bench     measure the end-to-end scenarios and print a table
//	autonews version   print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "autonews:", err)
		}
		os.Exit(2)
	}
}

const usage = `usage: autonews <command> [flags]

commands:
  serve     run AutoNews: embedded Kafka broker, batch and speed layers, MySQL protocol
  broker    run only the embedded Kafka-protocol broker, for 'serve --brokers'
  gen       produce a realistic stream of trades and news into Kafka, or replay a file
  bench     measure ingest (two ways), freshness, batch, queries and restart; --quick, --json
  version   print the version

Run 'autonews <command> -h' for the flags of a command.
`

// Run runs the command named by args[0].
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], stderr)
	case "bench":
		return runBench(ctx, args[1:], stdout, stderr)
	case "gen":
		return runGen(ctx, args[1:], stderr)
	case "broker":
		return runBroker(ctx, args[1:], stderr)
	case "version":
		fmt.Fprintln(stdout, "autonews", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/autonews/autonews/benchmark"
)

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quick := fs.Bool("quick", false, "run every scenario small, to show it works")
	asJSON := fs.Bool("json", false, "print the results as JSON")
	only := fs.String("only", "", "run only these scenarios, comma-separated (ingest, ingest-encoded, freshness, batch, queries, restart)")
	cpuProfile := fs.String("cpuprofile", "", "write CPU profiles of the measured work, for go tool pprof: FILE.ingest, FILE.ingest-encoded, FILE.freshness, FILE.batch and FILE.incremental for the scenarios that run the product in the bench's process (their measured windows only), FILE.serve-N and FILE.serve-N.allocs from each server process the bench starts, and the bench process's allocations to FILE.allocs")
	baseline := fs.String("mysql-baseline", "", "a MySQL or MariaDB server (DSN like root@tcp(127.0.0.1:3306)/) to load the same holdings into and compare queries with; the bench creates database autonews_bench there")
	duckdb := fs.String("duckdb", "", "a DuckDB runner to compare the batch job with on the same files (build it: cd bench/duckdb && go build -o /tmp/autonews-duckdb .)")
	touchMemory := fs.Int("touch-memory", 0, "write this many GiB of fresh memory once before measuring: on a VM fresh from boot, the host backs each page of memory at its first write, which slows every scenario (the bench's first row shows what fresh memory costs)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var scenarios []string
	if *only != "" {
		scenarios = strings.Split(*only, ",")
	}
	opts := benchmark.Options{Quick: *quick, Progress: stderr, Only: scenarios, TouchMemory: *touchMemory, DuckDB: *duckdb,
		MySQLBaseline: *baseline, ServerProfile: *cpuProfile}
	var profileErr error
	if *cpuProfile != "" {
		opts.ProfileWindow = func(window string) func() {
			stop, err := startCPUProfile(*cpuProfile + "." + window)
			if err != nil {
				profileErr = errors.Join(profileErr, err)
				return func() {}
			}
			return stop
		}
	}
	results, err := benchmark.Run(ctx, opts)
	if err := errors.Join(err, profileErr); err != nil {
		return err
	}
	if *cpuProfile != "" {
		if err := writeAllocProfile(*cpuProfile + ".allocs"); err != nil {
			return err
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(results)
	}
	w := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "scenario\tresult\ttarget\tmet\tnote")
	for _, r := range results {
		value := "-"
		if r.Unit != "-" {
			value = fmt.Sprintf("%s %s", humanize(r.Value), r.Unit)
		}
		verdict := ""
		if r.Met != nil {
			verdict = map[bool]string{true: "yes", false: "no"}[*r.Met]
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", r.Scenario, value, r.Target, verdict, r.Note)
	}
	return w.Flush()
}

// humanize prints large figures with thousands separators and small ones with decimals.
func humanize(v float64) string {
	if v < 100 {
		return fmt.Sprintf("%.2f", v)
	}
	s := fmt.Sprintf("%.0f", v)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

package benchmark

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/message"
)

// ingest measures trades produced to the embedded broker by franz-go's producer, which
// runs on the same cores, applied by the speed layer and archived, while point queries
// run.
func ingest(ctx context.Context, o Options) ([]Result, error) {
	return measureIngest(ctx, o, "ingest", "ingest: trades produced, applied by the speed layer and archived", franzGoProducer)
}

// ingestEncoded measures the same with the producer's work done before the clock starts,
// as it is on the producers' own machines: the trades are sent as record batches already
// encoded and compressed, so that the two cores measure the broker and the product.
func ingestEncoded(ctx context.Context, o Options) ([]Result, error) {
	return measureIngest(ctx, o, "ingest-encoded", "ingest, batches encoded beforehand: produced, applied and archived", encodedProducer)
}

// An ingestProducer readies, before the clock starts, a producer of records to the
// broker at kafkaAddr, whose trades topic has the given partitions. produce sends every
// record and returns, once all are acknowledged, the offsets after the last one.
type ingestProducer func(kafkaAddr string, records *packedRecords, partitions int) (produce func(context.Context) (ledger.Cut, error), stop func(), err error)

func franzGoProducer(kafkaAddr string, records *packedRecords, _ int) (func(context.Context) (ledger.Cut, error), func(), error) {
	client, err := producer(kafkaAddr)
	if err != nil {
		return nil, nil, err
	}
	return func(ctx context.Context) (ledger.Cut, error) {
		ends, err := produceAll(ctx, client, records.len(), records.inBlocks())
		return ends[message.TradesTopic], err
	}, client.Close, nil
}

func encodedProducer(kafkaAddr string, records *packedRecords, partitions int) (func(context.Context) (ledger.Cut, error), func(), error) {
	batches := encodeBatches(records, partitions)
	client, err := kgo.NewClient(kgo.SeedBrokers(kafkaAddr))
	if err != nil {
		return nil, nil, err
	}
	return func(ctx context.Context) (ledger.Cut, error) {
		return produceEncoded(ctx, client, records.topic, batches, partitions)
	}, client.Close, nil
}

// measureIngest produces 200-byte trades with the given producer and measures the rate
// at which the speed layer has applied them all and the archiver written them to the
// master dataset, while point queries run. The archiver's writes are part of what ingest
// sustains: the run is shorter than the archiver's flush interval and its segments'
// size, and without the closing flush its writes, a fifth of the product's CPU a trade
// (0.21 of 1.08 µs in a profile), came after the clock stopped. window names the
// measured window's profile.
func measureIngest(ctx context.Context, o Options, window, scenario string, newProducer ingestProducer) ([]Result, error) {
	f, err := newFixture()
	if err != nil {
		return nil, err
	}
	defer f.close()
	srv, db := f.srv, f.db
	n := size(o, 200_000, 3_000_000)
	records := func() *packedRecords {
		generated := tradeRecords(n, 100_000, 1)
		padTo(generated, 200)
		return pack(generated)
	}()
	produce, stopProducer, err := newProducer(srv.KafkaAddr(), records, f.tradesPartitions)
	if err != nil {
		return nil, err
	}
	defer stopProducer()
	runtime.GC() // the generated records are gone before the clock starts
	queryCtx, stopQueries := context.WithCancel(ctx)
	defer stopQueries()
	var queries atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() { // point queries for the whole run; owned here, stopped by stopQueries
			defer wg.Done()
			for queryCtx.Err() == nil {
				rows, err := db.QueryContext(queryCtx, "SELECT * FROM holdings WHERE user_id = ?", rand.IntN(100_000)+1)
				if err == nil {
					for rows.Next() {
					}
					rows.Close()
					queries.Add(1)
				}
			}
		}()
	}
	stopProfile := o.profileWindow(window)
	cpuBefore, err := processCPU()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	ends, err := produce(ctx)
	acked := since(start)
	appliedAtAck := srv.Speed().Stats().Applied
	if err == nil {
		err = srv.Speed().WaitApplied(ctx, ends)
	}
	applied := since(start)
	if err == nil {
		_, err = srv.Archiver().FlushThrough(ctx, ends)
	}
	elapsed := since(start)
	cpuAfter, cpuErr := processCPU()
	stopProfile()
	stopQueries()
	wg.Wait()
	if err = errors.Join(err, cpuErr); err != nil {
		return nil, err
	}
	cpu := cpuAfter - cpuBefore
	rate := float64(n) / elapsed
	return []Result{{Scenario: scenario, Value: rate, Unit: "trades/s",
		Target: "≥ 1,000,000", Met: met(rate >= 1e6),
		Note: fmt.Sprintf("%d trades of %d bytes, all acknowledged after %.2fs, applied after %.2fs%s and archived after %.2fs; %d point queries ran meanwhile; the process (product, producer and queries) used %.2f CPU-seconds, %.2f µs a trade",
			n, len(records.record(0).Value), acked, applied, catchUp(int64(n), appliedAtAck, acked, applied), elapsed, queries.Load(), cpu.Seconds(), float64(cpu.Microseconds())/float64(n))}}, nil
}

// catchUp describes how the speed layer applied what was left when the producer, which
// shares the machine's cores with it, had its last record acknowledged: the rate of the
// product alone.
func catchUp(total, appliedAtAck int64, acked, elapsed float64) string {
	left := total - appliedAtAck
	if left <= 0 || elapsed <= acked {
		return ""
	}
	return fmt.Sprintf(" (the last %d, left when the producer was done, at %.0f trades/s)", left, float64(left)/(elapsed-acked))
}

// freshness measures the time from the producer's acknowledgement of a trade to the trade
// visible in a holdings point query, while a steady 20,000 trades/s flow.
func freshness(ctx context.Context, o Options) ([]Result, error) {
	f, err := newFixture()
	if err != nil {
		return nil, err
	}
	defer f.close()
	client, err := producer(f.srv.KafkaAddr())
	if err != nil {
		return nil, err
	}
	defer client.Close()
	probe, err := f.db.Prepare("SELECT shares FROM holdings WHERE user_id = ?")
	if err != nil {
		return nil, err
	}
	defer probe.Close()

	duration := time.Duration(size(o, 2, 10)) * time.Second
	background := tradeRecords(20_000*int(duration/time.Second), 50_000, 2)
	flowCtx, stopFlow := context.WithCancel(ctx)
	defer stopFlow()
	go func() { // the steady flow, 200 trades every 10 ms; stopped by stopFlow
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for i := 0; i < len(background) && flowCtx.Err() == nil; i += 200 {
			<-tick.C
			for _, r := range background[i:min(i+200, len(background))] {
				client.Produce(flowCtx, r, nil)
			}
		}
	}()
	var latencies []time.Duration
	defer o.profileWindow("freshness")()
	deadline := time.Now().Add(duration)
	for i := 0; time.Now().Before(deadline); i++ {
		user := int64(1_000_000_000 + i)
		t := message.Trade{ID: fmt.Sprintf("probe-%d", i), UserID: user, Symbol: "MMM", Side: message.Buy, Quantity: 1, Price: 10, TS: time.Now().UTC()}
		if err := client.ProduceSync(ctx, &kgo.Record{Topic: message.TradesTopic, Key: message.TradeKey(user), Value: message.EncodeTrade(t)}).FirstErr(); err != nil {
			return nil, err
		}
		acked := time.Now()
		for {
			var shares int64
			if err := probe.QueryRowContext(ctx, user).Scan(&shares); err == nil {
				break
			}
			if time.Since(acked) > 10*time.Second {
				return nil, fmt.Errorf("probe trade %d not visible after 10s", i)
			}
			// A client that polls without pause would take a core of the two from the
			// server it measures; 50 µs between polls bounds the error it adds.
			time.Sleep(50 * time.Microsecond)
		}
		latencies = append(latencies, time.Since(acked))
		time.Sleep(5 * time.Millisecond)
	}
	p50, p99 := percentile(latencies, 0.50), percentile(latencies, 0.99)
	return []Result{{Scenario: "freshness: acknowledged trade to visible in a point query, at 20,000 trades/s", Value: ms(p99), Unit: "ms p99",
		Target: "≤ 5 ms", Met: met(p99 <= 5*time.Millisecond), Note: fmt.Sprintf("p50 %.2f ms over %d probes", ms(p50), len(latencies))}}, nil
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

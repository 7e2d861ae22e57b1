package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	json "github.com/goccy/go-json"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/autonews/autonews/loadgen"
	"github.com/autonews/autonews/message"
	"github.com/autonews/autonews/news"
)

func runGen(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	brokers := fs.String("brokers", "127.0.0.1:9092", "comma-separated Kafka brokers (the embedded broker of 'serve' by default)")
	var cfg loadgen.Config
	fs.Uint64Var(&cfg.Seed, "seed", 1, "seed of the stream: the same seed and id prefix give the same messages")
	fs.IntVar(&cfg.Users, "users", 1000, "number of traders")
	fs.Float64Var(&cfg.NewsRatio, "news-ratio", 0.02, "share of messages that are news")
	fs.Float64Var(&cfg.MeanQuantity, "mean-quantity", 100, "mean trade size (normal distribution)")
	fs.Float64Var(&cfg.StdDevQuantity, "stddev-quantity", 40, "standard deviation of trade sizes")
	fs.StringVar(&cfg.IDPrefix, "id-prefix", fmt.Sprintf("g%d", time.Now().Unix()), "prefix of trade and news ids; runs with different prefixes never collide")
	rate := fs.Float64("rate", 0, "messages per second; 0 sends as fast as the broker takes them")
	count := fs.Int64("count", 0, "stop after this many messages (0: no limit)")
	duration := fs.Duration("duration", 0, "stop after this long (0: no limit)")
	replay := fs.String("replay", "", "replay a JSON-lines file of trade and news messages instead of generating")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *rate < 0 || *count < 0 || *duration < 0 {
		return errors.New("--rate, --count and --duration must not be negative")
	}
	if *replay == "" && *count == 0 && *duration == 0 {
		return errors.New("say how much to send: --count N, --duration D, or both")
	}
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	client, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(*brokers, ",")...), kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)),
		kgo.ProducerLinger(5*time.Millisecond))
	if err != nil {
		return err
	}
	defer client.Close()
	p := newProducer(client, stderr)
	defer p.stop()

	var next func() (loadgen.Message, bool, error)
	if *replay != "" {
		next, err = replayFile(*replay)
		if err != nil {
			return err
		}
	} else {
		cfg.Start = time.Now().UTC()
		g := loadgen.New(cfg, news.DefaultDictionary())
		next = func() (loadgen.Message, bool, error) { return g.Next(), true, nil }
	}
	start := time.Now()
	for n := int64(0); *count == 0 || n < *count; n++ {
		if ctx.Err() != nil {
			break
		}
		if *rate > 0 {
			if wait := time.Until(start.Add(time.Duration(float64(n) / *rate * float64(time.Second)))); wait > 0 {
				select {
				case <-time.After(wait):
				case <-ctx.Done():
				}
			}
		}
		m, ok, err := next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		p.produce(ctx, m)
	}
	return p.finish()
}

// producer sends messages asynchronously and prints a progress line every second.
type producer struct {
	client       *kgo.Client
	out          io.Writer
	trades, news atomic.Int64
	failed       atomic.Int64
	firstErr     atomic.Value
	start        time.Time
	done         chan struct{}
	wg           sync.WaitGroup
}

func newProducer(client *kgo.Client, out io.Writer) *producer {
	p := &producer{client: client, out: out, start: time.Now(), done: make(chan struct{})}
	p.wg.Add(1)
	go func() { // owned by the producer; stops when done closes
		defer p.wg.Done()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				p.progress("\r")
			case <-p.done:
				return
			}
		}
	}()
	return p
}

func (p *producer) produce(ctx context.Context, m loadgen.Message) {
	r := &kgo.Record{Topic: m.Topic, Key: m.Key, Value: m.Value}
	p.client.Produce(ctx, r, func(r *kgo.Record, err error) {
		if err != nil {
			p.failed.Add(1)
			p.firstErr.CompareAndSwap(nil, err)
			return
		}
		if r.Topic == message.NewsTopic {
			p.news.Add(1)
		} else {
			p.trades.Add(1)
		}
	})
}

func (p *producer) progress(prefix string) {
	sent := p.trades.Load() + p.news.Load()
	rate := float64(sent) / time.Since(p.start).Seconds()
	fmt.Fprintf(p.out, "%ssent %d trades and %d news, %.0f messages/s, %d failed   ", prefix, p.trades.Load(), p.news.Load(), rate, p.failed.Load())
}

// finish waits for every acknowledgement and prints the totals.
func (p *producer) finish() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	flushErr := p.client.Flush(ctx)
	p.stop()
	p.progress("\r")
	fmt.Fprintln(p.out)
	if err, _ := p.firstErr.Load().(error); err != nil {
		return fmt.Errorf("%d messages were not acknowledged, the first because: %w", p.failed.Load(), err)
	}
	return flushErr
}

func (p *producer) stop() {
	select {
	case <-p.done:
	default:
		close(p.done)
		p.wg.Wait()
	}
}

// replayFile reads JSON-lines messages; each line's topic and key follow from its fields:
// a trade_id makes a trade keyed by user_id, a news_id a news item keyed by its id.
func replayFile(path string) (func() (loadgen.Message, bool, error), error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	line := 0
	return func() (loadgen.Message, bool, error) {
		for sc.Scan() {
			line++
			text := strings.TrimSpace(sc.Text())
			if text == "" {
				continue
			}
			var probe struct {
				TradeID *string         `json:"trade_id"`
				UserID  json.RawMessage `json:"user_id"`
				NewsID  *string         `json:"news_id"`
			}
			if err := json.Unmarshal([]byte(text), &probe); err != nil {
				return loadgen.Message{}, false, fmt.Errorf("%s line %d: %v", path, line, err)
			}
			switch {
			case probe.TradeID != nil:
				return loadgen.Message{Topic: message.TradesTopic, Key: []byte(probe.UserID), Value: []byte(text)}, true, nil
			case probe.NewsID != nil:
				return loadgen.Message{Topic: message.NewsTopic, Key: []byte(*probe.NewsID), Value: []byte(text)}, true, nil
			}
			return loadgen.Message{}, false, fmt.Errorf("%s line %d: neither a trade (trade_id) nor news (news_id)", path, line)
		}
		f.Close()
		return loadgen.Message{}, false, sc.Err()
	}, nil
}

package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	gms "github.com/dolthub/go-mysql-server/server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/gofrs/flock"
	"github.com/sirupsen/logrus"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/plugin/kslog"

	"github.com/autonews/autonews/batch"
	"github.com/autonews/autonews/catalog"
	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/message"
	"github.com/autonews/autonews/news"
	"github.com/autonews/autonews/speed"
)

// Server is a running AutoNews process.
type Server struct {
	cfg Config
	log *slog.Logger

	lock     *flock.Flock
	sessions catalog.Sessions // each MySQL connection's session, for the fast path
	broker   *kfake.Cluster   // nil with an external cluster
	client   *kgo.Client      // admin and producer connection
	admin    *kadm.Client

	archiver     *batch.Archiver
	archiverFed  bool // the speed layer feeds the archiver (see Start)
	newsArchiver *batch.Archiver
	speed        *speed.Layer
	newsFeed     *speed.NewsFeed
	newsIndex    *news.Index
	coordinator  *batch.Coordinator
	runs         *batch.RunLog
	rejections   *speed.Rejections
	mysql        *gms.Server
	mysqlAddr    net.Addr
	http         *http.Server
	httpAddr     net.Addr
	metrics      *metrics
	// notReady holds why /readyz fails, nil once ready.
	notReady atomic.Pointer[string]
	// refusal says why no message is applied: the broker's log went backwards.
	refusal string
	// lostData says, once the broker lost records under a running consumer, what was
	// lost; nil while nothing was.
	lostData atomic.Pointer[string]

	cancel context.CancelFunc
	wg     sync.WaitGroup
	errs   chan error // the first failure of a component
	once   sync.Once
}

// Start starts every component and returns once the MySQL protocol is served. On error
// everything started so far is stopped again.
func Start(cfg Config) (_ *Server, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{cfg: cfg, log: cfg.Logger, errs: make(chan error, 8)}
	clock := newStartupClock()
	starting := "starting"
	s.notReady.Store(&starting)
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	if s.lock, err = lockDataDir(cfg.DataDir); err != nil {
		return nil, err
	}
	matcher, err := newMatcher(cfg.CompaniesFile)
	if err != nil {
		return nil, err
	}
	master, err := batch.OpenMaster(filepath.Join(cfg.DataDir, "master"))
	if err != nil {
		return nil, err
	}
	store, err := batch.OpenStore(filepath.Join(cfg.DataDir, "snapshots"))
	if err != nil {
		return nil, err
	}
	// Whatever happens next, Start returns only after the loader has ended.
	loading := loadStoredStateAsync(master, store, matcher, cfg.DedupWindow, s.log)
	loaded := sync.OnceValue(func() storedStateResult { return <-loading })
	defer loaded()
	if err := s.connectKafka(); err != nil {
		return nil, err
	}
	partitions, err := s.prepareTopics()
	if err != nil {
		return nil, err
	}
	clock.done("broker")
	result := loaded()
	if result.err != nil {
		return nil, result.err
	}
	clock.done("stored_state_wait")
	clock.took(result.state.took...)
	stored := result.state
	if err := s.checkLogs(master, stored.snap.Cut); err != nil {
		if !cfg.RebuildFromMaster {
			s.refusal = err.Error() + "; restore the broker's log, or restart with --rebuild-from-master to replay the master dataset into it"
			s.log.Error("refusing to apply messages from the broker", "reason", s.refusal)
		} else {
			s.log.Warn("rebuilding from the master dataset", "because", err)
			if master, store, err = s.rebuildFromMaster(master); err != nil {
				return nil, fmt.Errorf("rebuild from the master dataset: %w", err)
			}
			// The master dataset and the snapshots moved aside: start from nothing; the
			// replayed log brings everything back.
			if stored, err = loadStoredState(master, store, matcher, cfg.DedupWindow, s.log); err != nil {
				return nil, err
			}
		}
	}
	if s.rejections, err = speed.OpenRejections(filepath.Join(cfg.DataDir, "rejected_messages.jsonl"), cfg.RejectedRetention); err != nil {
		return nil, err
	}
	kafkaOpts := s.clientOpts()
	s.archiver, err = batch.NewArchiver(master, batch.TradeCodec, batch.ArchiverConfig{
		Partitions: partitions[message.TradesTopic], ClientOpts: kafkaOpts, FlushInterval: cfg.ArchiveFlushInterval, OnDataLoss: s.dataLoss,
		Logger: s.log.With("component", "archiver"),
	})
	if err != nil {
		return nil, err
	}
	s.newsArchiver, err = batch.NewArchiver(master, batch.NewsCodec, batch.ArchiverConfig{
		Partitions: partitions[message.NewsTopic], ClientOpts: kafkaOpts, FlushInterval: cfg.ArchiveFlushInterval, OnDataLoss: s.dataLoss,
		Logger: s.log.With("component", "news-archiver"),
	})
	if err != nil {
		return nil, err
	}
	snap := stored.snap
	s.newsIndex = stored.news
	s.newsFeed = speed.NewNewsFeed(s.newsIndex, speed.NewsConfig{
		Start: s.newsArchiver.Archived(), ClientOpts: kafkaOpts, OnReject: s.reject, OnDataLoss: s.dataLoss, Logger: s.log.With("component", "news"),
	})
	speedCfg := speed.Config{
		Partitions: partitions[message.TradesTopic], ClientOpts: kafkaOpts, DedupWindow: cfg.DedupWindow, Seed: stored.seed, OnReject: s.reject,
		OnDataLoss: s.dataLoss, Logger: s.log.With("component", "speed"),
	}
	// The speed layer starts at the snapshot's cut, which the master dataset always
	// covers: it reads every trade the archiver still needs, and shares its fetch and
	// decoding with it (they were a fifth of ingest's CPU, done twice).
	s.archiverFed = s.archiver.Archived().Covers(snap.Cut)
	if s.archiverFed {
		speedCfg.Tap = func(records []*kgo.Record, trades []speed.DecodedTrade) {
			s.archiver.FeedTrades(records, func(i int) (message.Trade, bool) { return trades[i].Trade, trades[i].Err == nil })
		}
	}
	s.speed = speed.New(speedCfg, snap)
	runs, err := batch.OpenRunLog(filepath.Join(cfg.DataDir, "pipeline_runs.jsonl"), 1000)
	if err != nil {
		return nil, err
	}
	s.runs = runs
	coordCfg := batch.CoordinatorConfig{
		Runs:       runs,
		Interval:   cfg.CycleInterval,
		LogEnd:     func(ctx context.Context) (ledger.Cut, error) { return logEnd(ctx, s.admin, message.TradesTopic) },
		BeforeStep: cfg.BeforeStep,
		OnRunEnd:   func(r batch.RunResult) { s.metrics.observeRun(r) },
		Logger:     s.log.With("component", "cycle"),
	}
	coordCfg.Disabled = func() error {
		if reason := s.refusalReason(); reason != "" {
			return errors.New(reason)
		}
		return nil
	}
	if s.broker != nil {
		coordCfg.TrimLog = func(ctx context.Context, cut ledger.Cut) error {
			// News is stored by id and reloaded from the master dataset, so its log is
			// needed only beyond what is archived.
			return errors.Join(trimLog(ctx, s.admin, message.TradesTopic, cut),
				trimLog(ctx, s.admin, message.NewsTopic, s.newsArchiver.Archived()))
		}
	}
	s.coordinator = batch.NewCoordinator(coordCfg, master, s.archiver, store, s.speed, snap)

	s.metrics = newMetrics(s)
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	if err := s.serveHTTP(); err != nil {
		return nil, err
	}
	if s.refusal != "" {
		// Serve what the snapshot and the master dataset hold; apply nothing new.
		s.notReady.Store(&s.refusal)
	} else {
		if s.archiverFed {
			s.goRun("archiver", func() error { return s.archiver.RunFed(ctx) })
		} else {
			s.log.Warn("the master dataset ends before the snapshot's cut; the archiver reads the log on its own")
			s.goRun("archiver", func() error { return s.archiver.Run(ctx) })
		}
		s.goRun("news archiver", func() error { return s.newsArchiver.Run(ctx) })
		s.goRun("speed layer", func() error { return s.speed.Run(ctx) })
		s.goRun("news feed", func() error { return s.newsFeed.Run(ctx) })
		s.goRun("cycle", func() error { return s.coordinator.Run(ctx) })
		catchingUp := "catching up with the log"
		s.notReady.Store(&catchingUp)
		if err := s.catchUp(ctx); err != nil {
			return nil, err
		}
		clock.done("catch_up")
		// Loading the stored state and catching up with the log leave garbage the size of
		// the log's tail (fetches, decoded batches, the broker's reads), which the
		// collector would otherwise hand back to the system only gradually: returned now,
		// the restart bench's server (10M holdings, a 1M-trade tail) serves in 444-455 MiB
		// instead of 700-972, its start-up as quick (1.04-1.34 s against 1.07-1.44).
		debug.FreeOSMemory()
		clock.done("release_memory")
		if s.lostData.Load() == nil {
			s.notReady.Store(nil)
		}
	}
	if err := s.serveMySQL(); err != nil {
		return nil, err
	}
	s.log.Info("autonews serving", "mysql", s.MySQLAddr(), "kafka", s.KafkaAddr(), "http", s.HTTPAddr(), "data_dir", cfg.DataDir,
		"epoch", snap.Epoch, "cut", snap.Cut.String(), clock.attr())
	return s, nil
}

func (s *Server) connectKafka() error {
	seeds := s.cfg.Brokers
	if len(seeds) == 0 {
		broker, err := startBroker(s.cfg.KafkaAddr, filepath.Join(s.cfg.DataDir, "kafka"), s.cfg.KafkaSyncWrites, s.log)
		if err != nil {
			return err
		}
		s.broker = broker
		seeds = broker.ListenAddrs()
	}
	client, err := kgo.NewClient(append(s.clientOpts(), kgo.SeedBrokers(seeds...))...)
	if err != nil {
		return fmt.Errorf("kafka client: %w", err)
	}
	s.client, s.admin = client, kadm.NewClient(client)
	return nil
}

// clientOpts are the connection options every Kafka client of the process shares.
func (s *Server) clientOpts() []kgo.Opt {
	seeds := s.cfg.Brokers
	if s.broker != nil {
		seeds = s.broker.ListenAddrs()
	}
	// franz-go logs every assignment and metadata refresh at info; an operator needs its
	// warnings.
	kafkaLog := slog.New(minLevelHandler{Handler: s.log.Handler(), min: slog.LevelWarn}).With("component", "kafka")
	return []kgo.Opt{kgo.SeedBrokers(seeds...), kgo.WithLogger(kslog.New(kafkaLog))}
}

func (s *Server) prepareTopics() (map[string][]int32, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	partitions, err := ensureTopics(ctx, s.admin, s.cfg.TradesPartitions)
	if err != nil {
		return nil, fmt.Errorf("%w (is the Kafka cluster at %s reachable?)", err, s.KafkaAddr())
	}
	return partitions, nil
}

// catchUp waits until the speed layer has applied the log as it stood at start-up, so that
// the first query after a restart already sees every trade it saw before.
func (s *Server) catchUp(ctx context.Context) error {
	end, err := logEnd(ctx, s.admin, message.TradesTopic)
	if err != nil {
		return fmt.Errorf("log end offsets: %w", err)
	}
	newsEnd, err := logEnd(ctx, s.admin, message.NewsTopic)
	if err != nil {
		return fmt.Errorf("log end offsets: %w", err)
	}
	start := time.Now()
	for {
		waitCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := errors.Join(s.speed.WaitApplied(waitCtx, end), s.newsFeed.WaitApplied(waitCtx, newsEnd))
		cancel()
		if err == nil {
			break
		}
		select {
		case err := <-s.errs:
			return err
		default:
		}
		s.log.Info("catching up with the log before serving", "applied", s.speed.Applied().String(), "log_end", end.String(),
			"elapsed", time.Since(start).Round(time.Millisecond))
	}
	s.log.Debug("caught up with the log", "log_end", end.String(), "elapsed", time.Since(start))
	return nil
}

func (s *Server) serveMySQL() error {
	logrus.SetLevel(logrus.ErrorLevel) // go-mysql-server logs every connection, and warns of features we do not serve
	sources := catalog.Sources{Holdings: s.speed, Cycle: s.coordinator, News: s.newsIndex, Writer: s, Status: s}
	engine := catalog.NewEngine(sources, catalog.EngineOptions{GenericPlans: s.cfg.GenericPlans})
	if err := setUpAccounts(engine, s.cfg); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.cfg.MySQLAddr)
	if err != nil {
		return fmt.Errorf("mysql listener on %s: %w (is another server using the port? choose one with --mysql-addr)", s.cfg.MySQLAddr, err)
	}
	handler := catalog.HandlerOptions{FastPath: !s.cfg.GenericPlans, Sources: sources, Sessions: &s.sessions, Observe: s.metrics.fastPathQueryCompleted}
	srv, err := gms.NewServerWithHandler(gms.Config{Protocol: "tcp", Address: ln.Addr().String(), Listener: coalescingListener{ln}, Version: catalog.Version,
		ProtocolListenerFactory: listenerWithAccounts}, engine, sql.NewContext, s.newSession, s.metrics, func(h mysql.Handler) (mysql.Handler, error) {
		wrapped, err := catalog.WrapHandler(handler)(h)
		return coalescingPrepares{wrapped}, err
	})
	if err != nil {
		ln.Close()
		return fmt.Errorf("mysql server: %w", err)
	}
	s.mysql, s.mysqlAddr = srv, ln.Addr()
	s.goRun("mysql", srv.Start)
	return nil
}

func (s *Server) newSession(_ context.Context, conn *mysql.Conn, addr string) (sql.Session, error) {
	client := sql.Client{Address: conn.RemoteAddr().String(), User: conn.User, Capabilities: conn.Capabilities}
	if account, ok := conn.UserData.(sql.MysqlConnectionUser); ok {
		// Privileges are looked up by the account's user and host.
		client.User, client.Address = account.User, account.Host
	}
	session := sql.NewBaseSessionWithClientServer(addr, client, conn.ConnectionID)
	if err := session.InitSessionVariable(sql.NewEmptyContext(), catalog.ThresholdVariable, s.cfg.RelevanceThreshold); err != nil {
		return nil, err
	}
	s.sessions.Add(conn.ConnectionID, session)
	return session, nil
}

// NewsFeed is the news consumer, for callers that wait for news they produced.
func (s *Server) NewsFeed() *speed.NewsFeed { return s.newsFeed }

// goRun runs a component on its own goroutine; its failure stops the process.
func (s *Server) goRun(name string, run func() error) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := run(); err != nil {
			s.errs <- fmt.Errorf("%s: %w", name, err)
		}
	}()
}

// Wait blocks until ctx ends or a component fails.
func (s *Server) Wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case err := <-s.errs:
		return err
	}
}

// Close stops every component in order: no new queries, then the consumers and the
// cycle (the archiver writes what it holds), then the broker, then the lock.
func (s *Server) Close() error {
	var errs []error
	s.once.Do(func() {
		if s.mysql != nil {
			s.mysql.Close()
		}
		s.closeHTTP()
		if s.cancel != nil {
			s.cancel()
		}
		s.wg.Wait()
		close(s.errs)
		for err := range s.errs {
			errs = append(errs, err)
		}
		if s.runs != nil {
			s.runs.Close()
		}
		if s.rejections != nil {
			s.rejections.Close()
		}
		if s.client != nil {
			s.client.Close()
		}
		if s.broker != nil {
			s.broker.Close()
		}
		if s.lock != nil {
			s.lock.Unlock()
		}
	})
	return errors.Join(errs...)
}

// MySQLAddr is the address the MySQL protocol is served on.
func (s *Server) MySQLAddr() string {
	if s.mysqlAddr == nil {
		return s.cfg.MySQLAddr
	}
	return s.mysqlAddr.String()
}

// KafkaAddr is the embedded broker's address, or the first seed broker.
func (s *Server) KafkaAddr() string {
	if s.broker != nil {
		return s.broker.ListenAddrs()[0]
	}
	if len(s.cfg.Brokers) > 0 {
		return s.cfg.Brokers[0]
	}
	return s.cfg.KafkaAddr
}

// Speed is the speed layer, for callers that wait for what they produced to be applied.
func (s *Server) Speed() *speed.Layer { return s.speed }

// Archiver writes the trades read from the log to the master dataset, for callers that
// wait for what they produced to be archived.
func (s *Server) Archiver() *batch.Archiver { return s.archiver }

// Coordinator is the batch cycle.
func (s *Server) Coordinator() *batch.Coordinator { return s.coordinator }

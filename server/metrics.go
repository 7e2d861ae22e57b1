package server

import (
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/autonews/autonews/batch"
	"github.com/autonews/autonews/message"
	"github.com/autonews/autonews/speed"
)

// metrics are what an operator watches: throughput and rejections per topic, lag, cycle
// outcomes and durations, and queries. Counters the layers keep anyway are read at scrape
// time rather than counted twice.
type metrics struct {
	registry      *prometheus.Registry
	cycles        *prometheus.CounterVec
	cycleDuration *prometheus.HistogramVec
	queries       *prometheus.CounterVec
	queryDuration prometheus.Histogram
	fastPath      prometheus.Counter
	connections   prometheus.Gauge
}

func newMetrics(s *Server) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		cycles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "autonews_cycles_total", Help: "Batch cycles run, by outcome.",
		}, []string{"outcome"}),
		cycleDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "autonews_cycle_duration_seconds", Help: "Duration of batch cycles, by outcome.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 14),
		}, []string{"outcome"}),
		queries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "autonews_queries_total", Help: "SQL statements executed over the MySQL protocol, by outcome.",
		}, []string{"outcome"}),
		queryDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "autonews_query_duration_seconds", Help: "Latency of SQL statements.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 18),
		}),
		fastPath: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "autonews_fast_path_queries_total", Help: "Point selects answered without the SQL engine's analyzer (also counted in autonews_queries_total).",
		}),
		connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "autonews_mysql_connections", Help: "Open MySQL protocol connections.",
		}),
	}
	m.registry.MustRegister(m.cycles, m.cycleDuration, m.queries, m.queryDuration, m.fastPath, m.connections,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&pipelineCollector{s: s})
	return m
}

func (m *metrics) observeRun(r batch.RunResult) {
	m.cycles.WithLabelValues(r.Status).Inc()
	m.cycleDuration.WithLabelValues(r.Status).Observe(r.Elapsed.Seconds())
}

// The go-mysql-server event listener.
func (m *metrics) ClientConnected()    { m.connections.Inc() }
func (m *metrics) ClientDisconnected() { m.connections.Dec() }
func (m *metrics) QueryStarted()       {}
func (m *metrics) QueryCompleted(success bool, d time.Duration) {
	outcome := "ok"
	if !success {
		outcome = "error"
	}
	m.queries.WithLabelValues(outcome).Inc()
	m.queryDuration.Observe(d.Seconds())
}

// fastPathQueryCompleted counts a query the fast path answered.
func (m *metrics) fastPathQueryCompleted(success bool, d time.Duration) {
	m.fastPath.Inc()
	m.QueryCompleted(success, d)
}

var (
	consumedDesc   = prometheus.NewDesc("autonews_messages_consumed_total", "Messages read from Kafka, by topic.", []string{"topic"}, nil)
	appliedDesc    = prometheus.NewDesc("autonews_messages_applied_total", "Messages applied (trades to the delta tables, news to the index), by topic.", []string{"topic"}, nil)
	rejectedDesc   = prometheus.NewDesc("autonews_messages_rejected_total", "Messages that failed validation, by topic.", []string{"topic"}, nil)
	duplicatesDesc = prometheus.NewDesc("autonews_messages_duplicate_total", "Messages skipped as already applied, by topic.", []string{"topic"}, nil)
	lagDesc        = prometheus.NewDesc("autonews_lag_messages", "Messages in the log not yet applied, per topic and partition.", []string{"topic", "partition"}, nil)
	lagMillisDesc  = prometheus.NewDesc("autonews_lag_milliseconds", "Age of the last record applied while records wait, per topic and partition.", []string{"topic", "partition"}, nil)
	epochDesc      = prometheus.NewDesc("autonews_snapshot_epoch", "Epoch of the published snapshot being served.", nil, nil)
	newsDesc       = prometheus.NewDesc("autonews_news_items", "News items in the index.", nil, nil)
)

// pipelineCollector reads the layers' own counters and the lag at scrape time.
type pipelineCollector struct{ s *Server }

func (c *pipelineCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{consumedDesc, appliedDesc, rejectedDesc, duplicatesDesc, lagDesc, lagMillisDesc, epochDesc, newsDesc} {
		ch <- d
	}
}

func (c *pipelineCollector) Collect(ch chan<- prometheus.Metric) {
	for topic, st := range map[string]speed.Stats{message.TradesTopic: c.s.speed.Stats(), message.NewsTopic: c.s.newsFeed.Stats()} {
		ch <- prometheus.MustNewConstMetric(consumedDesc, prometheus.CounterValue, float64(st.Consumed), topic)
		ch <- prometheus.MustNewConstMetric(appliedDesc, prometheus.CounterValue, float64(st.Applied), topic)
		ch <- prometheus.MustNewConstMetric(rejectedDesc, prometheus.CounterValue, float64(st.Rejected), topic)
		ch <- prometheus.MustNewConstMetric(duplicatesDesc, prometheus.CounterValue, float64(st.Duplicates), topic)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if lag, err := c.s.Lag(ctx); err == nil {
		for _, l := range lag {
			p := strconv.Itoa(int(l.Partition))
			ch <- prometheus.MustNewConstMetric(lagDesc, prometheus.GaugeValue, float64(l.LagMessages), l.Topic, p)
			ch <- prometheus.MustNewConstMetric(lagMillisDesc, prometheus.GaugeValue, float64(l.LagMillis), l.Topic, p)
		}
	}
	ch <- prometheus.MustNewConstMetric(epochDesc, prometheus.GaugeValue, float64(c.s.speed.Holdings(0, 0).Snapshot.Epoch))
	ch <- prometheus.MustNewConstMetric(newsDesc, prometheus.GaugeValue, float64(c.s.newsIndex.Len()))
}

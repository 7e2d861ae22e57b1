package sql_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/autonews/autonews/server"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// /metrics speaks the Prometheus text format and counts what happened; /healthz and
// /readyz answer once the server serves.
func TestMetricsHealthAndReadiness(t *testing.T) {
	h := startHarness(t)
	base := "http://" + h.srv.HTTPAddr()
	if code, body := get(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("healthz: %d %q", code, body)
	}
	if code, body := get(t, base+"/readyz"); code != 200 || body != "ready\n" {
		t.Fatalf("readyz: %d %q", code, body)
	}
	if err := h.produce("trades", "", []string{
		`{"trade_id":"M1","user_id":1,"symbol":"MMM","side":"BUY","quantity":1,"price":10,"ts":"2026-01-02T15:00:00Z"}`,
		`{"trade_id":"M2","user_id":1,"symbol":"MMM","side":"BUY","quantity":0,"price":10,"ts":"2026-01-02T15:00:00Z"}`,
	}); err != nil {
		t.Fatal(err)
	}
	if out := h.runCycle(); !strings.Contains(out, "succeeded") {
		t.Fatal(out)
	}
	if _, err := h.query("SELECT * FROM holdings WHERE user_id = 1"); err != nil {
		t.Fatal(err)
	}

	families := scrapeMetrics(t, base)
	value := func(name string, labels map[string]string) float64 {
		t.Helper()
		f, ok := families[name]
		if !ok {
			t.Fatalf("no metric %s", name)
		}
	next:
		for _, m := range f.Metric {
			for _, l := range m.Label {
				if want, ok := labels[l.GetName()]; ok && want != l.GetValue() {
					continue next
				}
			}
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				return m.Counter.GetValue()
			case dto.MetricType_GAUGE:
				return m.Gauge.GetValue()
			case dto.MetricType_HISTOGRAM:
				return float64(m.Histogram.GetSampleCount())
			}
		}
		t.Fatalf("no %s with labels %v", name, labels)
		return 0
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"autonews_messages_consumed_total", map[string]string{"topic": "trades"}, 2},
		{"autonews_messages_applied_total", map[string]string{"topic": "trades"}, 1},
		{"autonews_messages_rejected_total", map[string]string{"topic": "trades"}, 1},
		{"autonews_cycles_total", map[string]string{"outcome": "succeeded"}, 1},
		{"autonews_cycle_duration_seconds", map[string]string{"outcome": "succeeded"}, 1},
		{"autonews_snapshot_epoch", nil, 1},
	} {
		if got := value(c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if value("autonews_queries_total", map[string]string{"outcome": "ok"}) < 2 || value("autonews_query_duration_seconds", nil) < 2 {
		t.Error("queries were not counted")
	}
	if got := value("autonews_lag_messages", map[string]string{"topic": "trades", "partition": "0"}); got != 0 {
		t.Errorf("lag %v", got)
	}
}

// With an admin password, the pipeline page's run button asks for it.
func TestRunButtonNeedsTheAdminPassword(t *testing.T) {
	h := startHarnessConfig(t, func(c *server.Config) { c.MySQLPassword = adminPassword })
	base := "http://" + h.srv.HTTPAddr()
	if _, body := get(t, base+"/pipeline"); !strings.Contains(body, `type="password"`) {
		t.Fatal("the run form does not ask for the password")
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for password, want := range map[string]int{"": http.StatusForbidden, "wrong": http.StatusForbidden, adminPassword: http.StatusSeeOther} {
		resp, err := noRedirect.PostForm(base+"/pipeline/run", url.Values{"password": {password}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("password %q: %d, want %d", password, resp.StatusCode, want)
		}
	}
	if got, _ := h.query("SELECT count(*) FROM pipeline_runs WHERE step = 'run'"); got != "1\n" {
		t.Errorf("runs started: %q, want exactly the one with the password", got)
	}
}

// scrapeMetrics reads /metrics in the Prometheus text format.
func scrapeMetrics(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return families
}

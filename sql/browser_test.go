package sql_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browser starts headless Debian Chromium for chromedp, with a fresh profile and none of
// its background traffic (there is no outside network here).
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed: run ./scripts/test, which installs it, or apt-get install chromium")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("no-first-run", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true),
		chromedp.WindowSize(1280, 900))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	return ctx
}

// screenshots is where the pages are saved for anyone to look at what a user sees:
// $AUTONEWS_SCREENSHOTS, or else a temporary folder, named in the test log and kept only
// if the test fails (every run kept one before).
func screenshots(t *testing.T) string {
	dir := os.Getenv("AUTONEWS_SCREENSHOTS")
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "autonews-screenshots-"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if !t.Failed() {
				os.RemoveAll(dir)
			}
		})
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s (kept if the test fails, or set AUTONEWS_SCREENSHOTS)", dir)
	return dir
}

// page drives one browser tab, failing the test on any error.
type page struct {
	t   *testing.T
	ctx context.Context
	dir string
}

// do runs steps, each wait bounded by ten seconds.
func (p page) do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.t.Fatal(err)
	}
}

func (p page) text(css string) string {
	p.t.Helper()
	text, err := chromedp.Run(p.ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		p.t.Fatal(err)
	}
	return text
}

func (p page) count(css string) int {
	p.t.Helper()
	n, err := chromedp.Run(p.ctx, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", css)))
	if err != nil {
		p.t.Fatal(err)
	}
	return n
}

func (p page) screenshot(name string) {
	p.t.Helper()
	shot, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100)) // quality 100 makes a PNG
	if err == nil {
		err = os.WriteFile(filepath.Join(p.dir, name), shot, 0o644)
	}
	if err != nil {
		p.t.Fatal(err)
	}
}

// A trader's page shows their holdings and relevant news, takes new news and trades
// without a reload, follows a new threshold; the pipeline page starts a run and shows it
// complete. Screenshots of each page are kept.
func TestDashboardInABrowser(t *testing.T) {
	h := startHarness(t)
	if _, err := h.db.Exec(`INSERT INTO trades (user_id, symbol, side, quantity, price, ts) VALUES
		(1, 'MMM', 'BUY', 60, 10, '2026-01-02 15:00:00'), (1, 'AAPL', 'BUY', 30, 10, '2026-01-02 15:00:01'),
		(1, 'KO', 'BUY', 10, 10, '2026-01-02 15:00:02'), (2, 'NVDA', 'BUY', 5, 100, '2026-01-02 15:00:03')`); err != nil {
		t.Fatal(err)
	}
	if _, err := h.db.Exec(`INSERT INTO news (news_id, published_at, source, headline, url) VALUES
		('N1', '2026-01-02 16:00:00', 'wire', '3M beats estimates', 'https://news.example/n1')`); err != nil {
		t.Fatal(err)
	}
	ctx := browser(t)
	base := "http://" + h.srv.HTTPAddr()
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/")); err != nil { // starts the browser: no timeout
		t.Fatal(err)
	}
	p := page{t: t, ctx: ctx, dir: screenshots(t)}
	p.do(chromedp.WaitVisible(chromedp.CSS(`a[href="/users/1"]`)))
	p.screenshot("index.png")

	p.do(chromedp.Navigate(base+"/users/1"), chromedp.WaitVisible(chromedp.CSS(`tr.holding[data-symbol="MMM"]`)))
	holdings, feed := p.text(`section.holdings`), p.text(`section.feed`)
	for _, want := range []string{"MMM", "600.00", "60.0%", "AAPL", "KO", "10.0%"} {
		if !strings.Contains(holdings, want) {
			t.Errorf("holdings lack %q:\n%s", want, holdings)
		}
	}
	if !strings.Contains(feed, "3M beats estimates") || !strings.Contains(feed, "MMM · 60.0% of your portfolio") {
		t.Errorf("feed:\n%s", feed)
	}

	// News produced through Kafka appears without a reload, and so does a trade.
	start := time.Now()
	if err := h.produce("news", "", []string{`{"news_id":"N2","ts":"2026-01-02T17:00:00Z","source":"twitter","headline":"Apple unveils a new iPhone"}`}); err != nil {
		t.Fatal(err)
	}
	p.do(chromedp.WaitVisible(chromedp.CSS(`li[data-news="N2"]`)))
	newsLatency := time.Since(start)
	if _, err := h.db.Exec("INSERT INTO trades (user_id, symbol, side, quantity, price) VALUES (1, 'KO', 'BUY', 100, 10)"); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	p.do(chromedp.WaitVisible(chromedp.Search(`//tr[@data-symbol="KO"]/td[2][text()="110"]`)))
	tradeLatency := time.Since(start)
	t.Logf("live updates: news shown %v after it was applied, a trade %v after its INSERT returned",
		newsLatency.Round(time.Millisecond), tradeLatency.Round(time.Millisecond))
	if newsLatency > time.Second || tradeLatency > time.Second {
		t.Errorf("a live update took over a second")
	}
	p.screenshot("user.png")

	// KO now weighs 1100 of 2000: at 0.60 no holding reaches the threshold; at 0.05 the
	// news of every holding shows.
	p.do(chromedp.SetValue(chromedp.ID("threshold"), "0.60"), chromedp.Submit(chromedp.ID("threshold")),
		chromedp.WaitVisible(chromedp.CSS(`section.feed p.muted`)))
	if n := p.count("li.item"); n != 0 {
		t.Errorf("at a threshold of 0.60, %d news items", n)
	}
	p.do(chromedp.SetValue(chromedp.ID("threshold"), "0.05"), chromedp.Submit(chromedp.ID("threshold")),
		chromedp.WaitVisible(chromedp.CSS(`li[data-news="N1"]`)))
	if n := p.count("li.item"); n != 2 {
		t.Errorf("at a threshold of 0.05, %d news items, want 2", n)
	}

	p.do(chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`tr.holding`)))
	p.screenshot("user-phone.png")
	p.do(chromedp.EmulateViewport(1280, 900))

	// The pipeline monitor starts a run and shows it complete.
	p.do(chromedp.Navigate(base+"/pipeline"), chromedp.Click(chromedp.ID("run")),
		chromedp.WaitVisible(chromedp.CSS(`.run-card[data-run="1"] .status.succeeded`)))
	if msg := p.text(`.message`); msg != "run 1 succeeded" {
		t.Errorf("after the run button: %q", msg)
	}
	p.screenshot("pipeline.png")
}

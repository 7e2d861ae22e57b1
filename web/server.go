package web

import (
	"bytes"
	"context"
	"crypto/subtle"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/autonews/autonews/batch"
	"github.com/autonews/autonews/news"
)

//go:embed assets
var assets embed.FS

var pages = template.Must(template.New("").ParseFS(assets, "assets/*.html"))

// Handler serves the dashboard and the pipeline monitor.
type Handler struct {
	src Source
	cfg Config
	log *slog.Logger
	mux *http.ServeMux
}

// NewHandler returns the pages' handler.
func NewHandler(src Source, cfg Config, log *slog.Logger) *Handler {
	h := &Handler{src: src, cfg: cfg, log: log, mux: http.NewServeMux()}
	static, _ := fs.Sub(assets, "assets")
	h.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	h.mux.HandleFunc("GET /{$}", h.index)
	h.mux.HandleFunc("GET /users", h.pickUser)
	h.mux.HandleFunc("GET /users/{id}", h.user)
	h.mux.HandleFunc("GET /users/{id}/live", h.userLive)
	h.mux.HandleFunc("GET /pipeline", h.pipeline)
	h.mux.HandleFunc("GET /pipeline/live", h.pipelineLive)
	h.mux.HandleFunc("POST /pipeline/run", h.run)
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

func (h *Handler) render(w http.ResponseWriter, name string, data any) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		h.log.Error("render page", "template", name, "err", err)
		http.Error(w, "could not render the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

func (h *Handler) index(w http.ResponseWriter, _ *http.Request) {
	h.render(w, "index.html", map[string]any{"Title": "Traders", "Active": h.src.ActiveUsers(30)})
}

func (h *Handler) pickUser(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.URL.Query().Get("id"), 10, 64)
	if err != nil || id <= 0 {
		http.Error(w, "a user id is a positive whole number", http.StatusBadRequest)
		return
	}
	http.Redirect(w, r, "/users/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

// portfolioView is what the portfolio fragment shows.
type portfolioView struct {
	Title            string
	UserID           int64
	Threshold        float64
	ThresholdPercent float64
	Holdings         []holdingView
	Donut            template.HTML
	News             []newsView
}

type holdingView struct {
	Symbol                 string
	Shares                 int64
	LastPrice, MarketValue float64
	Percent                float64
	Colour                 string
	Bar                    template.HTML
}

type newsView struct {
	ID, Headline, Source, URL string
	Published, PublishedText  string
	Symbol                    string
	Percent                   float64
}

// feedLength is how many news items the feed shows.
const feedLength = 50

func (h *Handler) portfolio(r *http.Request) (portfolioView, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return portfolioView{}, fmt.Errorf("a user id is a positive whole number, not %q", r.PathValue("id"))
	}
	threshold := h.cfg.Threshold
	if t := r.URL.Query().Get("threshold"); t != "" {
		threshold, err = strconv.ParseFloat(t, 64)
		if err != nil || threshold < 0 || threshold > 1 {
			return portfolioView{}, fmt.Errorf("the threshold is a share of the portfolio between 0 and 1, not %q", t)
		}
	}
	v := portfolioView{Title: fmt.Sprintf("User %d", id), UserID: id, Threshold: threshold, ThresholdPercent: threshold * 100}
	valued := h.src.Portfolio(id)
	var weights []float64
	var holdings []news.Holding
	for i, p := range valued {
		v.Holdings = append(v.Holdings, holdingView{Symbol: p.Symbol, Shares: p.Shares, LastPrice: p.LastPrice, MarketValue: p.MarketValue,
			Percent: p.Weight * 100, Colour: colour(i), Bar: weightBar(p.Weight, i)})
		weights = append(weights, p.Weight)
		holdings = append(holdings, news.Holding{Symbol: p.Symbol, Weight: p.Weight})
	}
	v.Donut = donut(weights)
	it := h.src.News().Relevant(holdings, threshold)
	for n, ok := it.Next(); ok && len(v.News) < feedLength; n, ok = it.Next() {
		v.News = append(v.News, newsView{ID: n.Item.ID, Headline: n.Item.Headline, Source: n.Item.Source, URL: safeURL(n.Item.URL),
			Published: n.Item.PublishedAt.Format(time.RFC3339), PublishedText: n.Item.PublishedAt.Format("2006-01-02 15:04:05"),
			Symbol: n.Symbol, Percent: n.Weight * 100})
	}
	return v, nil
}

// safeURL keeps only web links: a news item's URL comes from outside.
func safeURL(u string) string {
	parsed, err := url.Parse(u)
	if err != nil || (parsed.Scheme != "http" && parsed.Scheme != "https") {
		return ""
	}
	return u
}

func (h *Handler) user(w http.ResponseWriter, r *http.Request) {
	v, err := h.portfolio(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	h.render(w, "user.html", v)
}

func (h *Handler) userLive(w http.ResponseWriter, r *http.Request) {
	if _, err := h.portfolio(r); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	h.stream(w, r, func() (any, string) {
		v, _ := h.portfolio(r)
		return v, "portfolio"
	})
}

// pipelineView is what the pipeline fragment shows.
type pipelineView struct {
	Title          string
	NeedsPassword  bool
	Message        string
	Epoch          uint64
	Lag            []lagView
	Runs           []runView
	RejectedCounts map[string]int
	Rejected       []rejectedView
}

type lagView struct {
	Topic                     string
	Partition                 int32
	LogEnd, Applied, Archived int64
	SnapshotCut               *int64
	LagMessages, LagMillis    int64
}

type runView struct {
	Run                       int64
	Status, Started, Duration string
	Epoch                     uint64
	Error                     string
	Steps                     []stepView
}

type stepView struct {
	Step, Duration string
	Rows           int64
	Bar            template.HTML
}

type rejectedView struct {
	Topic     string
	Partition int32
	Offset    int64
	Reason    string
}

// recentRuns is how many runs the pipeline page shows.
const recentRuns = 10

func (h *Handler) pipelineState(ctx context.Context) pipelineView {
	v := pipelineView{Title: "Pipeline", NeedsPassword: h.cfg.AdminPassword != "", RejectedCounts: map[string]int{}}
	if lag, err := h.src.Lag(ctx); err == nil {
		for _, l := range lag {
			v.Epoch = l.Epoch
			v.Lag = append(v.Lag, lagView{l.Topic, l.Partition, l.LogEnd, l.Applied, l.Archived, l.SnapshotCut, l.LagMessages, l.LagMillis})
		}
	}
	v.Runs = runViews(h.src.Runs())
	rejected := h.src.Rejected()
	for _, r := range rejected {
		v.RejectedCounts[r.Topic]++
	}
	for i := len(rejected) - 1; i >= 0 && len(v.Rejected) < 10; i-- {
		r := rejected[i]
		v.Rejected = append(v.Rejected, rejectedView{r.Topic, r.Partition, r.Offset, r.Reason})
	}
	return v
}

// runViews groups run records into runs, newest first, each step placed on the run's
// timeline.
func runViews(records []batch.RunRecord) []runView {
	byRun := map[int64][]batch.RunRecord{}
	var runs []int64
	for _, r := range records {
		if _, ok := byRun[r.Run]; !ok {
			runs = append(runs, r.Run)
		}
		byRun[r.Run] = append(byRun[r.Run], r)
	}
	slices.Sort(runs)
	slices.Reverse(runs)
	var out []runView
	for _, run := range runs[:min(recentRuns, len(runs))] {
		var whole batch.RunRecord
		var steps []batch.RunRecord
		for _, r := range byRun[run] {
			if r.Step == batch.StepRun {
				whole = r
			} else {
				steps = append(steps, r)
			}
		}
		end := whole.Finished
		if end.IsZero() {
			end = time.Now()
		}
		total := max(end.Sub(whole.Started), time.Millisecond)
		rv := runView{Run: run, Status: whole.Status, Epoch: whole.Epoch, Error: whole.Error,
			Started: whole.Started.UTC().Format("15:04:05"), Duration: roundDuration(end.Sub(whole.Started))}
		for _, s := range steps {
			stepEnd := s.Finished
			if stepEnd.IsZero() {
				stepEnd = time.Now()
			}
			offset := float64(s.Started.Sub(whole.Started)) / float64(total) * 100
			width := float64(stepEnd.Sub(s.Started)) / float64(total) * 100
			rv.Steps = append(rv.Steps, stepView{Step: string(s.Step), Duration: roundDuration(stepEnd.Sub(s.Started)), Rows: s.Rows,
				Bar: timelineBar(offset, width, s.Status)})
		}
		out = append(out, rv)
	}
	return out
}

func roundDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return "<1ms"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	}
	return d.Round(10 * time.Millisecond).String()
}

func (h *Handler) pipeline(w http.ResponseWriter, r *http.Request) {
	v := h.pipelineState(r.Context())
	v.Message = r.URL.Query().Get("message")
	h.render(w, "pipeline.html", v)
}

func (h *Handler) pipelineLive(w http.ResponseWriter, r *http.Request) {
	h.stream(w, r, func() (any, string) { return h.pipelineState(r.Context()), "pipeline" })
}

// run starts a cycle and, once it ended, shows the pipeline page again (POST, redirect,
// GET: a reload does not start another run).
func (h *Handler) run(w http.ResponseWriter, r *http.Request) {
	if h.cfg.AdminPassword != "" && subtle.ConstantTimeCompare([]byte(r.FormValue("password")), []byte(h.cfg.AdminPassword)) != 1 {
		http.Error(w, "wrong admin password: the run button needs the password of the MySQL admin account", http.StatusForbidden)
		return
	}
	res := h.src.RunCycle(r.Context())
	msg := fmt.Sprintf("run %d %s", res.Run, res.Status)
	if res.Err != nil {
		msg += ": " + res.Err.Error()
	}
	http.Redirect(w, r, "/pipeline?message="+url.QueryEscape(msg), http.StatusSeeOther)
}

// livePoll is how often a live page checks for changes.
const livePoll = 200 * time.Millisecond

// stream sends the fragment render returns as a server-sent event whenever the source
// changes, until the client goes away. The request's goroutine owns the loop.
func (h *Handler) stream(w http.ResponseWriter, r *http.Request, render func() (any, string)) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming is not supported here", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprint(w, ": live\n\n")
	flusher.Flush()
	ticker := time.NewTicker(livePoll)
	defer ticker.Stop()
	seen := h.src.Version()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-ticker.C:
		}
		if v := h.src.Version(); v == seen {
			continue
		} else {
			seen = v
		}
		data, name := render()
		var buf bytes.Buffer
		if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
			h.log.Error("render live update", "template", name, "err", err)
			return
		}
		fmt.Fprint(w, "event: update\n")
		for _, line := range strings.Split(buf.String(), "\n") {
			fmt.Fprintf(w, "data: %s\n", line)
		}
		fmt.Fprint(w, "\n")
		flusher.Flush()
	}
}

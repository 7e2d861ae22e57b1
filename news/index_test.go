package news

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/autonews/autonews/message"
)

func newsAt(id string, sec int, headline string) message.News {
	return message.News{ID: id, PublishedAt: time.Unix(int64(sec), 0).UTC(), Headline: headline}
}

// symbolSeries is the series of symbol's items, as relevance reads it.
func symbolSeries(x *Index, symbol string) Series {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if s := x.bySymbol[symbol]; s != nil {
		return s.view()
	}
	return Series{}
}

func ids(c *Cursor) []string {
	var out []string
	for it, ok := c.Next(); ok; it, ok = c.Next() {
		out = append(out, it.ID)
	}
	return out
}

// Items arriving in any order are listed in publication order, each once, and a reader's
// earlier view never changes.
func TestIndexKeepsPublicationOrderWhateverTheArrivalOrder(t *testing.T) {
	x := NewIndex(defaultMatcher)
	rng := rand.New(rand.NewPCG(1, 1))
	const n = 3 * tailLimit
	order := rng.Perm(n)
	var early Series
	for i, sec := range order {
		if !x.Add(newsAt(fmt.Sprintf("N%05d", sec), sec, "3M update")) {
			t.Fatalf("item %d reported as a duplicate", sec)
		}
		if i == n/2 {
			early = symbolSeries(x, "MMM")
		}
	}
	if x.Add(newsAt("N00007", 7, "3M update")) {
		t.Fatal("a duplicate id was stored twice")
	}
	got := ids(symbolSeries(x, "MMM").Oldest())
	want := make([]string, n)
	for i := range want {
		want[i] = fmt.Sprintf("N%05d", i)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("order broken: first %v", got[:10])
	}
	if e := ids(early.Oldest()); len(e) != n/2+1 || !slices.IsSorted(e) {
		t.Fatalf("an earlier view changed: %d items, sorted %v", len(e), slices.IsSorted(e))
	}
	if x.All().Len() != n || x.Len() != n {
		t.Fatalf("all %d, len %d", x.All().Len(), x.Len())
	}
}

func TestRelevantListsNewsOfHeavyHoldingsNewestFirst(t *testing.T) {
	x := NewIndex(defaultMatcher)
	x.Add(newsAt("N1", 1, "3M beats"))
	x.Add(newsAt("N3", 3, "Apple and 3M in talks"))
	x.Add(newsAt("N2", 2, "$KO dividend"))
	x.Add(newsAt("N4", 4, "Nvidia rallies"))
	holdings := []Holding{{"MMM", 0.6}, {"AAPL", 0.3}, {"KO", 0.1 - 1e-12}, {"NVDA", 0.05}}
	var got []string
	it := x.Relevant(holdings, 0.10)
	for r, ok := it.Next(); ok; r, ok = it.Next() {
		got = append(got, fmt.Sprintf("%s/%s", r.Item.ID, r.Symbol))
	}
	want := []string{"N3/MMM", "N3/AAPL", "N2/KO", "N1/MMM"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// Rows come newest first across all the holdings' lists, ties in time going by id and
// then symbol, descending: the order a full sort of every (item, symbol) row gives, for
// times within a second of each other and before 1970 as well.
func TestRelevantRowsComeInTheOrderOfAFullSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	symbols := []string{"MMM", "KO", "AAPL", "NVDA"}
	x := NewIndex(defaultMatcher)
	for i := range 2 * tailLimit {
		at := time.Unix(int64(rng.IntN(5))-2, int64(rng.IntN(3))*500_000_000).UTC()
		if rng.IntN(10) == 0 {
			at = at.AddDate(-100, 0, 0)
		}
		headline := "$" + symbols[rng.IntN(len(symbols))] + " and $" + symbols[rng.IntN(len(symbols))]
		x.Add(message.News{ID: fmt.Sprintf("N%02d", rng.IntN(100)) + fmt.Sprint(i), PublishedAt: at, Headline: headline})
	}
	holdings := []Holding{{"MMM", 0.4}, {"KO", 0.3}, {"AAPL", 0.25}, {"NVDA", 0.05}}
	type row struct {
		item   *Item
		symbol string
	}
	var want []row
	for _, h := range holdings[:3] {
		c := symbolSeries(x, h.Symbol).Oldest()
		for item, ok := c.Next(); ok; item, ok = c.Next() {
			want = append(want, row{item, h.Symbol})
		}
	}
	slices.SortFunc(want, func(a, b row) int {
		if c := b.item.PublishedAt.Compare(a.item.PublishedAt); c != 0 {
			return c
		}
		if a.item.ID != b.item.ID {
			return strings.Compare(b.item.ID, a.item.ID)
		}
		return strings.Compare(b.symbol, a.symbol)
	})
	var got []row
	it := x.Relevant(holdings, 0.1)
	for r, ok := it.Next(); ok; r, ok = it.Next() {
		got = append(got, row{r.Item, r.Symbol})
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%d rows, want %d; first difference at %d", len(got), len(want), firstDifference(got, want))
	}
}

func firstDifference[T comparable](a, b []T) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// A reused iterator forgets the holdings of its earlier use, read to the end or not.
func TestARelevantIteratorReusedAnswersAsAFreshOne(t *testing.T) {
	x := NewIndex(defaultMatcher)
	x.Add(newsAt("N1", 1, "3M beats"))
	x.Add(newsAt("N2", 2, "Apple and 3M in talks"))
	x.Add(newsAt("N3", 3, "$KO dividend"))
	rows := func(it *RelevantIter) (out []string) {
		for r, ok := it.Next(); ok; r, ok = it.Next() {
			out = append(out, r.Item.ID+"/"+r.Symbol)
		}
		return out
	}
	var reused RelevantIter
	x.RelevantInto(&reused, []Holding{{"MMM", 0.5}, {"KO", 0.5}}, 0.1)
	reused.Next() // left unfinished
	for _, holdings := range [][]Holding{{{"AAPL", 1}}, {{"KO", 0.2}, {"MMM", 0.8}}, nil} {
		x.RelevantInto(&reused, holdings, 0.1)
		got, want := rows(&reused), rows(x.Relevant(holdings, 0.1))
		if !slices.Equal(got, want) {
			t.Fatalf("holdings %v: reused iterator gave %v, a fresh one %v", holdings, got, want)
		}
	}
}

func BenchmarkRelevantTop20Of100k(b *testing.B) {
	x := NewIndex(defaultMatcher)
	for i := 0; i < 100_000; i++ {
		x.Add(newsAt(fmt.Sprint(i), i, "3M update"))
	}
	b.ReportAllocs()
	for b.Loop() {
		it := x.Relevant([]Holding{{"MMM", 0.5}, {"AAPL", 0.5}}, 0.1)
		for range 20 {
			it.Next()
		}
	}
}

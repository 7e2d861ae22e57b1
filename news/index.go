package news

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/autonews/autonews/message"
)

// Item is a stored news item with the symbols it is about.
type Item struct {
	ID          string
	PublishedAt time.Time
	// Memo is where a reader keeps what it derives from the item once, for the item's
	// later readers: the SQL server's fast path keeps the item's values there as its
	// protocol sends them. Items never change, so neither does what is derived from them.
	// A query's items are scattered over more memory than the processor caches: reaching
	// the memo costs one cache miss, where a map by item cost more. The index never
	// reads it.
	Memo     atomic.Value
	Source   string
	Headline string
	URL      string
	Symbols  []string
}

// Index holds every news item once, by id, and lists the items of each symbol in order
// of publication (see series for how readers share the lists with the writer).
type Index struct {
	matcher *Matcher

	mu       sync.RWMutex
	byID     map[string]*Item
	bySymbol map[string]*series
	all      series
}

// NewIndex returns an empty index whose items are matched to companies by matcher.
func NewIndex(matcher *Matcher) *Index {
	return &Index{matcher: matcher, byID: map[string]*Item{}, bySymbol: map[string]*series{}}
}

// Add stores a news message unless an item with its id is already stored, and reports
// whether it was new.
func (x *Index) Add(n message.News) bool {
	item := &Item{ID: n.ID, PublishedAt: n.PublishedAt, Source: n.Source, Headline: n.Headline, URL: n.URL, Symbols: x.matcher.Match(n)}
	x.mu.Lock()
	defer x.mu.Unlock()
	if _, dup := x.byID[item.ID]; dup {
		return false
	}
	x.byID[item.ID] = item
	x.all.add(item)
	for _, sym := range item.Symbols {
		s := x.bySymbol[sym]
		if s == nil {
			s = &series{}
			x.bySymbol[sym] = s
		}
		s.add(item)
	}
	return true
}

// All returns every item.
func (x *Index) All() Series {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.all.view()
}

// Len is the number of stored items.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.byID)
}

// SymbolList renders an item's symbols as the news table shows them.
func (it *Item) SymbolList() string { return strings.Join(it.Symbols, ",") }

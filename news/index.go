package news

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/autonews/autonews/message"
)

// Item is a stored news item with the symbols it is about.
type Item struct {
	ID          string
	PublishedAt time.Time
	Source      string
	Headline    string
	URL         string
	Symbols     []string
}

// Index holds every news item once, by id, and lists the items of each symbol in order
// of publication. Many readers share it with one writer: lists are appended to in place
// (readers hold only the prefix they were given) and copied when an item arrives out of
// order, so a reader never sees a list change under it.
type Index struct {
	matcher *Matcher

	mu       sync.RWMutex
	byID     map[string]*Item
	bySymbol map[string][]*Item // ascending by (PublishedAt, ID)
	all      []*Item            // ascending by (PublishedAt, ID)
}

// NewIndex returns an empty index whose items are matched to companies by matcher.
func NewIndex(matcher *Matcher) *Index {
	return &Index{matcher: matcher, byID: map[string]*Item{}, bySymbol: map[string][]*Item{}}
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
	x.all = insertOrdered(x.all, item)
	for _, s := range item.Symbols {
		x.bySymbol[s] = insertOrdered(x.bySymbol[s], item)
	}
	return true
}

func itemBefore(a, b *Item) bool {
	if !a.PublishedAt.Equal(b.PublishedAt) {
		return a.PublishedAt.Before(b.PublishedAt)
	}
	return a.ID < b.ID
}

// insertOrdered appends in place when the item is the newest, and otherwise inserts into
// a copy, leaving the list readers may hold untouched.
func insertOrdered(list []*Item, item *Item) []*Item {
	if len(list) == 0 || itemBefore(list[len(list)-1], item) {
		return append(list, item)
	}
	i, _ := slices.BinarySearchFunc(list, item, func(a, b *Item) int {
		if itemBefore(a, b) {
			return -1
		}
		return 1
	})
	out := make([]*Item, 0, len(list)+1+len(list)/4)
	out = append(out, list[:i]...)
	out = append(out, item)
	return append(out, list[i:]...)
}

// Symbol returns the items about symbol, oldest first. The list must not be modified.
func (x *Index) Symbol(symbol string) []*Item {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.bySymbol[symbol]
}

// All returns every item, oldest first. The list must not be modified.
func (x *Index) All() []*Item {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.all
}

// Get returns the item with id.
func (x *Index) Get(id string) (*Item, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	it, ok := x.byID[id]
	return it, ok
}

// Len is the number of stored items.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.byID)
}

// SymbolList renders an item's symbols as the news table shows them.
func (it *Item) SymbolList() string { return strings.Join(it.Symbols, ",") }

package news

// DefaultRelevanceThreshold is the least portfolio weight that makes a symbol's news
// relevant to a user.
const DefaultRelevanceThreshold = 0.10

// weightTolerance absorbs rounding in weights computed from prices: a position worth
// exactly a tenth of a portfolio must count at a threshold of 0.10.
const weightTolerance = 1e-9

// Holding is a position as relevance sees it: a symbol and its weight in the portfolio.
type Holding struct {
	Symbol string
	Weight float64
}

// Relevant is one row of relevant_news: a news item and the holding that made it relevant.
type Relevant struct {
	Item   *Item
	Symbol string
	Weight float64
}

// RelevantIter yields the news relevant to one user, newest first: every item that
// mentions a symbol whose weight is at least the threshold, once for each such symbol.
// It reads lazily, so a LIMIT stops it early.
type RelevantIter struct {
	lists []relevantList
}

type relevantList struct {
	holding Holding
	entries []entry // ascending; consumed from the end
}

// Relevant returns the iterator over holdings at threshold.
func (x *Index) Relevant(holdings []Holding, threshold float64) *RelevantIter {
	it := &RelevantIter{}
	x.RelevantInto(it, holdings, threshold)
	return it
}

// RelevantInto makes it the iterator over holdings at threshold, reusing its memory: the
// serving fast path keeps one per answer buffer.
func (x *Index) RelevantInto(it *RelevantIter, holdings []Holding, threshold float64) {
	it.Reset()
	x.mu.RLock() // once for all the symbols: the lock's word is shared by every query
	defer x.mu.RUnlock()
	for _, h := range holdings {
		if h.Weight+weightTolerance < threshold {
			continue
		}
		s := x.bySymbol[h.Symbol]
		if s == nil {
			continue
		}
		for _, entries := range [...][]entry{s.main, s.tail} {
			if len(entries) > 0 {
				it.lists = append(it.lists, relevantList{holding: h, entries: entries})
			}
		}
	}
}

// Reset empties the iterator, keeping its memory for RelevantInto.
func (it *RelevantIter) Reset() {
	clear(it.lists) // holds no items of an earlier use
	it.lists = it.lists[:0]
}

// Next returns the next row, or false at the end. Ties in time go by id, then symbol,
// all descending, so the order is total and repeatable. The lists are few (a portfolio's
// heavy holdings), so a linear scan for the newest beats a heap.
func (it *RelevantIter) Next() (Relevant, bool) {
	best := -1
	for i := range it.lists {
		if len(it.lists[i].entries) == 0 {
			continue
		}
		if best < 0 || newerRow(&it.lists[i], &it.lists[best]) {
			best = i
		}
	}
	if best < 0 {
		return Relevant{}, false
	}
	l := &it.lists[best]
	newest := l.entries[len(l.entries)-1]
	l.entries = l.entries[:len(l.entries)-1]
	return Relevant{Item: newest.item, Symbol: l.holding.Symbol, Weight: l.holding.Weight}, true
}

// newerRow reports whether a's next row comes before b's: the newer item, then the
// greater symbol.
func newerRow(a, b *relevantList) bool {
	x, y := a.entries[len(a.entries)-1], b.entries[len(b.entries)-1]
	if x.item != y.item {
		return y.before(x)
	}
	return a.holding.Symbol > b.holding.Symbol
}

package news

import "slices"

// tailLimit bounds the out-of-order part of a series before it is merged into the main
// part: an insertion costs at most a copy of the tail, and a merge, once per tailLimit
// out-of-order items, a copy of the series.
const tailLimit = 2048

// series is a list of items in publication order that many readers share with one writer.
// Items arriving in order are appended to main in place (readers hold only the prefix they
// were given); items arriving out of order go into a small sorted tail, copied on every
// insertion. Neither slice a reader was given ever changes.
type series struct {
	main []entry
	tail []entry
}

// entry is an item in a series with its publication time beside it: ordering and merging
// lists then compare numbers in the list's own memory. Following each item's pointer
// instead was most of the relevance iterator's time: the items a query shows are
// scattered over more memory than the processor caches.
type entry struct {
	sec  int64 // PublishedAt, Unix seconds
	nsec int32 // and nanoseconds
	item *Item
}

func entryOf(item *Item) entry {
	return entry{sec: item.PublishedAt.Unix(), nsec: int32(item.PublishedAt.Nanosecond()), item: item}
}

// before orders entries by publication time, then by id: a total order, as ids are unique.
func (e entry) before(o entry) bool {
	if e.sec != o.sec {
		return e.sec < o.sec
	}
	if e.nsec != o.nsec {
		return e.nsec < o.nsec
	}
	return e.item.ID < o.item.ID
}

// Series is a reader's view of a series: two sorted lists, ascending, that together hold
// every item once.
type Series struct {
	main, tail []entry
}

// Len is the number of items.
func (s Series) Len() int { return len(s.main) + len(s.tail) }

func (s *series) add(item *Item) {
	e := entryOf(item)
	if len(s.tail) == 0 && (len(s.main) == 0 || s.main[len(s.main)-1].before(e)) {
		s.main = append(s.main, e)
		return
	}
	s.tail = insertSorted(s.tail, e)
	if len(s.tail) >= tailLimit {
		s.main, s.tail = mergeSorted(s.main, s.tail), nil
	}
}

func (s *series) view() Series { return Series{main: s.main, tail: s.tail} }

// insertSorted returns a new list with e in its place; list is left untouched.
func insertSorted(list []entry, e entry) []entry {
	i, _ := slices.BinarySearchFunc(list, e, func(a, b entry) int {
		if a.before(b) {
			return -1
		}
		return 1
	})
	out := make([]entry, 0, len(list)+1)
	out = append(out, list[:i]...)
	out = append(out, e)
	return append(out, list[i:]...)
}

// mergeSorted returns a new list holding both sorted lists, in order.
func mergeSorted(a, b []entry) []entry {
	out := make([]entry, 0, len(a)+len(b)+len(a)/4)
	for len(a) > 0 && len(b) > 0 {
		if b[0].before(a[0]) {
			out, b = append(out, b[0]), b[1:]
		} else {
			out, a = append(out, a[0]), a[1:]
		}
	}
	out = append(out, a...)
	return append(out, b...)
}

// Oldest returns a cursor over the series, oldest first.
func (s Series) Oldest() *Cursor { return &Cursor{a: s.main, b: s.tail} }

// Cursor walks a series oldest first.
type Cursor struct{ a, b []entry }

// Next returns the next item, or false at the end.
func (c *Cursor) Next() (*Item, bool) {
	switch {
	case len(c.a) == 0 && len(c.b) == 0:
		return nil, false
	case len(c.b) == 0 || len(c.a) > 0 && c.a[0].before(c.b[0]):
		it := c.a[0].item
		c.a = c.a[1:]
		return it, true
	}
	it := c.b[0].item
	c.b = c.b[1:]
	return it, true
}

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
	main []*Item
	tail []*Item
}

// Series is a reader's view of a series: two sorted lists, ascending, that together hold
// every item once.
type Series struct {
	Main, Tail []*Item
}

// Len is the number of items.
func (s Series) Len() int { return len(s.Main) + len(s.Tail) }

func (s *series) add(item *Item) {
	if len(s.tail) == 0 && (len(s.main) == 0 || itemBefore(s.main[len(s.main)-1], item)) {
		s.main = append(s.main, item)
		return
	}
	s.tail = insertSorted(s.tail, item)
	if len(s.tail) >= tailLimit {
		s.main, s.tail = mergeSorted(s.main, s.tail), nil
	}
}

func (s *series) view() Series { return Series{Main: s.main, Tail: s.tail} }

// insertSorted returns a new list with item in its place; list is left untouched.
func insertSorted(list []*Item, item *Item) []*Item {
	i, _ := slices.BinarySearchFunc(list, item, func(a, b *Item) int {
		if itemBefore(a, b) {
			return -1
		}
		return 1
	})
	out := make([]*Item, 0, len(list)+1)
	out = append(out, list[:i]...)
	out = append(out, item)
	return append(out, list[i:]...)
}

// mergeSorted returns a new list holding both sorted lists, in order.
func mergeSorted(a, b []*Item) []*Item {
	out := make([]*Item, 0, len(a)+len(b)+len(a)/4)
	for len(a) > 0 && len(b) > 0 {
		if itemBefore(b[0], a[0]) {
			out, b = append(out, b[0]), b[1:]
		} else {
			out, a = append(out, a[0]), a[1:]
		}
	}
	out = append(out, a...)
	return append(out, b...)
}

// Oldest returns a cursor over the series, oldest first.
func (s Series) Oldest() *Cursor { return &Cursor{a: s.Main, b: s.Tail} }

// Cursor walks a series oldest first.
type Cursor struct{ a, b []*Item }

// Next returns the next item, or false at the end.
func (c *Cursor) Next() (*Item, bool) {
	switch {
	case len(c.a) == 0 && len(c.b) == 0:
		return nil, false
	case len(c.b) == 0 || len(c.a) > 0 && itemBefore(c.a[0], c.b[0]):
		it := c.a[0]
		c.a = c.a[1:]
		return it, true
	}
	it := c.b[0]
	c.b = c.b[1:]
	return it, true
}

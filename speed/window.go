package speed

import "hash/maphash"

// dedupWindow remembers the most recent trade ids, so that a trade delivered twice within
// the window is applied once. A duplicate older than the window is applied again by the
// speed layer and corrected by the next batch run, which deduplicates exactly.
//
// It keeps 64-bit hashes of the ids rather than the ids: a profile of the apply path had
// the string map as its largest cost, and the window holds a million ids. Two different
// ids with one hash would make the speed layer skip a trade (about once in 10^13 trades
// with a full window); the next batch run, which compares ids exactly, restores it.
type dedupWindow struct {
	seed maphash.Seed
	ids  map[uint64]struct{}
	ring []uint64
	next int
	full bool
}

func newDedupWindow(size int) *dedupWindow {
	return &dedupWindow{seed: maphash.MakeSeed(), ids: make(map[uint64]struct{}, min(size, 1<<16)), ring: make([]uint64, size)}
}

// firstSighting records id and reports whether it was not in the window.
func (w *dedupWindow) firstSighting(id string) bool {
	if len(w.ring) == 0 {
		return true
	}
	h := maphash.String(w.seed, id)
	if _, seen := w.ids[h]; seen {
		return false
	}
	if w.full {
		delete(w.ids, w.ring[w.next])
	}
	w.ring[w.next] = h
	w.ids[h] = struct{}{}
	w.next++
	if w.next == len(w.ring) {
		w.next, w.full = 0, true
	}
	return true
}

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
//
// The hashes live in an open-addressing table at most half full, probed linearly, and
// leave it in arrival order through a ring; a removal shifts the entries after it back so
// that no tombstones build up. A Go map in its place was 40% of BenchmarkApply's apply
// path (a lookup, an insert and a delete per trade, each a few cache misses).
type dedupWindow struct {
	seed  maphash.Seed
	slots []uint64 // 0 is an empty slot; hashes of 0 are stored as 1
	mask  uint64
	ring  []uint64
	next  int
	full  bool
	// touched keeps what touch read, so that its reads are not optimized away.
	touched uint64
}

// Seed is a deduplication window filled before the layer that starts with it exists: a
// restart fills it from the master dataset while the snapshot loads.
type Seed struct {
	window *dedupWindow
}

// NewSeed returns a window of size holding ids, given oldest first: the trades applied
// just below the snapshot's cut, so that one redelivered after a restart is applied once.
func NewSeed(size int, ids []string) *Seed {
	w := newDedupWindow(max(size, 0))
	for _, id := range ids {
		w.firstSighting(id)
	}
	return &Seed{window: w}
}

func newDedupWindow(size int) *dedupWindow {
	w := &dedupWindow{seed: maphash.MakeSeed(), ring: make([]uint64, size)}
	if size > 0 {
		n := 1
		for n < 2*size {
			n <<= 1
		}
		w.slots, w.mask = make([]uint64, n), uint64(n-1)
	}
	return w
}

// hash is the value the window keeps for id.
func (w *dedupWindow) hash(id string) uint64 { return max(maphash.String(w.seed, id), 1) }

// touch reads the slots that recording hashes, in order, will probe first: theirs, and
// those of the ids they push out of a full window. Read together, their cache misses
// overlap; one sighting at a time, each waited for its own (the table of a million ids
// is 16 MiB).
func (w *dedupWindow) touch(hashes []uint64) {
	if len(w.ring) == 0 {
		return
	}
	var sum uint64
	for k, h := range hashes {
		sum += w.slots[h&w.mask]
		if w.full {
			sum += w.slots[w.ring[(w.next+k)%len(w.ring)]&w.mask]
		}
	}
	w.touched += sum
}

// firstSighting records id and reports whether it was not in the window.
func (w *dedupWindow) firstSighting(id string) bool {
	return w.firstSightingOf(w.hash(id))
}

// firstSightingOf is firstSighting given the id's hash.
func (w *dedupWindow) firstSightingOf(h uint64) bool {
	if len(w.ring) == 0 {
		return true
	}
	i := h & w.mask
	for ; w.slots[i] != 0; i = (i + 1) & w.mask {
		if w.slots[i] == h {
			return false
		}
	}
	if w.full {
		// The removal may free a slot earlier in h's probe run: probe again.
		w.remove(w.ring[w.next])
		for i = h & w.mask; w.slots[i] != 0; i = (i + 1) & w.mask {
		}
	}
	w.slots[i] = h
	w.ring[w.next] = h
	w.next++
	if w.next == len(w.ring) {
		w.next, w.full = 0, true
	}
	return true
}

// remove deletes h from the table by backward shifting: each later entry of the probe run
// that may live in the freed slot moves into it.
func (w *dedupWindow) remove(h uint64) {
	i := h & w.mask
	for w.slots[i] != h {
		if w.slots[i] == 0 {
			return // unreachable: every hash in the ring is in the table
		}
		i = (i + 1) & w.mask
	}
	for {
		w.slots[i] = 0
		j := i
		for {
			j = (j + 1) & w.mask
			if w.slots[j] == 0 {
				return
			}
			home := w.slots[j] & w.mask
			// The entry at j may move to i unless its home lies cyclically in (i, j].
			if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
				break
			}
		}
		w.slots[i] = w.slots[j]
		i = j
	}
}

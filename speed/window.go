package speed

// dedupWindow remembers the most recent trade ids, so that a trade delivered twice within
// the window is applied once. A duplicate older than the window is applied again by the
// speed layer and corrected by the next batch run, which deduplicates exactly.
type dedupWindow struct {
	ids  map[string]struct{}
	ring []string
	next int
}

func newDedupWindow(size int) *dedupWindow {
	return &dedupWindow{ids: make(map[string]struct{}, min(size, 1<<16)), ring: make([]string, size)}
}

// firstSighting records id and reports whether it was not in the window.
func (w *dedupWindow) firstSighting(id string) bool {
	if len(w.ring) == 0 {
		return true
	}
	if _, seen := w.ids[id]; seen {
		return false
	}
	if old := w.ring[w.next]; old != "" {
		delete(w.ids, old)
	}
	w.ring[w.next] = id
	w.ids[id] = struct{}{}
	w.next = (w.next + 1) % len(w.ring)
	return true
}

package batch

// stagedParts appends entries to many partitions through a small buffer per partition.
// The scatter appends each row to one of a thousand partitions at random: writing
// straight into them touched a different page and cache line for nearly every row (the
// appends were most of the scatter's time in the 50M-trade profile). The buffers of all
// partitions together stay in cache, and a full one moves to its partition at once.
type stagedParts[T any] struct {
	parts  [][]T
	staged []T     // stageRows entries per partition
	counts []uint8 // entries staged per partition
}

// stageRows entries of 12 bytes (an id's or a position's) are six cache lines, and a
// scatterer's buffers for a thousand partitions 0.4 MB. Longer moves
// write partitions faster than the few lines of 8 entries, whose buffers fitted in a
// core's L2 cache: the 50M-trade fold, alternating three runs each, 6.13-6.39 s with 32
// and 6.16-6.29 s with 64 against 6.31-6.53 s with 8 (entries of 16 and 24 bytes then);
// with entries of 12 and 16 bytes, 64 is still no faster (6.40-6.57 s against 6.47-6.64 s).
const stageRows = 32

func newStagedParts[T any](parts [][]T) *stagedParts[T] {
	n := len(parts) + 1 // and the discard partition
	return &stagedParts[T]{parts: parts, staged: make([]T, n*stageRows), counts: make([]uint8, n)}
}

// discard is the number of a partition whose entries are dropped: a scatterer adds the
// rows of partitions it does not own there rather than branch on every row.
func (s *stagedParts[T]) discard() uint64 { return uint64(len(s.parts)) }

// addOwned adds e to partition part if owned holds it, and drops it otherwise: a
// scatterer sees every row and keeps those of the partitions it owns.
func (s *stagedParts[T]) addOwned(owned ownedParts, part uint64, e T) {
	i, ok := owned.index(part)
	if !ok {
		i = s.discard()
	}
	s.add(i, e)
}

func (s *stagedParts[T]) add(part uint64, e T) {
	n := s.counts[part]
	base := part * stageRows
	s.staged[base+uint64(n)] = e
	if n+1 < stageRows {
		s.counts[part] = n + 1
		return
	}
	s.counts[part] = 0
	if part < uint64(len(s.parts)) {
		s.parts[part] = append(s.parts[part], s.staged[base:base+stageRows]...)
	}
}

// flush moves every staged entry to its partition and returns the partitions.
func (s *stagedParts[T]) flush() [][]T {
	for part := range s.parts {
		base := part * stageRows
		s.parts[part] = append(s.parts[part], s.staged[base:base+int(s.counts[part])]...)
		s.counts[part] = 0
	}
	return s.parts
}

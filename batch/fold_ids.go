package batch

import (
	"cmp"
	"math/bits"
	"slices"
)

// idSet remembers the 64-bit hash of every trade_id an aggregate's part has folded and
// the aggregate's number of the row it was first read at. Equal hashes are only
// candidates for a duplicate: the fold confirms them against the stored trade_ids, so
// the set stays exact.
//
// The set is a few runs of entries sorted by hash, each hash in one run only. A later
// fold sorts a part's entries into its worker's scratch and keeps them there as a new
// run; the memory the scatter wrote them to is the scratch of the worker's next part. A
// part's first fold is kept in row order, deduplicated in a table in cache, and sorted
// after the fold (see addFirst). An open-addressing table of all the ids took twice their
// memory, all of it fresh: on a VM fresh from boot, writing its pages first took 1.85 s
// of the 50M-trade fold's 9.8 s of CPU.
type idSet struct {
	runs [][]idEntry // the oldest first; a run is at least twice as long as the next
	// unsorted says the only run is a part's first fold, in row order: sortRun sorts it.
	unsorted bool
}

// idScratch is a goroutine's own memory for sorting a part's entries.
type idScratch struct {
	entries []idEntry
	counts  []uint32
	table   []uint32 // a first fold's: entry numbers plus one, by hash
}

// sorted returns entries sorted by hash in the scratch's memory, which then holds a run,
// and takes the entries' memory, read no more, as the scratch of the next part. Entries
// too few to sort are returned as they are.
func (sc *idScratch) sorted(entries []idEntry) []idEntry {
	sorted := sortedByHash(entries, sc)
	if len(entries) >= 2 {
		sc.entries = entries
	}
	return sorted
}

// addFirst keeps entries, a part's first fold (the part holds nothing yet, and entries
// are its rows in row order), but those whose hash an earlier one has, calling seen for
// each of those with the row its hash was first read at. It finds them in a table of
// the part's own in cache, and leaves the run unsorted: nothing searches it before the
// next fold, and the aggregate sorts it meanwhile (see Aggregate.sortIDs).
// BenchmarkIDSetAdd: 4.4-5.6 ns an id, against 11.1-11.9 for a sort, which then takes
// 10.4-10.7 ns an id out of the fold's way.
func (s *idSet) addFirst(entries []idEntry, scratch *idScratch, seen func(first, row uint32)) {
	if len(entries) == 0 {
		return
	}
	size := tableSize(len(entries))
	table := grow(&scratch.table, size)
	clear(table)
	// The part's hashes share their top idPartitionBits: the slot is the bits below.
	shift, mask := uint(64-bits.TrailingZeros(uint(size))), uint64(size-1)
	kept := entries[:0] // written behind the reads
	for _, e := range entries {
		hash := e.hash()
		for i := (hash << idPartitionBits) >> shift; ; i = (i + 1) & mask {
			k := table[i]
			if k == 0 {
				kept = append(kept, e)
				table[i] = uint32(len(kept))
				break
			}
			if first := kept[k-1]; first.hash() == hash {
				seen(first.row, e.row)
				break
			}
		}
	}
	s.runs, s.unsorted = append(s.runs, kept), true
}

// sortRun sorts the run addFirst left unsorted, keeping it in the scratch's memory and
// giving the run's to the scratch.
func (s *idSet) sortRun(scratch *idScratch) {
	if !s.unsorted {
		return
	}
	s.runs[0], s.unsorted = scratch.sorted(s.runs[0]), false
}

// add adds entries (the fold's rows of the part, in row order, their hashes sharing the
// part's top idPartitionBits): it keeps those whose hash the set lacks, and calls seen
// for each of the others with the row its hash was first read at. add takes the
// entries' memory: it may keep the run there, or give it to the scratch.
//
// A part's first fold goes to addFirst. A later one sorts its entries by hash and looks
// them up in the sorted runs.
func (s *idSet) add(entries []idEntry, scratch *idScratch, seen func(first, row uint32)) {
	if len(s.runs) == 0 {
		s.addFirst(entries, scratch, seen)
		return
	}
	s.sortRun(scratch)
	sorted := scratch.sorted(entries)
	if len(sorted) == 0 {
		return
	}
	cursors := make([]int, len(s.runs))
	kept := sorted[:0] // written behind the reads
	for _, e := range sorted {
		hash := e.hash()
		if len(kept) > 0 && kept[len(kept)-1].hash() == hash {
			// The sort is stable, so the first of equal hashes is the earliest row.
			seen(kept[len(kept)-1].row, e.row)
			continue
		}
		if first, ok := s.find(hash, cursors); ok {
			seen(first, e.row)
			continue
		}
		kept = append(kept, e)
	}
	if len(kept) > 0 {
		s.runs = append(s.runs, kept)
	}
	s.mergeRuns()
}

// find looks hash up in every run; cursors hold where each run's search for the previous,
// smaller hash ended, so that a fold's sorted entries walk each run once.
func (s *idSet) find(hash uint64, cursors []int) (first uint32, ok bool) {
	for r, run := range s.runs {
		i := gallop(run, cursors[r], hash)
		cursors[r] = i
		if i < len(run) && run[i].hash() == hash {
			return run[i].row, true
		}
	}
	return 0, false
}

// gallop returns the first index at or after from whose hash is not below hash, probing
// from from in doubling steps: a fold's next entry usually lies a few entries further on.
func gallop(run []idEntry, from int, hash uint64) int {
	lo, step := from, 1
	for lo+step < len(run) && run[lo+step].hash() < hash {
		lo += step
		step *= 2
	}
	hi := min(lo+step+1, len(run))
	i, _ := slices.BinarySearchFunc(run[lo:hi], hash, func(e idEntry, hash uint64) int { return cmp.Compare(e.hash(), hash) })
	return lo + i
}

// mergeRuns merges the newest run into the one before while it is at least half as
// long, so that a set of n ids has about log2(n) runs and each id is copied about as
// often, however small the increments.
func (s *idSet) mergeRuns() {
	for n := len(s.runs); n >= 2 && 2*len(s.runs[n-1]) >= len(s.runs[n-2]); n = len(s.runs) {
		older, newer := s.runs[n-2], s.runs[n-1]
		merged := make([]idEntry, 0, len(older)+len(newer))
		i, j := 0, 0
		for i < len(older) && j < len(newer) {
			if older[i].hash() < newer[j].hash() { // a hash is in one run only
				merged = append(merged, older[i])
				i++
			} else {
				merged = append(merged, newer[j])
				j++
			}
		}
		merged = append(append(merged, older[i:]...), newer[j:]...)
		s.runs = append(s.runs[:n-2], merged)
	}
}

// bucketEntries is about how many entries sortedByHash puts in a bucket: few enough that
// sorting one by insertion is a handful of moves in a few cache lines. Once a first fold's
// part no longer went through a copying pass, 4 sorted faster than 8 or 2
// (sorting a part of 49k ids: 11.9-12.6 ns an id against 13.5-15.4 and 12.3-13.4).
const bucketEntries = 4

// sortedByHash returns entries sorted by hash, stably, in scratch's memory (or entries
// itself, when there is nothing to sort): a counting sort into buckets by the hash's top
// bits below the part's, then each bucket by insertion. The hashes are uniform, so
// buckets are small; a large one (ids made to collide) is sorted by comparison.
func sortedByHash(entries []idEntry, scratch *idScratch) []idEntry {
	if len(entries) < 2 {
		return entries
	}
	bucketBits := uint(max(1, min(16, bits.Len(uint(len(entries)/bucketEntries)))))
	shift := 64 - idPartitionBits - bucketBits
	bucketOf := func(e idEntry) uint64 { return e.hash() << idPartitionBits >> (idPartitionBits + shift) }
	counts := grow(&scratch.counts, 1<<bucketBits+1)
	clear(counts)
	for _, e := range entries {
		counts[bucketOf(e)+1]++
	}
	for b := 1; b < len(counts); b++ {
		counts[b] += counts[b-1]
	}
	// counts[b] is now where bucket b starts; filling moves each start to the next's.
	sorted := grow(&scratch.entries, len(entries))
	for _, e := range entries {
		b := bucketOf(e)
		sorted[counts[b]] = e
		counts[b]++
	}
	from := 0
	for b := range len(counts) - 1 {
		to := int(counts[b])
		sortBucket(sorted[from:to])
		from = to
	}
	return sorted
}

// sortBucket sorts bucket by hash, stably.
func sortBucket(bucket []idEntry) {
	if len(bucket) > 4*bucketEntries {
		slices.SortStableFunc(bucket, func(a, b idEntry) int { return cmp.Compare(a.hash(), b.hash()) })
		return
	}
	for i := 1; i < len(bucket); i++ {
		e := bucket[i]
		hash := e.hash()
		j := i
		for ; j > 0 && bucket[j-1].hash() > hash; j-- {
			bucket[j] = bucket[j-1]
		}
		bucket[j] = e
	}
}

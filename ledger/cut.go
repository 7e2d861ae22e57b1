package ledger

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// LogPosition locates a record in the trades topic.
type LogPosition struct {
	Partition int32
	Offset    int64
}

// Less orders records the way every layer replays them: by partition, then offset.
func (p LogPosition) Less(o LogPosition) bool {
	if p.Partition != o.Partition {
		return p.Partition < o.Partition
	}
	return p.Offset < o.Offset
}

// Cut maps a partition to the first offset not included: a view cut at C holds exactly the
// records with offset < C[partition]. A partition missing from the cut is at offset 0.
type Cut map[int32]int64

// Includes reports whether the record at pos lies below the cut.
func (c Cut) Includes(pos LogPosition) bool { return pos.Offset < c[pos.Partition] }

// Clone returns an independent copy.
func (c Cut) Clone() Cut { return maps.Clone(c) }

// Covers reports whether c is at or beyond o on every partition of either.
func (c Cut) Covers(o Cut) bool {
	for p, off := range o {
		if c[p] < off {
			return false
		}
	}
	return true
}

// Equal reports whether both cuts name the same offsets, a missing partition being 0.
func (c Cut) Equal(o Cut) bool { return c.Covers(o) && o.Covers(c) }

// Partitions returns the partitions named by the cut, in order.
func (c Cut) Partitions() []int32 { return slices.Sorted(maps.Keys(c)) }

// String renders the cut as "p0:12 p1:7", in partition order.
func (c Cut) String() string {
	var b strings.Builder
	for i, p := range c.Partitions() {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "p%d:%d", p, c[p])
	}
	return b.String()
}

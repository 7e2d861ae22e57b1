package batch

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/autonews/autonews/ledger"
)

// Master is the master dataset: immutable Parquet segments of every archived message,
// laid out as master/<topic>/p<partition>/<first>-<last>.parquet.
type Master struct {
	dir string
}

// Segment is one immutable file of the master dataset. It covers every offset in
// [First, Last] of its partition; rows exist only for the valid messages among them.
type Segment struct {
	Topic     string
	Partition int32
	First     int64
	Last      int64
	Path      string
}

// offsetDigits zero-pads offsets in file names so that names sort like offsets.
const offsetDigits = 20

// OpenMaster opens (creating if needed) the master dataset under dir.
func OpenMaster(dir string) (*Master, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("master dataset: %w", err)
	}
	return &Master{dir: dir}, nil
}

// Dir is the master dataset's root folder.
func (m *Master) Dir() string { return m.dir }

func (m *Master) partitionDir(topic string, partition int32) string {
	return filepath.Join(m.dir, topic, "p"+strconv.Itoa(int(partition)))
}

func (m *Master) segmentPath(topic string, partition int32, first, last int64) string {
	return filepath.Join(m.partitionDir(topic, partition), fmt.Sprintf("%0*d-%0*d.parquet", offsetDigits, first, offsetDigits, last))
}

// Segments lists the topic's segments ordered by partition and offset, after checking
// that each partition's segments are contiguous: a gap or an overlap would make the batch
// view silently wrong, so it is an error naming the files.
func (m *Master) Segments(topic string) ([]Segment, error) {
	root := filepath.Join(m.dir, topic)
	var segs []Segment
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && path == root {
			return fs.SkipAll
		}
		if err != nil {
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		seg, err := parseSegmentPath(topic, path)
		if err != nil {
			return err
		}
		segs = append(segs, seg)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list master segments of %s: %w", topic, err)
	}
	slices.SortFunc(segs, func(a, b Segment) int {
		if a.Partition != b.Partition {
			return int(a.Partition - b.Partition)
		}
		return int(a.First - b.First)
	})
	for i := 1; i < len(segs); i++ {
		prev, cur := segs[i-1], segs[i]
		if prev.Partition == cur.Partition && cur.First != prev.Last+1 {
			return nil, fmt.Errorf("master dataset of %s partition %d is not contiguous between %s and %s: restore the missing segment or rebuild the archive",
				topic, cur.Partition, prev.Path, cur.Path)
		}
	}
	return segs, nil
}

func parseSegmentPath(topic, path string) (Segment, error) {
	bad := func() (Segment, error) {
		return Segment{}, fmt.Errorf("unexpected file %s in the master dataset: move it out of the data directory", path)
	}
	pdir := filepath.Base(filepath.Dir(path))
	p, err := strconv.ParseInt(strings.TrimPrefix(pdir, "p"), 10, 32)
	if err != nil || !strings.HasPrefix(pdir, "p") {
		return bad()
	}
	name, ok := strings.CutSuffix(filepath.Base(path), ".parquet")
	if !ok {
		return bad()
	}
	a, b, ok := strings.Cut(name, "-")
	if !ok {
		return bad()
	}
	first, err1 := strconv.ParseInt(a, 10, 64)
	last, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || first < 0 || last < first {
		return bad()
	}
	return Segment{Topic: topic, Partition: int32(p), First: first, Last: last, Path: path}, nil
}

// Archived returns, per partition, the next offset to archive: one past the last offset
// the master dataset covers.
func (m *Master) Archived(topic string) (ledger.Cut, error) {
	segs, err := m.Segments(topic)
	if err != nil {
		return nil, err
	}
	next := ledger.Cut{}
	for _, s := range segs {
		next[s.Partition] = s.Last + 1
	}
	return next, nil
}

// prepare removes what an interrupted segment write left behind.
func (m *Master) prepare(topic string, partition int32) error {
	dir := m.partitionDir(topic, partition)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return removeTemporaries(dir)
}

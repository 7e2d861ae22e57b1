package batch

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/autonews/autonews/ledger"
	"github.com/autonews/autonews/message"
)

// ErrNoSnapshot means no snapshot was ever published in the store.
var ErrNoSnapshot = errors.New("no published snapshot")

// Manifest describes a published snapshot. It is the contract with other engines: a job
// elsewhere may compute a snapshot from the same master dataset and publish it with the
// same manifest.
type Manifest struct {
	Epoch     uint64    `json:"epoch"`
	CreatedAt time.Time `json:"created_at"`
	// Cut per topic: the snapshot holds every record below these offsets.
	Cut map[string]ledger.Cut `json:"cut"`
	// Rows per table file.
	Rows map[string]int64 `json:"rows"`
	// Files with their size and SHA-256, checked at load.
	Files map[string]FileDigest `json:"files"`
	// StepMillis records how long each cycle step took before publishing.
	StepMillis map[string]int64 `json:"step_millis,omitempty"`
	// Trades the snapshot holds, and duplicates skipped by the run that computed it.
	Trades     int64 `json:"trades"`
	Duplicates int64 `json:"duplicates"`
}

// FileDigest identifies the exact bytes of a snapshot file.
type FileDigest struct {
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// TradesCut is the cut of the trades topic.
func (m Manifest) TradesCut() ledger.Cut {
	if c := m.Cut[message.TradesTopic]; c != nil {
		return c
	}
	return ledger.Cut{}
}

// Store keeps snapshots under dir/<epoch>/ and names the published one in dir/CURRENT.
type Store struct {
	dir string
}

const currentFile = "CURRENT"

// OpenStore opens (creating if needed) the snapshot store under dir and removes what an
// interrupted publish left behind.
func OpenStore(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("snapshot store: %w", err)
	}
	if err := removeTemporaries(dir); err != nil {
		return nil, fmt.Errorf("snapshot store: %w", err)
	}
	return &Store{dir: dir}, nil
}

func (s *Store) epochDir(epoch uint64) string {
	return filepath.Join(s.dir, strconv.FormatUint(epoch, 10))
}

// Publish writes the snapshot and its manifest into a temporary folder, fsyncs it, renames
// it to its epoch and then points CURRENT at it. Readers of CURRENT never see a partial
// snapshot. The manifest's file digests and row counts are filled in.
func (s *Store) Publish(snap *ledger.Snapshot, m Manifest) (Manifest, error) {
	tmp, err := os.MkdirTemp(s.dir, ".epoch-"+strconv.FormatUint(snap.Epoch, 10)+".tmp-*")
	if err != nil {
		return m, fmt.Errorf("publish epoch %d: %w", snap.Epoch, err)
	}
	defer os.RemoveAll(tmp) // no-op once renamed
	m.Epoch = snap.Epoch
	m.Files = map[string]FileDigest{}
	m.Rows = map[string]int64{}
	for _, f := range snapshotFiles {
		rows, digest, err := writeSnapshotFile(filepath.Join(tmp, f.name), func(w io.Writer) (int64, error) { return f.write(w, snap) })
		if err != nil {
			return m, fmt.Errorf("publish epoch %d: write %s: %w", snap.Epoch, f.name, err)
		}
		m.Files[f.name] = digest
		m.Rows[strings.TrimSuffix(f.name, ".arrow")] = rows
	}
	manifest, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return m, err
	}
	if err := writeFileAtomic(filepath.Join(tmp, "manifest.json"), func(f *os.File) error {
		_, err := f.Write(append(manifest, '\n'))
		return err
	}); err != nil {
		return m, fmt.Errorf("publish epoch %d: manifest: %w", snap.Epoch, err)
	}
	final := s.epochDir(snap.Epoch)
	if err := os.RemoveAll(final); err != nil { // an unpublished leftover of a failed run
		return m, err
	}
	if err := os.Rename(tmp, final); err != nil {
		return m, fmt.Errorf("publish epoch %d: %w", snap.Epoch, err)
	}
	if err := syncDir(s.dir); err != nil {
		return m, err
	}
	if err := writeFileAtomic(filepath.Join(s.dir, currentFile), func(f *os.File) error {
		_, err := fmt.Fprintf(f, "%d\n", snap.Epoch)
		return err
	}); err != nil {
		return m, fmt.Errorf("publish epoch %d: point CURRENT at it: %w", snap.Epoch, err)
	}
	return m, nil
}

// writeSnapshotFile writes one file, fsyncs it and returns its row count and digest.
func writeSnapshotFile(path string, write func(io.Writer) (int64, error)) (int64, FileDigest, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, FileDigest{}, err
	}
	defer f.Close()
	h := sha256.New()
	cw := &countingWriter{w: io.MultiWriter(f, h)}
	rows, err := write(cw)
	if err != nil {
		return 0, FileDigest{}, err
	}
	if err := f.Sync(); err != nil {
		return 0, FileDigest{}, err
	}
	return rows, FileDigest{Bytes: cw.n, SHA256: hex.EncodeToString(h.Sum(nil))}, f.Close()
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Current returns the published epoch, or ErrNoSnapshot.
func (s *Store) Current() (uint64, error) {
	b, err := os.ReadFile(filepath.Join(s.dir, currentFile))
	if errors.Is(err, os.ErrNotExist) {
		return 0, ErrNoSnapshot
	}
	if err != nil {
		return 0, err
	}
	epoch, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("snapshots/CURRENT holds %q, not an epoch", b)
	}
	return epoch, nil
}

// LoadCurrent loads the published snapshot, checking every file against the manifest.
func (s *Store) LoadCurrent() (*ledger.Snapshot, Manifest, error) {
	epoch, err := s.Current()
	if err != nil {
		return nil, Manifest{}, err
	}
	return s.Load(epoch)
}

// CurrentManifest reads the manifest of the published snapshot without its files: what
// it covers is known before the snapshot is loaded.
func (s *Store) CurrentManifest() (Manifest, error) {
	epoch, err := s.Current()
	if err != nil {
		return Manifest{}, err
	}
	return s.manifest(epoch)
}

func (s *Store) manifest(epoch uint64) (Manifest, error) {
	var m Manifest
	b, err := os.ReadFile(filepath.Join(s.epochDir(epoch), "manifest.json"))
	if err != nil {
		return m, fmt.Errorf("load snapshot %d: %w", epoch, err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("load snapshot %d: manifest: %w", epoch, err)
	}
	if m.Epoch != epoch {
		return m, fmt.Errorf("load snapshot %d: manifest names epoch %d", epoch, m.Epoch)
	}
	return m, nil
}

// Load reads the snapshot of epoch, refusing it if any file differs from its manifest.
func (s *Store) Load(epoch uint64) (*ledger.Snapshot, Manifest, error) {
	dir := s.epochDir(epoch)
	m, err := s.manifest(epoch)
	if err != nil {
		return nil, m, err
	}
	// The files are mapped, not read: decoding copies the rows into the snapshot's
	// columns, and a read file was a second copy of them on the heap, which raised the
	// server's resident memory by as much again as the holdings take.
	files := map[string][]byte{}
	for _, f := range snapshotFiles {
		data, unmap, err := mapVerified(filepath.Join(dir, f.name), m.Files[f.name])
		if err != nil {
			return nil, m, fmt.Errorf("load snapshot %d: %w", epoch, err)
		}
		defer unmap()
		files[f.name] = data
	}
	snap, err := decodeSnapshot(epoch, m.TradesCut(), files)
	if err != nil {
		return nil, m, fmt.Errorf("load snapshot %d: %w", epoch, err)
	}
	return snap, m, nil
}

// mapVerified maps a file read-only after checking it against its digest. The data is
// valid until unmap is called.
func mapVerified(path string, want FileDigest) (data []byte, unmap func(), err error) {
	data, unmap, err = mapFile(path)
	if err != nil {
		return nil, nil, err
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != want.SHA256 || int64(len(data)) != want.Bytes {
		unmap()
		return nil, nil, fmt.Errorf("%s is corrupt: %d bytes with SHA-256 %s, the manifest says %d bytes with %s", path, len(data), got, want.Bytes, want.SHA256)
	}
	return data, unmap, nil
}

// Epochs lists the stored epochs, oldest first.
func (s *Store) Epochs() ([]uint64, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	var epochs []uint64
	for _, e := range entries {
		if n, err := strconv.ParseUint(e.Name(), 10, 64); err == nil && e.IsDir() {
			epochs = append(epochs, n)
		}
	}
	slices.Sort(epochs)
	return epochs, nil
}

// Retire deletes all but the newest keep epochs, never the published one.
func (s *Store) Retire(keep int) (removed int, err error) {
	epochs, err := s.Epochs()
	if err != nil {
		return 0, err
	}
	current, err := s.Current()
	if err != nil && !errors.Is(err, ErrNoSnapshot) {
		return 0, err
	}
	for i := 0; i < len(epochs)-keep; i++ {
		if epochs[i] == current {
			continue
		}
		if err := os.RemoveAll(s.epochDir(epochs[i])); err != nil {
			return removed, fmt.Errorf("retire snapshot %d: %w", epochs[i], err)
		}
		removed++
	}
	return removed, nil
}

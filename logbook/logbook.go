// Package logbook keeps the most recent records of something that happened (pipeline
// runs, rejected messages) in memory, bounded, and appends every change to a JSON-lines
// file so the records survive a restart. Records have a key; putting a record with a key
// that is kept replaces it.
package logbook

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
)

// Book is a bounded, keyed, persistent list of records. It is safe for concurrent use.
type Book[K comparable, V any] struct {
	key   func(V) K
	limit int

	mu      sync.Mutex
	records []V
	seq     map[K]int // the key's position, counted from the first record ever kept
	evicted int       // records dropped from the front
	file    *os.File
}

// New returns a book kept in memory only, holding at most limit records.
func New[K comparable, V any](limit int, key func(V) K) *Book[K, V] {
	return &Book[K, V]{key: key, limit: max(limit, 1), seq: map[K]int{}}
}

// Open loads the book kept in path (if any), rewrites the file compactly and appends to
// it from then on. Lines torn by a crash are skipped.
func Open[K comparable, V any](path string, limit int, key func(V) K) (*Book[K, V], error) {
	b := New(limit, key)
	if err := b.load(path); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := b.rewrite(path); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	b.file = f
	return b, nil
}

func (b *Book[K, V]) load(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		var v V
		if json.Unmarshal(sc.Bytes(), &v) == nil {
			b.putLocked(v)
		}
	}
	return sc.Err()
}

// rewrite replaces the file by one line per kept record.
func (b *Book[K, V]) rewrite(path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriter(tmp)
	enc := json.NewEncoder(w)
	for _, v := range b.records {
		if err := enc.Encode(v); err != nil {
			tmp.Close()
			return err
		}
	}
	if err := errors.Join(w.Flush(), tmp.Sync(), tmp.Close()); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Update rewrites every kept record with fn (for example to mark records that were in
// progress when the process stopped) before anything is appended.
func (b *Book[K, V]) Update(fn func(V) V) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, v := range b.records {
		b.records[i] = fn(v)
	}
}

// Put keeps v, replacing the record with its key if there is one, and appends it to the
// file. An append that fails is returned; v is kept in memory either way.
func (b *Book[K, V]) Put(v V) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.putLocked(v)
	if b.file == nil {
		return nil
	}
	line, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = b.file.Write(append(line, '\n'))
	return err
}

// Has reports whether a record with key k is kept.
func (b *Book[K, V]) Has(k K) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.seq[k]
	return ok
}

func (b *Book[K, V]) putLocked(v V) {
	k := b.key(v)
	if s, ok := b.seq[k]; ok {
		b.records[s-b.evicted] = v
		return
	}
	b.seq[k] = b.evicted + len(b.records)
	b.records = append(b.records, v)
	// Drop the oldest in bulk, a quarter of the limit at a time, so that a full book
	// costs no copy per record.
	if over := len(b.records) - b.limit; over > b.limit/4 {
		for _, old := range b.records[:over] {
			delete(b.seq, b.key(old))
		}
		b.records = slices.Clone(b.records[over:])
		b.evicted += over
	}
}

// Records returns a copy of the newest records, at most the limit, oldest first.
func (b *Book[K, V]) Records() []V {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.records[max(0, len(b.records)-b.limit):])
}

// Close stops appending to the file.
func (b *Book[K, V]) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.file == nil {
		return nil
	}
	err := b.file.Close()
	b.file = nil
	return err
}

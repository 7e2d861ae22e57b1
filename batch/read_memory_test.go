package batch

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/autonews/autonews/ledger"
)

func TestARecycledBufferIsHandedOutAgainAndKeepsWhatItHeld(t *testing.T) {
	var a recyclingAllocator
	b := a.Allocate(100 << 10)
	if len(b) != 100<<10 || cap(b) != 128<<10 {
		t.Fatalf("Allocate(100 KiB): len %d cap %d, want 100 KiB in 128 KiB", len(b), cap(b))
	}
	b[0] = 7
	grown := a.Reallocate(200<<10, b)
	if grown[0] != 7 || len(grown) != 200<<10 {
		t.Fatalf("Reallocate lost the contents or the size: [0]=%d len %d", grown[0], len(grown))
	}
	// sync.Pool may drop what it is given (under the race detector, a quarter of it at
	// random): a buffer freed again and again is handed out again within a few tries.
	handedOutAgain := false
	for range 100 {
		a.Free(grown)
		again := a.Allocate(150 << 10)
		if handedOutAgain = unsafe.SliceData(again) == unsafe.SliceData(grown); handedOutAgain {
			break
		}
	}
	if !handedOutAgain {
		t.Fatal("a freed buffer of the size class was not handed out again")
	}
	if small := a.Allocate(100); len(small) != 100 || uintptr(unsafe.Pointer(unsafe.SliceData(small)))%64 != 0 {
		t.Fatalf("a small buffer: len %d, want 100, 64-byte aligned", len(small))
	}
	a.Free(make([]byte, 100<<10)) // not one of its own: left to the collector
}

// watchedAllocator records the buffers it hands out after they were freed once (through
// Free: Reallocate's frees are the allocator's own).
type watchedAllocator struct {
	memory.Allocator
	mu             sync.Mutex
	freed          map[*byte]bool
	handedOutAgain int
}

func (w *watchedAllocator) Allocate(size int) []byte {
	b := w.Allocator.Allocate(size)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.freed[unsafe.SliceData(b)] {
		w.handedOutAgain++
	}
	return b
}

func (w *watchedAllocator) Free(b []byte) {
	w.mu.Lock()
	w.freed[unsafe.SliceData(b)] = true
	w.mu.Unlock()
	w.Allocator.Free(b)
}

// Segments whose pages outgrow recycledMin are read into the buffers the segments before
// them freed, and the fold is still the reducer's.
func TestAFoldReadsSegmentsIntoRecycledBuffers(t *testing.T) {
	watched := &watchedAllocator{Allocator: &recyclingAllocator{}, freed: map[*byte]bool{}}
	readMemory = watched
	t.Cleanup(func() { readMemory = &recyclingAllocator{} })
	h := writeHistory(t, rand.New(rand.NewPCG(9, 9)), 240_000, 2, 40_000)
	snap, _, err := NewAggregate(h.master).Advance(context.Background(), ledger.EmptySnapshot(), 1, h.end)
	if err != nil {
		t.Fatal(err)
	}
	h.sameAsBook(t, snap, h.book(t, h.end))
	if watched.handedOutAgain == 0 {
		t.Fatal("no buffer a segment's reader freed was handed to another")
	}
}

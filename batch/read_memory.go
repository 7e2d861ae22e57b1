package batch

import (
	"math/bits"
	"sync"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
)

// recyclingAllocator hands arrow-go's Parquet readers the buffers that earlier readers
// freed. Each column chunk's page reader allocates buffers to decompress pages into, and
// the 50M-trade fold's were 670 MB of new memory: its partitions lift the collector's goal
// above all of that, so none was collected and reused while the fold ran, and every page
// of it was written for the first time, which costs this VM more than the writes (see
// benchmark/machine.go). Recycled, the fold took 480-512k page faults against 550-611k.
//
// Buffers are recycled by power-of-two capacity, from recycledMin up; arrow-go does not
// expect allocated memory to be zeroed.
type recyclingAllocator struct {
	classes [bits.UintSize]sync.Pool // *[]byte of capacity 1<<class
}

// recycledMin is the least size recycled: smaller buffers go to Go's allocator.
const recycledMin = 64 << 10

// readMemory is the allocator of the fold's Parquet readers; tests watch it.
var readMemory memory.Allocator = &recyclingAllocator{}

func (a *recyclingAllocator) Allocate(size int) []byte {
	if size < recycledMin {
		return memory.DefaultAllocator.Allocate(size)
	}
	class := bits.Len(uint(size - 1))
	if b, ok := a.classes[class].Get().(*[]byte); ok {
		return (*b)[:size]
	}
	return make([]byte, size, 1<<class) // page-aligned: a large object starts a span
}

func (a *recyclingAllocator) Reallocate(size int, b []byte) []byte {
	if cap(b) >= size {
		return b[:size]
	}
	grown := a.Allocate(size)
	copy(grown, b)
	a.Free(b)
	return grown
}

func (a *recyclingAllocator) Free(b []byte) {
	c := cap(b)
	if c < recycledMin || c&(c-1) != 0 || uintptr(unsafe.Pointer(unsafe.SliceData(b)))%64 != 0 {
		return // not one of ours: the collector frees it
	}
	b = b[:c]
	a.classes[bits.Len(uint(c-1))].Put(&b)
}

// readOptions has a segment file read through readMemory, a column chunk streamed rather
// than read whole (259 MB of new memory for the 50M-trade fold, one buffer a chunk).
func readOptions() file.ReadOption {
	props := parquet.NewReaderProperties(readMemory)
	props.BufferedStreamEnabled, props.BufferSize = true, 128<<10
	return file.WithReadProps(props)
}

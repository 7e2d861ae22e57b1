package batch

import (
	"encoding/binary"
	"testing"
)

// Whatever a page holds, reading its values either hashes each one or says where the
// page breaks off; it never reads past the page.
func FuzzPlainByteArrayValues(f *testing.F) {
	value := func(s string) []byte { return binary.LittleEndian.AppendUint32(nil, uint32(len(s))) }
	f.Add(append(value("T-1"), "T-1"...), 1)
	f.Add(append(append(value("T-1"), "T-1"...), append(value(""), value("ab")...)...), 3)
	f.Add([]byte{3, 0, 0}, 1)
	f.Add(append(value("long"), "lo"...), 1)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff}, 1)
	f.Fuzz(func(t *testing.T, page []byte, values int) {
		values = max(1, min(values, 64))
		p := &plainByteArrayPages{data: page, left: values}
		var seen []string
		out := make([]uint64, values)
		err := p.hashes(out, func(id string) uint64 { seen = append(seen, id); return uint64(len(seen)) })
		if err != nil {
			return
		}
		// Read back, the values are the page's bytes in order, each behind its length.
		var rebuilt []byte
		for _, id := range seen {
			rebuilt = append(append(rebuilt, value(id)...), id...)
		}
		if len(seen) != values || string(rebuilt) != string(page[:len(page)-len(p.data)]) {
			t.Fatalf("page %x, %d values: read %q, leaving %x", page, values, seen, p.data)
		}
	})
}

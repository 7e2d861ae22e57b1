package catalog

import (
	"encoding/binary"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/sqltypes"

	"github.com/autonews/autonews/news"
)

// itemValues are a news item's own columns (see itemColumns) as the wire carries them,
// for a query (binary false) or a prepared statement. News items never change and every
// user's query shows the same ones, so each item is converted once (the DATETIME and text
// conversions were most of relevant_news's own cost in the profile) and kept in its memo.
func (t *fastTable) itemValues(ctx *sql.Context, item *news.Item, binary bool) (*[len(itemColumns)]sqltypes.Value, error) {
	wire, ok := item.Memo.Load().(*itemWire)
	if !ok {
		var err error
		if wire, err = t.itemWireOf(ctx, item); err != nil {
			return nil, err
		}
		item.Memo.Store(wire) // a concurrent first reader may store its own, equal, values
	}
	if binary {
		return &wire.binary, nil
	}
	return &wire.text, nil
}

// itemWire is a news item's own columns: with each DATETIME in the binary protocol's form
// (see binaryDatetime), and as the column types write them. It is compact, binary form
// first, and the values' bytes share one array: the items a query shows are scattered
// over more memory than the processor caches, and a row then reads its item's values from
// a few neighbouring cache lines rather than from an allocation per value.
type itemWire struct {
	binary, text [len(itemColumns)]sqltypes.Value
}

func (t *fastTable) itemWireOf(ctx *sql.Context, item *news.Item) (*itemWire, error) {
	wire := &itemWire{}
	size := 0
	for k, c := range itemColumns {
		v, err := t.schema[t.columns[c.name]].Type.SQL(ctx, nil, c.get(item))
		if err != nil {
			return nil, err
		}
		wire.text[k], wire.binary[k] = v, v
		if v.Type() == sqltypes.Datetime {
			if b, ok := binaryDatetime(v.Raw()); ok {
				wire.binary[k] = sqltypes.MakeTrusted(sqltypes.VarBinary, b)
			}
		}
		size += len(wire.text[k].Raw()) + len(wire.binary[k].Raw())
	}
	bytes := make([]byte, 0, size)
	for k := range wire.text {
		shared := wire.binary[k].Type() == wire.text[k].Type()
		wire.binary[k], bytes = packValue(wire.binary[k], bytes)
		if shared {
			wire.text[k] = wire.binary[k]
		} else {
			wire.text[k], bytes = packValue(wire.text[k], bytes)
		}
	}
	return wire, nil
}

// packValue appends v's bytes to bytes and returns v over that copy.
func packValue(v sqltypes.Value, bytes []byte) (sqltypes.Value, []byte) {
	if v.IsNull() {
		return v, bytes
	}
	from := len(bytes)
	bytes = append(bytes, v.Raw()...)
	return sqltypes.MakeTrusted(v.Type(), bytes[from:len(bytes):len(bytes)]), bytes
}

// textValue is a text column's value as the wire carries it. The fast tables' text
// columns that are not news items' are symbols: a few hundred values, converted once.
func (t *fastTable) textValue(ctx *sql.Context, col int, s string) (sqltypes.Value, error) {
	cache := &t.texts[col]
	if v, ok := cache.get(s); ok {
		return v, nil
	}
	v, err := t.schema[col].Type.SQL(ctx, nil, s)
	if err != nil {
		return sqltypes.Value{}, err
	}
	cache.put(s, v, maxCachedTexts)
	return v, nil
}

const maxCachedTexts = 1 << 14

// wireCache keeps converted values by key, up to a bound after which it starts over. A
// typed map under a read lock: the sync.Map it replaced hashed its keys as interfaces
// and walked a trie, 5% of the query scenario's server profile.
type wireCache[K comparable, V any] struct {
	mu     sync.RWMutex
	values map[K]V
}

func (c *wireCache[K, V]) get(key K) (V, bool) {
	c.mu.RLock()
	v, ok := c.values[key]
	c.mu.RUnlock()
	return v, ok
}

func (c *wireCache[K, V]) put(key K, v V, bound int) {
	c.mu.Lock()
	if c.values == nil || len(c.values) >= bound {
		c.values = map[K]V{}
	}
	c.values[key] = v
	c.mu.Unlock()
}

// binaryDatetime is a DATETIME's text, as go-mysql-server writes it ("2006-01-02
// 15:04:05" with up to six fraction digits), in the binary protocol's form without its
// leading length byte: year (2 bytes), month, day, hour, minute, second and, when the
// text has a fraction, microseconds (4 bytes), little-endian. The protocol sends that
// form as a length byte followed by the bytes, exactly as it sends a short byte string,
// so a value carrying it as VARBINARY goes out byte for byte as vitess would send the
// DATETIME; vitess copies it instead of parsing the text again at every row, seven
// integer parses and as many allocations each time (a third of relevant_news's
// encoding in the profile). The client still reads DATETIME: the column definitions say
// so, not the values. It reports false for any other text, which is then sent as it is.
func binaryDatetime(text []byte) ([]byte, bool) {
	if len(text) != 19 && (len(text) < 21 || len(text) > 26 || text[19] != '.') {
		return nil, false
	}
	if text[4] != '-' || text[7] != '-' || text[10] != ' ' || text[13] != ':' || text[16] != ':' {
		return nil, false
	}
	var fields [6]uint64
	for i, at := range [6]int{0, 5, 8, 11, 14, 17} {
		end := at + 2
		if i == 0 {
			end = at + 4
		}
		n, ok := parseDigits(text[at:end])
		if !ok {
			return nil, false
		}
		fields[i] = n
	}
	out := binary.LittleEndian.AppendUint16(make([]byte, 0, 11), uint16(fields[0]))
	for _, f := range fields[1:] {
		out = append(out, byte(f))
	}
	if len(text) == 19 {
		return out, true
	}
	micro, ok := parseDigits(text[20:])
	if !ok {
		return nil, false
	}
	for range 26 - len(text) { // "5" is 500000 microseconds
		micro *= 10
	}
	return binary.LittleEndian.AppendUint32(out, uint32(micro)), true
}

// parseDigits parses ASCII digits only: no sign, no space.
func parseDigits(digits []byte) (uint64, bool) {
	var n uint64
	for _, d := range digits {
		if d < '0' || d > '9' {
			return 0, false
		}
		n = n*10 + uint64(d-'0')
	}
	return n, len(digits) > 0
}

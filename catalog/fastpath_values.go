package catalog

import (
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/sqltypes"

	"github.com/autonews/autonews/news"
)

// itemValues are a news item's columns as the wire carries them, by column number. News
// items never change and every user's query shows the same ones, so each is converted
// once (the DATETIME and text conversions were most of relevant_news's own cost in the
// profile) and kept, for at most maxCachedItems items before the cache starts over.
func (t *fastTable) itemValues(ctx *sql.Context, item *news.Item) ([]sqltypes.Value, error) {
	if values, ok := t.items.get(item); ok {
		return values, nil
	}
	values := make([]sqltypes.Value, len(t.schema))
	for c, get := range itemColumns {
		if get == nil {
			continue
		}
		v, err := t.schema[c].Type.SQL(ctx, nil, get(item))
		if err != nil {
			return nil, err
		}
		values[c] = v
	}
	t.items.put(item, values, maxCachedItems)
	return values, nil
}

const maxCachedItems = 1 << 18

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

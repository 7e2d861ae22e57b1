package sql_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

// A full scan of a million-row relevant_news goes to a slow client row by row: the
// server's memory does not grow with the result.
func TestMillionRowScanStreamsToASlowClient(t *testing.T) {
	h := startHarness(t)
	const users, items = 1000, 1000
	var trades []string
	for u := 1; u <= users; u++ {
		trades = append(trades, fmt.Sprintf(`{"trade_id":"MR%d","user_id":%d,"symbol":"MMM","side":"BUY","quantity":10,"price":10,"ts":"2026-01-02T15:00:00Z"}`, u, u))
	}
	if err := h.produce("trades", "", trades); err != nil {
		t.Fatal(err)
	}
	var news []string
	for i := 0; i < items; i++ {
		news = append(news, fmt.Sprintf(`{"news_id":"MRN%d","ts":"2026-01-02T16:%02d:%02dZ","headline":"$MMM update %d"}`, i, i/60, i%60, i))
	}
	if err := h.produce("news", "", news); err != nil {
		t.Fatal(err)
	}
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}
	rows, err := h.db.Query("SELECT user_id, news_id, headline FROM relevant_news")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var early, late uint64
	n := 0
	start := time.Now()
	for rows.Next() {
		n++
		switch n {
		case users * items / 10:
			early = heap()
		case users * items * 9 / 10:
			late = heap()
		}
		if n%50_000 == 0 {
			time.Sleep(50 * time.Millisecond) // a slow reader
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d rows streamed in %v; heap in use %d MiB after 10%%, %d MiB after 90%%", n, time.Since(start).Round(time.Millisecond), early>>20, late>>20)
	if n != users*items {
		t.Fatalf("%d rows, want %d", n, users*items)
	}
	if late > early+64<<20 {
		t.Fatalf("memory grew with the result: %d MiB → %d MiB", early>>20, late>>20)
	}
}

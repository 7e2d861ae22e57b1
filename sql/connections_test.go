package sql_test

import (
	"context"
	gosql "database/sql"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"
)

// Five hundred clients at once, clients that vanish in the middle of a result, and
// clients that send garbage: each gets an error or its answer, and nobody else notices.
func TestManyClientsAndBadClients(t *testing.T) {
	h := startHarness(t)
	var values []string
	for u := 1; u <= 200; u++ {
		values = append(values, fmt.Sprintf(`{"trade_id":"C%d","user_id":%d,"symbol":"MMM","side":"BUY","quantity":%d,"price":10,"ts":"2026-01-02T15:00:00Z"}`, u, u, u))
	}
	if err := h.produce("trades", "", values); err != nil {
		t.Fatal(err)
	}
	db, err := gosql.Open("mysql", "root@tcp("+h.srv.MySQLAddr()+")/autonews")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(600)
	db.SetMaxIdleConns(600)

	// Garbage on the wire and a client that leaves mid-result, while the others query.
	for _, garbage := range [][]byte{[]byte("GET / HTTP/1.1\r\n\r\n"), {0xff, 0xff, 0xff, 0x00, 0x03, 0x01}, make([]byte, 1<<16)} {
		conn, err := net.Dial("tcp", h.srv.MySQLAddr())
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(2 * time.Second))
		buf := make([]byte, 512)
		_, _ = conn.Read(buf) // the server's greeting
		_, _ = conn.Write(garbage)
		_, _ = conn.Read(buf)
		conn.Close()
	}
	leaver, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rows, err := leaver.QueryContext(context.Background(), "SELECT * FROM holdings")
	if err != nil {
		t.Fatal(err)
	}
	rows.Next()
	_ = leaver.Raw(func(c any) error { return c.(interface{ Close() error }).Close() }) // vanish mid-result
	rows.Close()
	leaver.Close()

	const clients = 500
	conns := make([]*gosql.Conn, clients)
	for i := range conns {
		if conns[i], err = db.Conn(context.Background()); err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := i%200 + 1
			var shares int64
			if err := c.QueryRowContext(context.Background(), "SELECT shares FROM holdings WHERE user_id = ?", user).Scan(&shares); err != nil {
				errs <- err
				return
			}
			if shares != int64(user) {
				errs <- fmt.Errorf("user %d: %d shares", user, shares)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, c := range conns {
		c.Close()
	}
	t.Logf("%d connections held and queried at once; 3 garbage clients and 1 vanishing client had no effect", clients)
}

package server

import (
	"context"
	"net"
	"sync"
	"time"

	"github.com/dolthub/vitess/go/mysql"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
)

// vitess writes a prepared statement's response one protocol packet at a time (a header,
// a packet per parameter and per column, EOF packets), each a system call of its own and
// a wake-up of the client; other responses it buffers. go-sql-driver prepares, executes
// and closes a statement for every query with arguments unless told to interpolate
// them, and in that mode those writes were most of the server's CPU (0.18 of 0.28 s in a
// profile of the ingest scenario's point queries). The connections AutoNews serves
// gather a prepare response's packets and send them in one call when the server next
// reads, as it does once its answer is complete.
//
// The cost: go-mysql-server watches a long query's socket for a client that went away
// only on a bare *net.TCPConn; on these, such a query runs to its end (AutoNews' run in
// milliseconds) before the connection closes.

// coalescingListener accepts coalescing connections.
type coalescingListener struct{ net.Listener }

func (l coalescingListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &coalescingConn{Conn: conn}, nil
}

// coalesceLimit is the most a connection gathers before it writes.
const coalesceLimit = 16 << 10

// closeFlushTimeout bounds how long Close waits to send what was gathered to a client
// that does not read.
const closeFlushTimeout = time.Second

// coalescingConn writes through, except between gatherUntilRead and its next read, when
// it gathers what is written (up to coalesceLimit at a time). Its owner writes and reads
// on one goroutine, as vitess does; Close may come from another (a KILL), so mu guards
// the gathered bytes, and no one holds it during a system call: a client that stops
// reading blocks its connection's writes, never its Close.
type coalescingConn struct {
	net.Conn
	mu        sync.Mutex
	gathering bool
	gathered  []byte
}

// gatherUntilRead gathers what is written until the connection is next read from.
func (c *coalescingConn) gatherUntilRead() {
	c.mu.Lock()
	c.gathering = true
	c.mu.Unlock()
}

func (c *coalescingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if !c.gathering {
		c.mu.Unlock()
		return c.Conn.Write(p)
	}
	if len(c.gathered)+len(p) <= coalesceLimit {
		c.gathered = append(c.gathered, p...)
		c.mu.Unlock()
		return len(p), nil
	}
	gathered := c.gathered
	c.gathered = nil
	c.mu.Unlock()
	buffers := net.Buffers{gathered, p} // one call, writev
	written, err := buffers.WriteTo(c.Conn)
	c.reuse(gathered)
	return max(0, int(written)-len(gathered)), err
}

// Read sends what was gathered first: the server reads once it has answered.
func (c *coalescingConn) Read(p []byte) (int, error) {
	if err := c.flush(); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

func (c *coalescingConn) Close() error {
	_ = c.Conn.SetWriteDeadline(time.Now().Add(closeFlushTimeout))
	_ = c.flush() // a client that went away gets nothing either way
	return c.Conn.Close()
}

func (c *coalescingConn) flush() error {
	c.mu.Lock()
	c.gathering = false
	gathered := c.gathered
	if len(gathered) == 0 {
		c.mu.Unlock()
		return nil
	}
	c.gathered = nil
	c.mu.Unlock()
	_, err := c.Conn.Write(gathered)
	c.reuse(gathered)
	return err
}

// reuse keeps a written buffer for the next gathering.
func (c *coalescingConn) reuse(buffer []byte) {
	c.mu.Lock()
	if c.gathered == nil {
		c.gathered = buffer[:0]
	}
	c.mu.Unlock()
}

// coalescingPrepares has a connection gather the response to each statement it prepares.
type coalescingPrepares struct{ mysql.Handler }

func (h coalescingPrepares) ComPrepare(ctx context.Context, c *mysql.Conn, query string, prepare *mysql.PrepareData) ([]*querypb.Field, error) {
	if conn, ok := c.Conn.(*coalescingConn); ok { // under TLS, c.Conn is the TLS connection
		conn.gatherUntilRead()
	}
	return h.Handler.ComPrepare(ctx, c, query, prepare)
}

package server

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// loopbackPair returns a coalescing server side and a plain client side of one TCP
// connection on loopback.
func loopbackPair(t *testing.T) (server *coalescingConn, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() { // the accept; ends with the listener
		conn, err := coalescingListener{ln}.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- conn
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	conn, ok := <-accepted
	if !ok {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { conn.Close(); client.Close() })
	return conn.(*coalescingConn), client
}

// nothingArrives checks that the client has nothing to read for a moment.
func nothingArrives(t *testing.T, client net.Conn) {
	t.Helper()
	client.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	defer client.SetReadDeadline(time.Time{})
	var b [1]byte
	if n, err := client.Read(b[:]); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the client read %d bytes (%v) before the server read", n, err)
	}
}

func readExactly(t *testing.T, client net.Conn, n int) []byte {
	t.Helper()
	client.SetReadDeadline(time.Now().Add(5 * time.Second))
	defer client.SetReadDeadline(time.Time{})
	b := make([]byte, n)
	if _, err := io.ReadFull(client, b); err != nil {
		t.Fatalf("reading %d bytes: %v", n, err)
	}
	return b
}

// writesThrough checks that what the server writes reaches the client unprompted.
func writesThrough(t *testing.T, server, client net.Conn) {
	t.Helper()
	if _, err := server.Write([]byte("ok")); err != nil {
		t.Fatal(err)
	}
	if got := readExactly(t, client, 2); string(got) != "ok" {
		t.Fatalf("client read %q", got)
	}
}

// Outside a prepare response, every write goes out as it is made.
func TestACoalescingConnectionWritesThroughByDefault(t *testing.T) {
	server, client := loopbackPair(t)
	writesThrough(t, server, client)
}

// A prepare response's packets wait for the server's next read, and leave in order; the
// read that follows is the client's next command.
func TestAPrepareResponseLeavesWhenTheServerNextReads(t *testing.T) {
	server, client := loopbackPair(t)
	server.gatherUntilRead()
	for _, packet := range []string{"header", "param", "column", "eof"} {
		if _, err := server.Write([]byte(packet)); err != nil {
			t.Fatal(err)
		}
	}
	nothingArrives(t, client)
	if _, err := client.Write([]byte("next")); err != nil {
		t.Fatal(err)
	}
	command := make([]byte, 4)
	if _, err := io.ReadFull(server, command); err != nil || string(command) != "next" {
		t.Fatalf("server read %q, %v", command, err)
	}
	if got := readExactly(t, client, len("headerparamcolumneof")); string(got) != "headerparamcolumneof" {
		t.Fatalf("client read %q", got)
	}
	writesThrough(t, server, client) // once read from, as before the prepare
}

// A response larger than the connection gathers leaves in calls of at most that size,
// every byte once and in order; closing sends what is left.
func TestALargeResponseLeavesWholeAndCloseSendsTheRest(t *testing.T) {
	server, client := loopbackPair(t)
	server.gatherUntilRead()
	var want bytes.Buffer
	for i := range 3 * coalesceLimit / 100 {
		packet := bytes.Repeat([]byte{byte('a' + i%26)}, 100)
		want.Write(packet)
		if n, err := server.Write(packet); err != nil || n != len(packet) {
			t.Fatalf("write %d: %d, %v", i, n, err)
		}
	}
	if err := server.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(client)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("client read %d bytes, want the %d written, in order", len(got), want.Len())
	}
}

// A client that stops reading blocks its connection's writes, not its Close.
func TestClosingDoesNotWaitForAClientThatDoesNotRead(t *testing.T) {
	server, _ := loopbackPair(t)
	server.gatherUntilRead()
	writerDone := make(chan struct{})
	go func() { // the connection's owner, writing more than the client reads; ends when its write fails
		defer close(writerDone)
		chunk := make([]byte, 4*coalesceLimit)
		for {
			if _, err := server.Write(chunk); err != nil {
				return
			}
		}
	}()
	time.Sleep(200 * time.Millisecond) // the sockets' buffers fill, and the owner blocks
	closed := make(chan error, 1)
	go func() { closed <- server.Close() }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited for the blocked write")
	}
	<-writerDone
}

package hook

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// fullQueue listens on a Unix socket with the smallest accept queue and
// never accepts, then fills the queue: the next connect gets EAGAIN, as a
// hook does while the engine sheds a flood.
func fullQueue(t *testing.T) (path string, fd int, held []net.Conn) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "s.sock")
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 64; i++ {
		c, err := net.Dial("unix", path)
		if errors.Is(err, syscall.EAGAIN) {
			return path, fd, held
		}
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
		t.Cleanup(func() { c.Close() })
	}
	t.Fatal("the accept queue never filled")
	return "", 0, nil
}

// TestDialRetriesAFullAcceptQueue: a connect that finds the queue full is
// retried until the engine accepts, and given up at the timeout.
func TestDialRetriesAFullAcceptQueue(t *testing.T) {
	path, fd, _ := fullQueue(t)
	if _, err := dialRetry(context.Background(), path, 100*time.Millisecond); !errors.Is(err, syscall.EAGAIN) {
		t.Fatalf("dial into a full queue, never drained: %v, want EAGAIN after the timeout", err)
	}
	time.AfterFunc(50*time.Millisecond, func() {
		for i := 0; i < 4; i++ {
			if nfd, _, err := syscall.Accept(fd); err == nil {
				syscall.Close(nfd)
			}
		}
	})
	start := time.Now()
	c, err := dialRetry(context.Background(), path, 2*time.Second)
	if err != nil {
		t.Fatalf("dial once the queue drains: %v", err)
	}
	c.Close()
	if d := time.Since(start); d < 40*time.Millisecond {
		t.Fatalf("connected after %v, before the queue drained", d)
	}
}

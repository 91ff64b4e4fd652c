package hook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// TestDialRetriesAFullAcceptQueue: a connect that finds the engine's accept
// queue full (EAGAIN, while a flood is shed) is retried until it gets
// through; any other failure is not retried; and the retries stop at the
// time limit with the last error.
func TestDialRetriesAFullAcceptQueue(t *testing.T) {
	full := fmt.Errorf("dial unix: connect: %w", syscall.EAGAIN)
	client, server := net.Pipe()
	defer client.Close()
	defer server.Close()

	calls := 0
	c, err := retryEAGAIN(context.Background(), 2*time.Second, func(context.Context) (net.Conn, error) {
		if calls++; calls <= 5 {
			return nil, full
		}
		return client, nil
	})
	if err != nil || c != client || calls != 6 {
		t.Fatalf("after 5 full queues: conn %v err %v calls %d, want the connection on the 6th", c, err, calls)
	}

	calls = 0
	refused := fmt.Errorf("dial unix: connect: %w", syscall.ECONNREFUSED)
	if _, err := retryEAGAIN(context.Background(), 2*time.Second, func(context.Context) (net.Conn, error) {
		calls++
		return nil, refused
	}); !errors.Is(err, syscall.ECONNREFUSED) || calls != 1 {
		t.Fatalf("connection refused: err %v after %d calls, want it at once", err, calls)
	}

	start := time.Now()
	if _, err := retryEAGAIN(context.Background(), 100*time.Millisecond, func(ctx context.Context) (net.Conn, error) {
		if ctx.Err() != nil {
			return nil, os.ErrDeadlineExceeded
		}
		return nil, full
	}); err == nil {
		t.Fatal("a queue that never drains let the dial through")
	}
	if d := time.Since(start); d < 100*time.Millisecond || d > 2*time.Second {
		t.Fatalf("gave up after %v, want about 100ms", d)
	}
}

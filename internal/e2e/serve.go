package e2e

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine/wire"
)

// Server is a running `ony-tui serve`.
type Server struct {
	Cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan struct{}
}

// Serve starts `ony-tui serve --home home` and waits until it answers a
// ping. It is stopped (SIGTERM, then SIGKILL after 10 s) when the test ends.
func Serve(t testing.TB, bin, home string, args ...string) *Server {
	t.Helper()
	s := StartServe(t, bin, home, args...)
	t.Cleanup(s.Stop)
	return s
}

// StartServe is Serve without the cleanup: the caller stops the server.
func StartServe(t testing.TB, bin, home string, args ...string) *Server {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--home", home}, args...)...)
	s := &Server{Cmd: cmd, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stderr = s.stderr
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if Ping(Socket(home)) == nil {
			return s
		}
		select {
		case <-s.done:
			t.Fatalf("ony-tui serve exited: %s", s.stderr.String())
		default:
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Stop()
	t.Fatalf("ony-tui serve never answered: %s", s.stderr.String())
	return nil
}

// Stop stops the server and waits for it: SIGTERM (it then denies and
// records whatever waits), SIGKILL after 10 s.
func (s *Server) Stop() {
	_ = s.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.Cmd.Process.Kill()
		<-s.done
	}
}

// Done is closed when the server has exited.
func (s *Server) Done() <-chan struct{} { return s.done }

// Stderr is what the server has printed on stderr so far.
func (s *Server) Stderr() string { return s.stderr.String() }

// Ping asks the engine on sock for its status, as doctor does.
func Ping(sock string) error {
	c, err := net.DialTimeout("unix", sock, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if err := wire.WriteFrame(c, wire.Ping{V: wire.Version, Type: wire.TypePing}); err != nil {
		return err
	}
	body, err := wire.ReadFrame(c, 0)
	if err != nil {
		return err
	}
	if env, err := wire.DecodeEnvelope(body); err != nil || env.Type != wire.TypePong {
		return errors.New("no pong")
	}
	return nil
}

// syncBuffer is a bytes.Buffer safe for a writing process and a reading
// test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine/verdict"
	"github.com/ony-dev/ony-tui/hook"
)

// A socket flood, made for real: other processes open thousands of
// connections to the engine's socket and send nothing. The engine must go
// on answering real hooks.

// flooder is a flooding process: testdata/flooder, built without the race
// detector (it is the attacker, not the code under test).
type flooder struct {
	cmd      *exec.Cmd
	stdin    io.WriteCloser
	opened   atomic.Int64
	ready    chan struct{}
	read     chan struct{} // closed when its output is read to the end
	stopOnce sync.Once
}

var (
	flooderOnce sync.Once
	flooderBin  string
	flooderErr  error
)

// TestMain removes the flooder binary after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if flooderBin != "" {
		os.RemoveAll(filepath.Dir(flooderBin))
	}
	os.Exit(code)
}

func flooderBinary(tb testing.TB) string {
	tb.Helper()
	flooderOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ony-flooder")
		if err != nil {
			flooderErr = err
			return
		}
		flooderBin = filepath.Join(dir, "flooder")
		out, err := exec.Command("go", "build", "-o", flooderBin, "./testdata/flooder").CombinedOutput()
		if err != nil {
			flooderErr = fmt.Errorf("building the flooder: %v\n%s", err, out)
		}
	})
	if flooderErr != nil {
		tb.Fatal(flooderErr)
	}
	return flooderBin
}

// startFlood starts a process holding n idle connections to sock. With
// persist, it reconnects every connection the engine closes, as a
// determined attacker would; otherwise it opens n once and holds what is
// left.
func startFlood(tb testing.TB, sock string, n int, persist bool) *flooder {
	tb.Helper()
	cmd := exec.Command(flooderBinary(tb), "-socket", sock, "-n", strconv.Itoa(n), "-persist="+strconv.FormatBool(persist))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	f := &flooder{cmd: cmd, stdin: stdin, ready: make(chan struct{}), read: make(chan struct{})}
	go func() {
		defer close(f.read)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			if v, ok := strings.CutPrefix(line, "opened "); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				f.opened.Store(n)
			}
			if line == "ready" {
				close(f.ready)
			}
		}
	}()
	select {
	case <-f.ready:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		tb.Fatal("the flood never got going")
	}
	tb.Cleanup(f.stop)
	return f
}

// stop ends the flood and waits for the flooder's last count.
func (f *flooder) stop() {
	f.stopOnce.Do(func() {
		f.stdin.Close() // the flooder exits when its stdin closes
		select {
		case <-f.read:
		case <-time.After(10 * time.Second):
			_ = f.cmd.Process.Kill()
			<-f.read
		}
		_ = f.cmd.Wait()
	})
}

// exchange is one real hook round trip (hook.Exchange: connect, send,
// verify the signed verdict).
func exchange(tb testing.TB, s *setup, i int) time.Duration {
	tb.Helper()
	req := newRequest(fmt.Sprintf("ls %d", i), byte(i))
	start := time.Now()
	ans, err := hook.Exchange(context.Background(), s.sock, &req.Call, s.reg.Keyring(), time.Now().Add(10*time.Second))
	d := time.Since(start)
	if err != nil || ans.Verdict.Decision != verdict.Approve {
		tb.Fatalf("hook %d under the flood: %v", i, err)
	}
	return d
}

// TestFloodOfIdleConnectionsKeepsHooksAnswered: one process keeps 5,000
// idle connections open, reconnecting whatever the engine closes; every
// real hook is still answered, the flooder holds no more than its share of
// half-open connections, and the console is told.
func TestFloodOfIdleConnectionsKeepsHooksAnswered(t *testing.T) {
	s := start(t)
	f := startFlood(t, s.sock, 5000, true)
	for i := 0; i < 40; i++ {
		exchange(t, s, i)
		// The flooder's connections read at once are bounded; the rest
		// are parked (a few more may be finishing at their deadline).
		st := s.srv.conns.stats()
		if st.HalfOpen > s.srv.opts.MaxHalfOpenPerPeer+1 || st.Total > 2*s.srv.opts.MaxHalfOpenPerPeer {
			t.Fatalf("%+v: want at most %d half-open connections read for the flooder", st, s.srv.opts.MaxHalfOpenPerPeer)
		}
	}
	if f.opened.Load() < 5000 {
		t.Fatalf("the flooder opened only %d connections", f.opened.Load())
	}
	found := false
	for _, p := range s.eng.Snapshot().Problems {
		found = found || strings.Contains(p.Message, "socket flood: closed")
	}
	if !found {
		t.Fatalf("the flood was not reported: %+v", s.eng.Snapshot().Problems)
	}
	// Every connection of the flood is accounted for once it is over: the
	// parked ones are closed at their deadline.
	f.stop()
	deadline := time.Now().Add(10 * time.Second)
	for st := s.srv.conns.stats(); st.Total != 0 || st.Parked != 0; st = s.srv.conns.stats() {
		if time.Now().After(deadline) {
			t.Fatalf("connections left after the flood: %+v", s.srv.conns.stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestFloodFromManyProcesses: a flood spread over 8 processes (a forking
// attacker) is held by the overall half-open bound; hooks are answered.
func TestFloodFromManyProcesses(t *testing.T) {
	s := start(t)
	for i := 0; i < 8; i++ {
		startFlood(t, s.sock, 400, true)
	}
	for i := 0; i < 20; i++ {
		exchange(t, s, i)
		if st := s.srv.conns.stats(); st.HalfOpen > s.srv.opts.MaxHalfOpen+1 {
			t.Fatalf("%d half-open connections, want at most %d", st.HalfOpen, s.srv.opts.MaxHalfOpen)
		}
	}
}

// TestHalfOpenShedOldestFirst pins the tracker's order: a peer over its
// bound loses its own oldest; over the overall bound the oldest of all
// goes; shed connections are parked until their deadline, the oldest
// closed first over MaxParked; a connection that delivered its request is
// never shed (and a parked one that did is served); at the total bound
// with nothing half-open the new connection is refused.
func TestHalfOpenShedOldestFirst(t *testing.T) {
	now := time.Unix(1000, 0)
	tr := newTracker(Options{MaxConns: 6, MaxConnsPerPeer: 4, MaxHalfOpen: 3, MaxHalfOpenPerPeer: 2, MaxParked: 2, ReadTimeout: 10 * time.Second})
	conn := func() *net.UnixConn { return &net.UnixConn{} } // identity only
	a1, a2, a3 := conn(), conn(), conn()
	c1, _ := tr.admit(a1, 100, now)
	c2, _ := tr.admit(a2, 100, now)
	c3, _ := tr.admit(a3, 100, now.Add(time.Second))
	if c1.state != phaseParked || c2.state != phaseHalfOpen || c3.state != phaseHalfOpen {
		t.Fatalf("peer over its half-open bound: states %d %d %d, want its oldest parked", c1.state, c2.state, c3.state)
	}
	if tr.requested(c1, false) || tr.release(c1) {
		t.Fatal("the reader of a parked connection kept it")
	}
	if !tr.requested(c2, true) { // c2 delivered its request: safe from now on
		t.Fatal("request of a live connection refused")
	}
	tr.admit(conn(), 200, now.Add(2*time.Second))
	tr.admit(conn(), 200, now.Add(2*time.Second)) // a3 and two of peer 200: 3, at the bound
	if _, ev := tr.admit(conn(), 300, now.Add(3*time.Second)); len(ev) != 0 || c3.state != phaseParked {
		t.Fatalf("over the overall bound: a3 %d, evicted %v; want a3 parked", c3.state, ev)
	}
	if st := tr.stats(); st.HalfOpen != 3 || st.Parked != 2 || st.Shed != 2 || st.Total != 4 {
		t.Fatalf("stats %+v", st)
	}
	// A third shed goes over MaxParked: the oldest parked (a1) is closed.
	_, ev := tr.admit(conn(), 300, now.Add(4*time.Second))
	if len(ev) != 1 || ev[0] != a1 || c1.state != phaseClosed {
		t.Fatalf("over MaxParked closed %v, want the oldest parked (a1)", ev)
	}
	// A parked connection that did deliver its request is served.
	if !tr.requested(c3, true) || c3.state != phaseServed || !tr.release(c3) {
		t.Fatal("a parked connection with a whole request was not served")
	}
	// Parked connections are closed once their deadline passes.
	if got := tr.expire(now.Add(5 * time.Second)); len(got) != 0 {
		t.Fatalf("closed %d parked connections before their deadline", len(got))
	}
	if got := tr.expire(now.Add(time.Minute)); len(got) != 1 || tr.stats().Parked != 0 { // the connection of peer 200 shed last
		t.Fatalf("expired %d, parked left %d", len(got), tr.stats().Parked)
	}

	// Fill to the total bound with requests delivered: a new one is refused.
	tr2 := newTracker(Options{MaxConns: 2, MaxConnsPerPeer: 2, MaxHalfOpen: 2, MaxHalfOpenPerPeer: 2, MaxParked: 2})
	x, _ := tr2.admit(conn(), 1, now)
	y, _ := tr2.admit(conn(), 2, now)
	tr2.requested(x, true)
	tr2.requested(y, true)
	if cs, _ := tr2.admit(conn(), 3, now); cs != nil {
		t.Fatal("admitted over the total bound with nothing to shed")
	}
	// Per peer: a peer at its connection bound with nothing half-open is refused.
	tr3 := newTracker(Options{MaxConns: 10, MaxConnsPerPeer: 1, MaxHalfOpen: 10, MaxHalfOpenPerPeer: 10, MaxParked: 2})
	p, _ := tr3.admit(conn(), 7, now)
	tr3.requested(p, true)
	if cs, _ := tr3.admit(conn(), 7, now); cs != nil {
		t.Fatal("a peer over its connection bound was admitted")
	}
	if cs, _ := tr3.admit(conn(), 8, now); cs == nil {
		t.Fatal("another peer was refused")
	}
	if st := tr3.stats(); st.Refused != 1 {
		t.Fatalf("stats %+v", st)
	}
}

package ledger_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/ledger"
	"github.com/ony-dev/ony-tui/ledger/internal/vectorgen"
)

// crashDirEnv switches the test binary into the writer-process role of
// TestCrashRecovery.
const crashDirEnv = "ONY_LEDGER_CRASH_DIR"

// TestCrashWriter is the child process of TestCrashRecovery: it appends from
// 8 goroutines and prints "committed <seq> <hash>" for every append it was
// told is committed, until it is killed.
func TestCrashWriter(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("writer process of TestCrashRecovery")
	}
	time.AfterFunc(30*time.Second, func() { os.Exit(0) }) // never outlive a lost parent
	l, err := vectorgen.NewLayout(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	opts := l.Options()
	opts.CheckpointEvery = 25
	opts.Now = time.Now
	ctx := context.Background()
	lg, err := ledger.Open(ctx, l.DB, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(3)
	}
	var mu sync.Mutex
	for w := 0; w < 8; w++ {
		go func() {
			for i := 1; ; i++ {
				e, err := lg.Append(ctx, vectorgen.SampleEntry(i))
				if err != nil {
					fmt.Fprintln(os.Stderr, "append:", err)
					os.Exit(4)
				}
				line := fmt.Sprintf("committed %d %s\n", e.Seq, e.Hash)
				mu.Lock()
				os.Stdout.WriteString(line) // one write per line: a kill never splits it
				mu.Unlock()
			}
		}()
	}
	select {}
}

// TestCrashRecovery kill -9s writer processes at random moments, two at a
// time appending to the same ledger, and then checks that the chain is
// intact, that every entry a writer was told is committed is there with the
// hash it was given, and that the ledger opens again.
func TestCrashRecovery(t *testing.T) {
	if os.Getenv(crashDirEnv) != "" {
		t.Skip("in the writer process")
	}
	dir := t.TempDir()
	seed := uint64(time.Now().UnixNano())
	t.Logf("kill timing seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	committed := map[uint64]ledger.Hash{}
	const rounds = 10
	for round := 0; round < rounds; round++ {
		// Most rounds kill while appending; every fourth kills at a random
		// moment from the start, during Open or key and file creation.
		early := round%4 == 3
		children := make([]*crashChild, 2)
		for i := range children {
			children[i] = startCrashChild(t, dir)
		}
		if early {
			time.Sleep(time.Duration(rng.IntN(150)) * time.Millisecond)
		} else {
			for _, c := range children {
				c.waitFirstCommit(t, 20*time.Second)
			}
			time.Sleep(time.Duration(rng.IntN(150)) * time.Millisecond)
		}
		for _, c := range children {
			c.kill(t)
		}
		for _, c := range children {
			for seq, h := range c.committed {
				if old, ok := committed[seq]; ok && old != h {
					t.Fatalf("round %d: seq %d reported committed with two hashes %s and %s: a fork", round, seq, old, h)
				}
				committed[seq] = h
			}
		}
	}
	if len(committed) == 0 {
		t.Fatal("no append was reported committed in any round")
	}
	l, err := vectorgen.NewLayout(dir)
	if err != nil {
		t.Fatal(err)
	}
	lg, err := ledger.Open(context.Background(), l.DB, l.Options())
	if err != nil {
		t.Fatalf("Open after crashes: %v", err)
	}
	if err := lg.Close(); err != nil {
		t.Fatal(err)
	}
	rep := verifyLayout(t, l)
	if rep.Outcome() != ledger.Intact {
		t.Fatalf("after %d crashes: %s: %v", 2*rounds, rep.Outcome(), rep.Problem())
	}
	r, err := ledger.OpenReader(context.Background(), l.DB)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	stored := map[uint64]ledger.Hash{}
	for after := uint64(0); ; {
		page, err := r.Since(context.Background(), after, ledger.MaxPage)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			stored[e.Seq] = e.Hash
		}
		after = page[len(page)-1].Seq
	}
	if uint64(len(stored)) != rep.Entries {
		t.Fatalf("%d entries read, verify saw %d", len(stored), rep.Entries)
	}
	for seq, h := range committed {
		if got, ok := stored[seq]; !ok || got != h {
			t.Fatalf("entry %d was reported committed with hash %s; the ledger has %s (present %v)", seq, h, got, ok)
		}
	}
	t.Logf("%d rounds, %d entries reported committed, %d in the ledger", rounds, len(committed), rep.Entries)
}

type crashChild struct {
	cmd       *exec.Cmd
	stderr    strings.Builder
	lines     chan string
	done      chan struct{}
	committed map[uint64]ledger.Hash
	first     bool
}

func startCrashChild(t *testing.T, dir string) *crashChild {
	t.Helper()
	c := &crashChild{lines: make(chan string, 1024), done: make(chan struct{}), committed: map[uint64]ledger.Hash{}}
	c.cmd = exec.Command(os.Args[0], "-test.run=^TestCrashWriter$", "-test.count=1", "-test.timeout=60s")
	c.cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	c.cmd.Stderr = &c.stderr
	out, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go c.read(out)
	return c
}

// read parses complete lines; a line cut by the kill has no newline and is
// dropped (its append was never reported).
func (c *crashChild) read(out io.Reader) {
	defer close(c.done)
	br := bufio.NewReader(out)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		c.lines <- line
	}
}

func (c *crashChild) take(line string) error {
	f := strings.Fields(line)
	if len(f) != 3 || f[0] != "committed" {
		return nil // test framework output
	}
	seq, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return fmt.Errorf("bad line %q", line)
	}
	h, err := ledger.ParseHash(f[2])
	if err != nil {
		return fmt.Errorf("bad line %q", line)
	}
	if _, dup := c.committed[seq]; dup {
		return fmt.Errorf("seq %d reported twice by one process", seq)
	}
	c.committed[seq] = h
	c.first = true
	return nil
}

func (c *crashChild) waitFirstCommit(t *testing.T, limit time.Duration) {
	t.Helper()
	timeout := time.After(limit)
	for !c.first {
		select {
		case line := <-c.lines:
			if err := c.take(line); err != nil {
				t.Fatal(err)
			}
		case <-c.done:
			c.cmd.Wait()
			t.Fatalf("writer process ended before committing: %s", c.stderr.String())
		case <-timeout:
			t.Fatalf("writer process committed nothing in %v: %s", limit, c.stderr.String())
		}
	}
}

func (c *crashChild) kill(t *testing.T) {
	t.Helper()
	c.cmd.Process.Signal(syscall.SIGKILL)
	// Take lines while the reader finishes: it may be blocked on a full
	// channel, and would then never see the pipe close (a deadlock that a
	// slow, loaded machine hit).
	for done := false; !done; {
		select {
		case line := <-c.lines:
			if err := c.take(line); err != nil {
				t.Fatal(err)
			}
		case <-c.done:
			done = true
		}
	}
	err := c.cmd.Wait()
	for {
		select {
		case line := <-c.lines:
			if err := c.take(line); err != nil {
				t.Fatal(err)
			}
			continue
		default:
		}
		break
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("writer process: %v", err)
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("writer process exited by itself (%v) instead of being killed: %s", err, c.stderr.String())
	}
}

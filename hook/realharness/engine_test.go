package realharness

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine/wire"
	"github.com/ony-dev/ony-tui/internal/e2e"
)

// engine is `ony-tui serve` on one Ony home: the headless engine allows
// what policy allows and denies what needs a human at its deadline.
type engine struct {
	home string
	srv  *e2e.Server
}

func (e *engine) socket() string { return e2e.Socket(e.home) }

// start runs serve and waits until it answers a ping.
func (e *engine) start(t *testing.T) {
	t.Helper()
	e.srv = e2e.StartServe(t, onyBin, e.home)
	srv := e.srv
	t.Cleanup(func() {
		select {
		case <-srv.Done():
		default:
			srv.Stop()
		}
	})
}

// stop stops serve (it denies and records what waits) and waits for it.
func (e *engine) stop(t *testing.T) {
	t.Helper()
	if e.srv == nil {
		return
	}
	e.srv.Stop()
	e.srv = nil
	if _, err := e.pending(); err == nil {
		t.Fatalf("the engine still answers after it stopped")
	}
}

// pending asks the engine how many requests wait for a decision.
func (e *engine) pending() (int, error) {
	c, err := net.DialTimeout("unix", e.socket(), time.Second)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if err := wire.WriteFrame(c, wire.Ping{V: wire.Version, Type: wire.TypePing}); err != nil {
		return 0, err
	}
	b, err := wire.ReadFrame(c, 0)
	if err != nil {
		return 0, err
	}
	var p wire.Pong
	if err := wire.DecodeStrict(b, &p); err != nil {
		return 0, err
	}
	return p.Pending, nil
}

// waitPending waits until the engine holds at least want requests (or, with
// want 0, none).
func (e *engine) waitPending(want int, within time.Duration) error {
	deadline := time.Now().Add(within)
	last := -1
	for time.Now().Before(deadline) {
		n, err := e.pending()
		if err == nil {
			last = n
			if (want == 0 && n == 0) || (want > 0 && n >= want) {
				return nil
			}
		}
		time.Sleep(25 * time.Millisecond)
	}
	return fmt.Errorf("the engine holds %d requests after %s, want %d", last, within, want)
}

// entry is one ledger entry as `ony-tui log --json` prints it.
type entry struct {
	Kind     string `json:"kind"`
	Harness  string `json:"harness"`
	Action   string `json:"action"`
	Risk     string `json:"risk"`
	Decision string `json:"decision"`
	Detail   string `json:"detail"`
}

func (e entry) String() string {
	return fmt.Sprintf("%s/%s/%s/%s(%s)", e.Kind, e.Harness, e.Action, e.Decision, e.Detail)
}

// ledger reads the whole ledger with the product's own `log --json`.
func (e *engine) ledger(t *testing.T) []entry {
	t.Helper()
	cmd := exec.Command(onyBin, "log", "--json", "--home", e.home)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + e.home}
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("ony-tui log: %v: %s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var es []entry
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var en entry
		if err := json.Unmarshal(sc.Bytes(), &en); err != nil {
			t.Fatalf("ony-tui log --json printed %q: %v", sc.Text(), err)
		}
		es = append(es, en)
	}
	return es
}

// hookProcesses returns the pids of `ony-tui hook` processes that serve this
// engine's home (the hook command carries --home <home>).
func (e *engine) hookProcesses() []int {
	var pids []int
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", d.Name(), "cmdline"))
		if err != nil {
			continue
		}
		argv := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		if len(argv) < 3 || argv[0] != onyBin || argv[1] != "hook" {
			continue
		}
		for i := 2; i+1 < len(argv); i++ {
			if argv[i] == "--home" && argv[i+1] == e.home {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

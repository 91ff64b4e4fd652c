package proctable

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestListMarksOwnProcesses reads the real /proc: this test process is
// Ony's own (it is "self"), a child running the same executable is too, and
// a sleep is not.
func TestListMarksOwnProcesses(t *testing.T) {
	if _, err := os.Stat("/proc/self/comm"); err != nil {
		t.Skip("no /proc on this system")
	}
	sleep := exec.Command("sleep", "30")
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sleep.Process.Kill(); _ = sleep.Wait() }()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	twin := exec.Command(exe, "-test.run=^TestHelperTwin$", "-test.timeout=60s")
	twin.Env = append(os.Environ(), "PROCTABLE_TWIN=1")
	if err := twin.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = twin.Process.Kill(); _ = twin.Wait() }()

	lock := filepath.Join(t.TempDir(), "engine.lock")
	if err := os.WriteFile(lock, []byte(strconv.Itoa(sleep.Process.Pid)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		lock string
		want map[int]bool
	}{
		{"", map[int]bool{os.Getpid(): true, sleep.Process.Pid: false}},
		{lock, map[int]bool{os.Getpid(): true, sleep.Process.Pid: true}},
	} {
		procs, err := New(tc.lock).List()
		if err != nil {
			t.Fatal(err)
		}
		got := map[int]bool{}
		for _, p := range procs {
			got[p.PID] = p.Ony
			if p.PID == sleep.Process.Pid && p.Name != "sleep" {
				t.Errorf("sleep named %q", p.Name)
			}
		}
		for pid, ony := range tc.want {
			if o, ok := got[pid]; !ok || o != ony {
				t.Errorf("lock %q: pid %d listed %v, Ony %v; want Ony %v", tc.lock, pid, ok, o, ony)
			}
		}
		if o, ok := got[twin.Process.Pid]; !ok || !o {
			t.Errorf("a process running the same executable: listed %v, Ony %v", ok, o)
		}
	}
}

func TestListWithoutProc(t *testing.T) {
	lock := filepath.Join(t.TempDir(), "engine.lock")
	if err := os.WriteFile(lock, []byte("424242\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tb := New(lock)
	tb.Proc = filepath.Join(t.TempDir(), "missing")
	procs, err := tb.List()
	if err != nil || len(procs) != 2 || procs[0].PID != os.Getpid() || !procs[0].Ony || procs[1].PID != 424242 || !procs[1].Ony {
		t.Fatalf("without /proc: %+v, %v", procs, err)
	}
}

// TestHelperTwin is the child of TestListMarksOwnProcesses: the same
// executable, waiting to be listed.
func TestHelperTwin(t *testing.T) {
	if os.Getenv("PROCTABLE_TWIN") != "1" {
		t.Skip("run by TestListMarksOwnProcesses")
	}
	time.Sleep(30 * time.Second)
}

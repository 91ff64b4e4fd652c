// Package proctable reads the process table of the engine's host for the
// taxonomy (taxonomy.Processes), and marks Ony's own processes: the engine
// itself, the process holding the engine lock, and any process running the
// same executable or one named ony-tui.
package proctable

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ony-dev/ony-tui/engine/taxonomy"
)

// maxProcs bounds the processes read from /proc.
const maxProcs = 65536

// Table lists the processes under /proc. It is safe for concurrent use.
type Table struct {
	// Proc is the proc file system's mount point; "" means /proc.
	Proc string
	// LockFile is the engine lock, which holds the engine's pid.
	LockFile string
	// Self is this process's pid and executable, read by New.
	selfPID int
	selfExe os.FileInfo
	args    []string
}

// New returns a table that knows this process as one of Ony's own.
func New(lockFile string) *Table {
	t := &Table{LockFile: lockFile, selfPID: os.Getpid(), args: append([]string(nil), os.Args...)}
	if exe, err := os.Executable(); err == nil {
		t.selfExe, _ = os.Stat(exe)
	}
	return t
}

// List implements taxonomy.Processes. Where there is no /proc it lists
// Ony's own processes only (this one and the lock holder), which is what a
// kill of Ony needs to be recognised.
func (t *Table) List() ([]taxonomy.Process, error) {
	proc := t.Proc
	if proc == "" {
		proc = "/proc"
	}
	lockPID := t.lockPID()
	entries, err := os.ReadDir(proc)
	if err != nil {
		return t.own(lockPID), nil
	}
	out := make([]taxonomy.Process, 0, len(entries))
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		if len(out) == maxProcs {
			break
		}
		dir := filepath.Join(proc, e.Name())
		p := taxonomy.Process{PID: pid}
		if b, err := os.ReadFile(filepath.Join(dir, "comm")); err == nil {
			p.Name = strings.TrimSpace(string(b))
		} else {
			continue // gone since the directory was read
		}
		if b, err := os.ReadFile(filepath.Join(dir, "cmdline")); err == nil {
			for _, a := range bytes.Split(bytes.TrimRight(b, "\x00"), []byte{0}) {
				if len(a) > 0 {
					p.Args = append(p.Args, string(a))
				}
			}
		}
		p.Ony = pid == t.selfPID || pid == lockPID || t.isOnyBinary(dir, &p)
		out = append(out, p)
	}
	return out, nil
}

// isOnyBinary reports a process running Ony's executable, or one named
// ony-tui.
func (t *Table) isOnyBinary(dir string, p *taxonomy.Process) bool {
	if p.Name == "ony-tui" || len(p.Args) > 0 && filepath.Base(p.Args[0]) == "ony-tui" {
		return true
	}
	if t.selfExe == nil {
		return false
	}
	fi, err := os.Stat(filepath.Join(dir, "exe"))
	return err == nil && os.SameFile(fi, t.selfExe)
}

// own lists the processes known to be Ony's without /proc.
func (t *Table) own(lockPID int) []taxonomy.Process {
	out := []taxonomy.Process{{PID: t.selfPID, Name: "ony-tui", Args: t.args, Ony: true}}
	if lockPID > 0 && lockPID != t.selfPID {
		out = append(out, taxonomy.Process{PID: lockPID, Name: "ony-tui", Args: []string{"ony-tui (engine)"}, Ony: true})
	}
	return out
}

// lockPID returns the pid written in the engine lock, or 0.
func (t *Table) lockPID() int {
	if t.LockFile == "" {
		return 0
	}
	b, err := os.ReadFile(t.LockFile)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

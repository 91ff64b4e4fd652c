package hook

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ony-dev/ony-tui/engine/paths"
)

// Diagnostics (socket paths, uids, device ids, verdict errors, panics) are
// for the owner, not for the model. Codex and Gemini show everything a
// denying hook writes on stderr to the model, so the hook writes only the
// reason there and appends diagnostics to a log in the state directory,
// which `ony-tui doctor` points at.

// LogName is the hook's diagnostics log in the state directory.
const LogName = "hook.log"

// logMaxSize is the size at which the log is rotated to LogName+".1".
const logMaxSize = 1 << 20

// LogFile returns the path of the hook's diagnostics log for a layout.
func LogFile(l paths.Layout) string { return filepath.Join(l.StateDir, LogName) }

// diag appends diagnostics to the hook log. It opens the log only when there
// is something to say, so an allowed call costs nothing, and it never fails
// or panics: a diagnostic that cannot be written is dropped (the reason the
// harness receives still explains the outcome).
type diag struct {
	// locate returns the log's path; it is called at most once.
	locate  func() (string, error)
	harness string
	// echo also receives each line; it is set only when the hook's stderr
	// is a terminal, that is when a person runs the hook by hand.
	echo io.Writer
	now  func() time.Time

	// mu serialises printf: an interrupt logs while the run may still log.
	mu       sync.Mutex
	path     string
	resolved bool
}

// newDiag returns the diagnostics of one hook run.
func newDiag(opts Options, getenv func(string) string, stderr io.Writer) *diag {
	d := &diag{harness: opts.Harness, now: time.Now}
	d.locate = func() (string, error) {
		l, err := paths.Resolve(opts.Home, getenv)
		if err != nil {
			return "", err
		}
		return LogFile(l), nil
	}
	if f, ok := stderr.(*os.File); ok && isTerminal(f) {
		d.echo = stderr
	}
	return d
}

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// printf records one diagnostic line.
func (d *diag) printf(format string, args ...any) {
	defer func() { _ = recover() }() // a diagnostic never takes the hook down
	d.mu.Lock()
	defer d.mu.Unlock()
	msg := strings.ReplaceAll(fmt.Sprintf(format, args...), "\n", " ")
	line := fmt.Sprintf("%s pid=%d harness=%s %s\n", d.now().UTC().Format(time.RFC3339Nano), os.Getpid(), d.harness, msg)
	if d.echo != nil {
		_, _ = io.WriteString(d.echo, "ony-tui hook: "+msg+"\n")
	}
	if !d.resolved {
		d.resolved = true
		if p, err := d.locate(); err == nil {
			d.path = p
		}
	}
	if d.path == "" {
		return
	}
	appendLog(d.path, line)
}

// appendLog appends line to the log at path, rotating it first when it has
// grown past logMaxSize. Each line is one write on an O_APPEND file, so
// concurrent hooks do not interleave within a line.
func appendLog(path, line string) {
	if err := paths.EnsurePrivateDir(filepath.Dir(path)); err != nil {
		return
	}
	if fi, err := os.Lstat(path); err == nil && fi.Size() > logMaxSize {
		_ = os.Rename(path, path+".1")
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return
	}
	defer f.Close()
	_, _ = f.WriteString(line)
}

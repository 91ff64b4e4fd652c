package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"syscall"

	"github.com/ony-dev/ony-tui/engine/paths"
	"github.com/ony-dev/ony-tui/ledger"
	"github.com/ony-dev/ony-tui/ledger/ledgercli"
)

// hintedError is an error with the "ony-tui: hint:" lines that say what to
// do about it.
type hintedError struct {
	err   error
	hints []string
}

func (e *hintedError) Error() string { return e.err.Error() }
func (e *hintedError) Unwrap() error { return e.err }

// printHints prints the hints of err, if it has any.
func printHints(w io.Writer, err error) {
	var he *hintedError
	if errors.As(err, &he) {
		for _, h := range he.hints {
			fmt.Fprintf(w, "ony-tui: hint: %s\n", h)
		}
	}
}

// startHints attaches to an engine start failure what to do about it: a
// ledger that is missing, damaged, truncated or replaced, or a home that
// cannot be written.
func startHints(err error, l paths.Layout) error {
	if err == nil {
		return nil
	}
	var hints []string
	switch {
	case errors.Is(err, ledger.ErrNoChain):
		hints = []string{
			"Ony's keys or checkpoints show a chain was kept here; if you did not remove the ledger yourself, something else did: check with \"ony-tui verify\"",
			fmt.Sprintf("restore %s (and %s) from a backup", l.LedgerFile, l.CheckpointDir),
			"or start a new chain deliberately, at a terminal: \"ony-tui --new-chain\" or \"ony-tui serve --new-chain\" (the old files are moved to " + l.ArchiveDir + ", nothing is deleted)",
		}
	case errors.Is(err, ledger.ErrCheckpoint), errors.Is(err, ledger.ErrTampered), errors.Is(err, ledger.ErrNotLedger) && !errors.Is(err, ledger.ErrNewerSchema):
		hints = append([]string{"run \"ony-tui verify\" for the full report"}, ledgercli.RecoverySteps(l.LedgerFile, l.CheckpointDir)...)
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EROFS):
		hints = []string{"choose a home you can write with --home DIR (or ONY_HOME=DIR): Ony keeps its config, state and socket under it; the hook needs the same home (ony-tui install puts --home in its command)"}
	default:
		return err
	}
	return &hintedError{err: err, hints: hints}
}

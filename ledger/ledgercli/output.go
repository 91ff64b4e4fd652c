// Package ledgercli implements the ledger commands of ony-tui, verify and
// log, as plain functions that take their options and output streams and
// return the process exit code; the command-line wiring (cobra, default
// paths from engine/paths) lives with the caller.
//
// Both follow the conventions of good Unix tools: results on stdout, and on
// failure lowercase "ony-tui: error: ..." and "ony-tui: hint: ..." lines on
// stderr. Exit codes: 0 intact, 1 tampered, 2 could not check (missing or
// unreadable file, wrong key, bad arguments). The --json output is specified
// in docs/LEDGER-FORMAT.md §8 and §9.
package ledgercli

import (
	"fmt"
	"io"
	"strconv"
	"unicode"
)

// Program prefixes every diagnostic line.
const Program = "ony-tui"

// Exit codes of Verify and Log.
const (
	ExitIntact   = 0 // verified, nothing wrong
	ExitTampered = 1 // the ledger or its checkpoint was altered
	ExitCannot   = 2 // could not check: missing or unreadable input, wrong key, bad arguments
)

func errorf(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, "%s: error: %s\n", Program, fmt.Sprintf(format, args...))
}

func hintf(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, "%s: hint: %s\n", Program, fmt.Sprintf(format, args...))
}

// safe returns s for a terminal: a string with any control, format (bidi)
// or other non-graphic character is shown Go-quoted, so that ledger fields
// written by an agent cannot move the cursor or recolour the screen.
func safe(s string) string {
	for _, r := range s {
		if !unicode.IsGraphic(r) || r == unicode.ReplacementChar {
			return strconv.QuoteToGraphic(s)
		}
	}
	return s
}

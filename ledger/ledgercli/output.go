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
	"strings"
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

// count formats n with thousands separators: 1204 → "1,204".
func count(n uint64) string {
	s := strconv.FormatUint(n, 10)
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	head := len(s) % 3
	if head > 0 {
		b.WriteString(s[:head])
	}
	for i := head; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// plural returns "1 entry" or "3 entries".
func plural(n uint64, one, many string) string {
	if n == 1 {
		return count(n) + " " + one
	}
	return count(n) + " " + many
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

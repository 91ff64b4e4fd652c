// Command minimalcgo is the second baseline for the hook benchmark: the
// minimal program, linked with cgo as ony-tui must be (go-sqlite3, piv-go).
// The difference to the minimal program is what cgo costs at start-up.
package main

// #include <stdlib.h>
import "C"

import (
	"io"
	"os"
)

func main() {
	_, _ = io.Copy(io.Discard, os.Stdin)
	_, _ = os.Stdout.WriteString(`{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"allow"}}` + "\n")
}

package cli

import (
	"fmt"
	"os"
	"time"

	"github.com/charmbracelet/x/term"

	"github.com/ony-dev/ony-tui/internal/humanize"
)

// progressOnTerminal returns a progress callback that redraws one line on
// stderr, "verifying the ledger 412,000/1,000,000 (41%)", at most ten times a
// second, or nil when stderr is not a terminal (a script sees only the
// result). Calling it with total 0 clears the line.
func progressOnTerminal(what string) func(done, total uint64) {
	if !term.IsTerminal(os.Stderr.Fd()) {
		return nil
	}
	return progressTo(os.Stderr, what, time.Now)
}

// progressTo is progressOnTerminal writing to w, for tests.
func progressTo(w interface{ Write([]byte) (int, error) }, what string, now func() time.Time) func(done, total uint64) {
	var last time.Time
	shown := false
	return func(done, total uint64) {
		switch {
		case total == 0:
			if shown {
				fmt.Fprint(w, "\r\x1b[K")
				shown = false
			}
			return
		case done < total && now().Sub(last) < 100*time.Millisecond:
			return
		}
		last = now()
		shown = true
		fmt.Fprintf(w, "\r\x1b[K%s %s/%s (%d%%)", what, humanize.Count(done), humanize.Count(total), done*100/total)
	}
}

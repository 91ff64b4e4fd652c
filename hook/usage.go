package hook

import (
	"fmt"
	"io"
	"os"
)

// Usage says what `ony-tui hook` is for; `ony-tui hook --help` at a
// terminal prints it, and `ony-tui help hook` shows it too.
const Usage = `An agent harness runs "ony-tui hook <harness>" before every tool call, with
the call as JSON on stdin (the harness's own hook input). The hook asks the
engine, verifies the signed verdict and answers allow or deny in the
harness's own encoding. Harnesses: claude, codex, cursor, gemini, copilot.
It fails closed: no console, a bad verdict, a timeout or bad input all deny.
"ony-tui install <harness>" writes the entry that runs it; you do not run it
yourself, except to try a call by hand:

  echo '{"hook_event_name":"PreToolUse","tool_name":"Bash",
         "tool_input":{"command":"git push --force"}}' | ony-tui hook claude

Flags: --home DIR (the Ony home, as for the console), --deadline DURATION
(how long to wait for a verdict; default hook_deadline), --system [--root
DIR] (ask the system install's engine).

With --system (the form "sudo ony-tui install --system <harness>" writes into
the harness's managed policy) it asks the engine of the system install on
/run/ony/ony.sock, and only if everything from / down to it is root's, the
socket and the process behind it belong to the engine's user, and the verdict
verifies with that user's public keys.`

// exitAtTerminal is the exit code of a hook run by a person at a terminal
// without input: 2, which every harness reads as "block", should a harness
// ever start the hook that way.
const exitAtTerminal = 2

// readerIsTerminal reports whether r is a terminal (one ioctl on its
// descriptor).
func readerIsTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && isTerminal(f)
}

// atTerminal handles a hook started by a person: stdin is a terminal, so
// no harness is waiting for an answer (a harness always pipes its input).
// --help prints the usage and exits 0; anything else says what the hook is
// for and exits 2 instead of waiting for input that is not coming.
func atTerminal(args []string, stdout, stderr io.Writer) int {
	for _, a := range args {
		if a == "--help" || a == "-h" {
			fmt.Fprintln(stdout, Usage)
			return 0
		}
	}
	fmt.Fprint(stderr, `ony-tui hook: stdin is a terminal, so no agent harness is asking.
The hook is what a harness runs before each tool call, with the call as JSON
on stdin. To gate a harness: ony-tui install claude (or codex, cursor, gemini,
copilot). To try a call by hand, pipe it in:
  echo '{"hook_event_name":"PreToolUse","tool_name":"Bash",
         "tool_input":{"command":"ls"}}' | ony-tui hook claude
More: ony-tui hook --help
`)
	return exitAtTerminal
}

package hook

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// MaxDeadline bounds --deadline, as the config bounds hook_deadline.
const MaxDeadline = 2 * time.Hour

// interrupts are the signals that would end the hook process without an
// answer: by default Go dies of SIGHUP, SIGINT and SIGTERM (a harness reads
// a hook killed by a signal as a failed hook, and Gemini CLI, Codex and
// Claude Code without onFailure "block" then run the call) and exits 2 on
// SIGQUIT. Process catches them all and denies instead. SIGKILL cannot be
// caught.
func interrupts() []os.Signal {
	return []os.Signal{syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM, syscall.SIGQUIT}
}

// Process is `ony-tui hook` as the process a harness starts: Main on the
// process's standard streams, with the interrupts denied in the harness's
// own format and SIGPIPE ignored (a write to a closed pipe then fails
// instead of killing the hook by a signal).
func Process(args []string) int {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, interrupts()...)
	signal.Ignore(syscall.SIGPIPE)
	defer signal.Stop(sigs)
	return mainArgs(args, sigs, os.Stdin, os.Stdout, os.Stderr)
}

// Main runs `ony-tui hook <harness> [--home DIR | --system [--root DIR]]
// [--deadline DURATION]` with its arguments parsed by hand (no flag package:
// a flag error must never end in an exit code a harness reads as
// "proceed"). Bad arguments deny. It installs no signal handler (Process
// does).
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return mainArgs(args, nil, stdin, stdout, stderr)
}

func mainArgs(args []string, interrupts <-chan os.Signal, stdin io.Reader, stdout, stderr io.Writer) int {
	// A harness always pipes the call in. A terminal on stdin means a
	// person typed the command: say what the hook is for rather than wait.
	// This is the only path that can exit 0 without a verified approval,
	// and only for --help at a terminal.
	if readerIsTerminal(stdin) {
		return atTerminal(args, stdout, stderr)
	}
	opts := Options{Interrupts: interrupts}
	var problems []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(a, "=")
		switch {
		case name == "--system" && !hasVal:
			opts.System = true
		case name == "--home" || name == "--deadline" || name == "--root":
			if !hasVal {
				if i+1 >= len(args) {
					problems = append(problems, name+" needs a value")
					continue
				}
				i++
				val = args[i]
			}
			switch name {
			case "--home":
				opts.Home = val
			case "--root":
				opts.Root = val
			default:
				if d, err := time.ParseDuration(val); err != nil || d <= 0 {
					problems = append(problems, fmt.Sprintf("--deadline %q is not a duration", val))
				} else if d > MaxDeadline {
					problems = append(problems, fmt.Sprintf("--deadline %s is over %s", d, MaxDeadline))
				} else {
					opts.Deadline = d
				}
			}
		case strings.HasPrefix(a, "-"):
			problems = append(problems, "unknown flag "+a)
		case opts.Harness == "":
			opts.Harness = a
		default:
			problems = append(problems, "unexpected argument "+a)
		}
	}
	switch {
	case opts.System && opts.Home != "":
		problems = append(problems, "--home and --system name different installs")
	case opts.Root != "" && !opts.System:
		problems = append(problems, "--root needs --system")
	}
	if len(problems) > 0 {
		opts.ArgError = "bad hook arguments: " + strings.Join(problems, "; ") + "; reinstall with `ony-tui install <harness>`"
	}
	return Run(context.Background(), opts, stdin, stdout, stderr)
}

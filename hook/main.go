package hook

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
)

// MaxDeadline bounds --deadline, as the config bounds hook_deadline.
const MaxDeadline = 2 * time.Hour

// Main runs `ony-tui hook <harness> [--home DIR | --system [--root DIR]]
// [--deadline DURATION]` with its arguments parsed by hand (no flag package:
// a flag error must never end in an exit code a harness reads as
// "proceed"). Bad arguments deny.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	opts := Options{}
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

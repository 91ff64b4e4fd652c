// Package cli is ony-tui's command tree: the console, the headless server,
// install, doctor, verify, log, explain, devices, enroll, unlock and demo.
// The hook command is dispatched by main before this tree is built.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/ony-dev/ony-tui/engine/paths"
	"github.com/ony-dev/ony-tui/hook"
)

// Build describes the binary the commands run in.
type Build struct {
	Version         string
	DefaultTaxonomy []byte // the embedded taxonomy.yaml
}

// Run executes the command line and returns the exit code.
func Run(b Build, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRoot(b, stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	default:
		fmt.Fprintf(stderr, "ony-tui: error: %v\n", err)
		printHints(stderr, err)
		return 1
	}
}

// exitError carries an exit code chosen by a command.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// globals are the flags every command shares.
type globals struct {
	home  string
	build Build
	// system selects the layout of a system install (/etc/ony, /var/lib/ony,
	// /run/ony), below root when it is set.
	system bool
	root   string
	// owners are the users whose agents the engine of a system install
	// gates (--owner, a name or a uid).
	owners []string
}

func (g *globals) layout() (paths.Layout, error) {
	switch {
	case g.system && g.home != "":
		return paths.Layout{}, errors.New("--home and --system name different installs: use one")
	case g.root != "" && !g.system:
		return paths.Layout{}, errors.New("--root is the install root of a system install: use it with --system")
	case g.system:
		return paths.System(g.root)
	}
	return paths.Resolve(g.home, os.Getenv)
}

func newRoot(b Build, stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	g := &globals{build: b}
	var newChain bool
	root := &cobra.Command{
		Use:   "ony-tui",
		Short: "Ony: the approval console an autonomous coding agent cannot talk around",
		Long: `ony-tui is Ony's terminal approval console. Agent harnesses run
"ony-tui hook <harness>" before every tool call; the console derives the real
risk itself, lets low-risk work through, holds the rest for your approval
(critical actions also need a 6-digit code), signs every verdict and records
it in a tamper-evident ledger.`,
		Example: `  ony-tui                     # the console, in this terminal
  ony-tui install claude      # gate Claude Code's tool calls
  ony-tui enroll totp         # add the 6-digit code for critical actions
  ony-tui verify --json       # audit the ledger from a script`,
		Version:       b.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          unknownCommand,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runConsole(cmd.Context(), g, stdin, stdout, stderr, "console", newChain)
		},
	}
	root.SetVersionTemplate("ony-tui {{.Version}}\n")
	root.SuggestionsMinimumDistance = 2
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().StringVar(&g.home, "home", "", "put all of Ony's files under this directory (also ONY_HOME)")
	root.PersistentFlags().BoolVar(&g.system, "system", false, "use the system install (/etc/ony, /var/lib/ony, /run/ony), whose engine runs as its own user")
	root.PersistentFlags().StringVar(&g.root, "root", "", "install root of the system install (for tests; default /)")
	root.PersistentFlags().StringSliceVar(&g.owners, "owner", nil, "with --system: the user (name or uid) whose agents the engine gates")
	root.Flags().BoolVar(&newChain, "new-chain", false, newChainUsage)
	root.AddCommand(
		newServeCmd(g, stdin, stdout, stderr),
		newAwayCmd(g, stdout),
		newHookCmd(),
		newInstallCmd(g, stdout, stderr, true),
		newInstallCmd(g, stdout, stderr, false),
		newDoctorCmd(g, stdout, stderr),
		newVerifyCmd(g, stdout, stderr),
		newLogCmd(g, stdout, stderr),
		newExplainCmd(g, stdin, stdout),
		newRulesCmd(g, stdout),
		newDevicesCmd(g, stdin, stdout, stderr),
		newPolicyCmd(g, stdin, stdout),
		newEnrollCmd(g, stdin, stdout),
		newUnlockCmd(g, stdin, stdout),
		newPhoneCmd(g, stdout),
		newDemoCmd(g, stdout, stderr),
		&cobra.Command{
			Use:   "version",
			Short: "Print the version",
			Args:  cobra.NoArgs,
			Run:   func(*cobra.Command, []string) { fmt.Fprintln(stdout, "ony-tui", b.Version) },
		},
	)
	return root
}

// Tree returns the command tree, for tools that document it (the man
// pages); it runs nothing.
func Tree(b Build) *cobra.Command { return newRoot(b, os.Stdin, os.Stdout, os.Stderr) }

// unknownCommand refuses arguments to the bare console, naming the
// commands a typo was closest to.
func unknownCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q", args[0])
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return errors.New(msg + "\nhint: `ony-tui --help` lists the commands")
}

// newHookCmd exists for help and completion; main dispatches "hook" itself.
func newHookCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "hook <harness> [--home DIR | --system [--root DIR]] [--deadline DURATION]",
		Short:   "Decide one tool call for an agent harness (run by the harness, not by you)",
		Long:    hook.Usage,
		Example: `  echo '{"hook_event_name":"PreToolUse",...}' | ony-tui hook claude`,
		RunE: func(*cobra.Command, []string) error {
			return errors.New("hook is dispatched before the command tree")
		},
	}
}

package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/charmbracelet/x/term"

	"github.com/spf13/cobra"

	"github.com/ony-dev/ony-tui/engine/config"
	"github.com/ony-dev/ony-tui/engine/paths"
	"github.com/ony-dev/ony-tui/hook/harness"
	"github.com/ony-dev/ony-tui/hook/install"
	"github.com/ony-dev/ony-tui/internal/sysinstall"
)

// binaryPath is the absolute, symlink-resolved path of this binary, which
// the hook entries run.
func binaryPath() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("finding this binary: %w", err)
	}
	if r, err := filepath.EvalSymlinks(exe); err == nil {
		exe = r
	}
	return filepath.Abs(exe)
}

// onyHome is the home to pin in hook entries: the --home flag or ONY_HOME,
// made absolute; empty for the XDG default.
func (g *globals) onyHome() (string, error) {
	h := g.home
	if h == "" {
		h = os.Getenv(paths.EnvHome)
	}
	if h == "" {
		return "", nil
	}
	return filepath.Abs(h)
}

func (g *globals) installOptions(harnessName, project string, dryRun bool) (install.Options, error) {
	l, err := g.layout()
	if err != nil {
		return install.Options{}, err
	}
	cfg, err := config.Load(l.ConfigFile)
	if err != nil {
		return install.Options{}, err
	}
	bin, err := binaryPath()
	if err != nil {
		return install.Options{}, err
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return install.Options{}, fmt.Errorf("finding your home directory: %w", err)
	}
	onyHome, err := g.onyHome()
	if err != nil {
		return install.Options{}, err
	}
	if project != "" {
		if project, err = filepath.Abs(project); err != nil {
			return install.Options{}, err
		}
	}
	return install.Options{Harness: harnessName, Binary: bin, HomeDir: home, ProjectDir: project, OnyHome: onyHome,
		Deadline: cfg.HookDeadline, DryRun: dryRun, Getenv: os.Getenv, Record: filepath.Join(l.StateDir, installRecord)}, nil
}

// installRecord, in the state directory, lists the directories install
// created in harness configs, for uninstall to remove.
const installRecord = "installed.json"

func newInstallCmd(g *globals, stdout, stderr io.Writer, add bool) *cobra.Command {
	var project, engineUser, hookGroup string
	var dryRun bool
	use, short, verb, svcVerb := "install", "Gate an agent harness's tool calls through Ony", "installed", "writes and enables"
	if !add {
		use, short, verb, svcVerb = "uninstall", "Remove Ony's hook from an agent harness", "uninstalled", "stops and removes"
	}
	cmd := &cobra.Command{
		Use:   use + " <harness|service>...",
		Short: short,
		Long: fmt.Sprintf(`%s Ony's hook in the user config of each harness (or of a project with
--project). Harnesses: %s. The file is edited in place, keeping every
other setting byte for byte, and backed up first. install turns on the
harness's fail-closed switch where one exists and says plainly which
harnesses stay fail-open if the binary disappears.

"service" %[3]s the systemd user unit that runs the engine (ony-tui serve),
so it outlives every console: consoles attach to it and detach freely.

With --system (as root) it sets up the hardened posture: "service" runs the
engine as a system user of its own from a root-owned copy of this binary,
with its keys, TOTP secret and ledger out of the owner's reach; a harness
name puts the hook in the harness's managed policy, which the user cannot
override: /etc/claude-code/managed-settings.json, /etc/codex/requirements.toml,
/etc/cursor/hooks.json, /etc/gemini-cli/settings.json,
/etc/github-copilot/policy.d/ony.json. --dry-run prints every step.`, strings.ToUpper(use[:1])+use[1:]+"s", strings.Join(harness.Names(), ", "), svcVerb),
		Example: fmt.Sprintf(`  ony-tui %[1]s claude
  ony-tui %[1]s codex cursor gemini copilot
  ony-tui %[1]s claude --project . --dry-run
  ony-tui %[1]s service
  sudo ony-tui %[1]s --system service claude --dry-run`, use),
		Args:      installArgs(use),
		ValidArgs: append(harness.Names(), "service"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if g.system {
				if project != "" {
					return errors.New("--project and --system name different configs: use one")
				}
				return systemInstall{g: g, add: add, dryRun: dryRun, engineUser: engineUser, hookGroup: hookGroup, stdout: stdout, stderr: stderr}.run(args)
			}
			if add && !dryRun {
				warnUnstableBinary(stderr)
			}
			failed := false
			for i, h := range args {
				if len(args) > 1 && useColorOut(stdout) {
					// Several at a terminal: say where it is.
					fmt.Fprintf(stdout, "[%d/%d] %s\n", i+1, len(args), h)
				}
				if h == "service" {
					if err := g.installService(add, dryRun, stdout); err != nil {
						fmt.Fprintf(stderr, "ony-tui: error: service: %v\n", err)
						failed = true
					}
					continue
				}
				o, err := g.installOptions(h, project, dryRun)
				if err != nil {
					return err
				}
				var res install.Result
				if add {
					res, err = install.Install(o)
				} else {
					res, err = install.Uninstall(o)
				}
				if err != nil {
					fmt.Fprintf(stderr, "ony-tui: error: %s: %v\n", h, err)
					failed = true
					continue
				}
				if dryRun {
					if res.Diff == "" {
						fmt.Fprintf(stdout, "%s: %s already says this; nothing to change\n", h, res.File)
					} else {
						fmt.Fprint(stdout, res.Diff)
					}
					continue
				}
				fmt.Fprintf(stdout, "%s: %s %s\n", h, verb, res.File)
				if res.Summary != "" {
					fmt.Fprintln(stdout, indent(res.Summary))
				}
				if add {
					if text, ok := installRuntime(h, o); text != "" {
						mark := "OK"
						if !ok {
							mark = "WARNING"
						}
						fmt.Fprintln(stdout, indent(mark+": "+text))
					}
				}
			}
			if failed {
				return exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&project, "project", "", "edit this project's config instead of your user config")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the change as a diff and write nothing")
	cmd.Flags().StringVar(&engineUser, "engine-user", "", "with --system service: the engine's system user (default "+sysinstall.DefaultEngineUser+")")
	cmd.Flags().StringVar(&hookGroup, "hook-group", "", "with --system service: the group whose members' hooks reach the engine (default "+sysinstall.DefaultHookGroup+")")
	return cmd
}

// installArgs asks for at least one known name, and names them all (with
// the closest to a typo) when it does not get one.
func installArgs(use string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		names := append(harness.Names(), "service")
		if len(args) == 0 {
			return fmt.Errorf("name what to %s: a harness (%s), or service for the engine's systemd unit\nhint: ony-tui %s claude",
				use, strings.Join(harness.Names(), ", "), use)
		}
		for _, a := range args {
			if slices.Contains(names, a) {
				continue
			}
			msg := fmt.Sprintf("unknown harness %q: Ony knows %s, and service", a, strings.Join(harness.Names(), ", "))
			if near := closest(a, names); near != "" {
				msg += "; did you mean " + near + "?"
			}
			return errors.New(msg)
		}
		return nil
	}
}

// closest is the name in names nearest to s (at most two edits, or s is a
// prefix of it), "" when none is.
func closest(s string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		d := editDistance(strings.ToLower(s), n)
		if strings.HasPrefix(n, strings.ToLower(s)) && len(s) >= 2 {
			d = min(d, 1)
		}
		if d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// useColorOut reports whether w is a terminal (progress and colour are for
// people; a pipe gets plain results).
func useColorOut(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(f.Fd())
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "  " + l
	}
	return strings.Join(lines, "\n")
}

// warnUnstableBinary says so when the hook entries would point into a git
// checkout or a build directory, and what to do instead.
func warnUnstableBinary(stderr io.Writer) {
	bin, err := binaryPath()
	if err != nil {
		return
	}
	home, _ := os.UserHomeDir()
	why := install.UnstableBinary(bin, home)
	if why == "" {
		return
	}
	fmt.Fprintf(stderr, `ony-tui: warning: the hook entries will run %s, and %s.
  A make clean, a branch switch or a rebuild breaks or changes every hook: Claude Code and
  Cursor then block every call, Codex and Gemini run every call unchecked. Put the binary
  somewhere stable first (make install copies it to ~/.local/bin), then install from there:
  ~/.local/bin/ony-tui install <harness>
`, bin, why)
}

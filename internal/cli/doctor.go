package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/ony-dev/ony-tui/engine/config"
	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/paths"
	"github.com/ony-dev/ony-tui/engine/wire"
	"github.com/ony-dev/ony-tui/hook"
	"github.com/ony-dev/ony-tui/hook/harness"
	"github.com/ony-dev/ony-tui/hook/install"
	"github.com/ony-dev/ony-tui/internal/app"
	"github.com/ony-dev/ony-tui/ledger/ledgercli"
)

// check is one doctor finding.
type check struct {
	level string // ok, warn, FAIL, info
	what  string
	text  string
	hint  string
}

type doctor struct {
	g      *globals
	l      paths.Layout
	checks []check
	paths  []namedPath
}

// namedPath is one of Ony's files, as doctor names it (the SSH recipe in
// the README copies these).
type namedPath struct{ name, path string }

// layoutPaths are the files a person setting Ony up (or forwarding its
// socket over SSH) needs to know.
func layoutPaths(l paths.Layout) []namedPath {
	return []namedPath{
		{"socket", l.Socket}, {"consoles", l.ConsoleSocket}, {"keys", l.KeysDir}, {"devices", l.DevicesFile},
		{"ledger", l.LedgerFile}, {"config", l.ConfigFile}, {"hook log", hook.LogFile(l)},
	}
}

func (d *doctor) add(level, what, text, hint string) {
	d.checks = append(d.checks, check{level, what, text, hint})
}

func newDoctorCmd(g *globals, stdout, stderr io.Writer) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check that Ony is set up to gate your agents, and say what to fix",
		Long: `Checks the console is reachable, the socket and keys are private, the config
and taxonomy load, the ledger verifies, a code device is enrolled, and each
harness's hook is installed, points at this binary, has a timeout longer than
the hook's deadline and its fail-closed switch on. Exits 1 if anything is
wrong. It first names Ony's files (the socket, the keys, the device
registry...), the paths the SSH recipe in the README uses.

The posture lines say, for the user doctor runs as (run it as the user the
agent runs as), which of the binary, the hook entries, the engine and its keys
that user could change or read, and what that means. doctor --system checks
the system install instead. --json prints one object for scripts.`,
		Example: `  ony-tui doctor
  ony-tui doctor --json | jq -r .paths.socket`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := g.layout()
			if err != nil {
				return err
			}
			d := &doctor{g: g, l: l, paths: layoutPaths(l)}
			if l.System {
				d.system(cmd.Context())
			} else {
				d.files()
				cfg := d.config()
				d.taxonomy()
				d.devices()
				d.touch(cmd.Context(), cfg)
				d.ledger(cmd.Context(), !asJSON)
				d.console()
				d.hookLog()
				d.phone(cmd.Context())
				d.harnesses(cfg)
				d.userPosture(cfg)
			}
			failed := d.failed()
			if asJSON {
				if err := d.writeJSON(stdout); err != nil {
					return err
				}
			} else {
				d.write(stdout, terminalWidth())
			}
			if failed {
				if !asJSON {
					fmt.Fprintln(stderr, "ony-tui: doctor found problems: fix the FAIL lines above")
				}
				return exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object (schema ony-tui/doctor/v1) instead of lines")
	return cmd
}

func (d *doctor) failed() bool {
	for _, c := range d.checks {
		if c.level == "FAIL" {
			return true
		}
	}
	return false
}

// doctorIndent is where a line's text starts: "%-5s %-10s ".
const doctorIndent = 17

// write prints the paths and the checks, one per line, or wrapped to width
// with the text kept in its column when width is positive (a terminal).
func (d *doctor) write(w io.Writer, width int) {
	line := func(level, what, text string) {
		lines := []string{text}
		if width > doctorIndent+20 {
			lines = strings.Split(ansi.Wrap(text, width-doctorIndent, ""), "\n")
		}
		fmt.Fprintf(w, "%-5s %-10s %s\n", level, what, lines[0])
		for _, l := range lines[1:] {
			fmt.Fprintf(w, "%s%s\n", strings.Repeat(" ", doctorIndent), l)
		}
	}
	for _, p := range d.paths {
		line("path", p.name, p.path)
	}
	for _, c := range d.checks {
		line(c.level, c.what, c.text)
		if c.hint != "" {
			line("", "", "hint: "+c.hint)
		}
	}
}

// doctorJSON is doctor's output for scripts.
type doctorJSON struct {
	Schema string            `json:"schema"`
	OK     bool              `json:"ok"`
	Paths  map[string]string `json:"paths"`
	Checks []checkJSON       `json:"checks"`
}

type checkJSON struct {
	Level string `json:"level"` // ok, warn, FAIL, info
	What  string `json:"what"`
	Text  string `json:"text"`
	Hint  string `json:"hint,omitempty"`
}

func (d *doctor) writeJSON(w io.Writer) error {
	out := doctorJSON{Schema: "ony-tui/doctor/v1", OK: !d.failed(), Paths: map[string]string{}, Checks: []checkJSON{}}
	for _, p := range d.paths {
		out.Paths[p.name] = p.path
	}
	for _, c := range d.checks {
		out.Checks = append(out.Checks, checkJSON{Level: c.level, What: c.what, Text: c.text, Hint: c.hint})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// terminalWidth is stdout's width when it is a terminal, else 0 (a pipe
// or a file gets one line per finding, for grep).
func terminalWidth() int {
	if !term.IsTerminal(os.Stdout.Fd()) {
		return 0
	}
	w, _, err := term.GetSize(os.Stdout.Fd())
	if err != nil {
		return 0
	}
	return w
}

// homeHint says how to put Ony's files somewhere writable.
const homeHint = "choose a home you can write with --home DIR (or ONY_HOME=DIR), for the console, the hook (ony-tui install) and doctor alike"

func (d *doctor) files() {
	for _, dir := range d.l.Dirs() {
		fi, err := os.Lstat(dir)
		switch {
		case errors.Is(err, os.ErrNotExist):
			if werr := paths.Writable(paths.NearestExisting(dir)); werr != nil {
				d.add("FAIL", "files", fmt.Sprintf("%s cannot be created: %v", dir, werr), homeHint)
				return
			}
			d.add("warn", "files", dir+" does not exist yet", "start the console once (ony-tui) to create Ony's files")
			return
		case err != nil:
			d.add("FAIL", "files", err.Error(), "")
		case fi.Mode()&os.ModeSymlink != 0 || !fi.IsDir():
			d.add("FAIL", "files", dir+" is not a plain directory", "remove it and start the console to recreate it")
		case fi.Mode().Perm()&0o077 != 0:
			d.add("FAIL", "files", fmt.Sprintf("%s has mode %04o, others can reach it", dir, fi.Mode().Perm()), "chmod 700 "+dir)
		default:
			if werr := paths.Writable(dir); werr != nil {
				d.add("FAIL", "files", fmt.Sprintf("Ony cannot write in %s: %v", dir, werr), homeHint)
			}
		}
	}
	bad := 0
	entries, _ := os.ReadDir(d.l.KeysDir)
	for _, e := range entries {
		fi, err := os.Lstat(filepath.Join(d.l.KeysDir, e.Name()))
		if err != nil || !fi.Mode().IsRegular() || (fi.Mode().Perm()&0o077 != 0 && !strings.HasSuffix(e.Name(), ".pub")) {
			d.add("FAIL", "keys", filepath.Join(d.l.KeysDir, e.Name())+" is not a private regular file", "chmod 600 "+filepath.Join(d.l.KeysDir, e.Name()))
			bad++
		}
	}
	if bad == 0 {
		d.add("ok", "files", fmt.Sprintf("directories private, %d key files private (%s)", len(entries), d.l.KeysDir), "")
	}
}

func (d *doctor) config() config.Config {
	cfg, err := config.Load(d.l.ConfigFile)
	if err != nil {
		d.add("FAIL", "config", err.Error(), "fix the file: every hook denies while it is invalid")
		return config.Defaults()
	}
	src := d.l.ConfigFile
	if _, err := os.Stat(src); err != nil {
		src = "defaults (no " + src + ")"
	}
	d.add("ok", "config", fmt.Sprintf("%s; hook deadline %s, fallback %s", src, cfg.HookDeadline, cfg.Fallback), "")
	return cfg
}

func (d *doctor) taxonomy() {
	t, err := app.LoadTaxonomy(d.l, d.g.build.DefaultTaxonomy)
	if err != nil {
		d.add("FAIL", "taxonomy", err.Error(), "the console refuses to start until the taxonomy loads")
		return
	}
	d.add("ok", "taxonomy", fmt.Sprintf("%s, %d actions, sha256 %s", t.Source, len(t.Actions()), t.SHA256()[:16]), "")
	if o := t.Overlay(); o != nil {
		d.add("ok", "overlay", fmt.Sprintf("%s, %d programs classified, sha256 %s", o.Name(), len(o.Rules()), o.SHA256()[:16]), "")
	}
}

func (d *doctor) devices() {
	reg := deviceRegistry(d.l)
	ds, err := reg.List()
	if err != nil {
		d.add("FAIL", "devices", err.Error(), "")
		return
	}
	for _, k := range []device.Kind{device.KindEngine, device.KindConsole} {
		if _, err := reg.Signer(activeID(ds, k)); err != nil {
			d.add("warn", "devices", fmt.Sprintf("no usable %s device (%v)", k, err), "start the console: it creates one")
		}
	}
	if activeID(ds, device.KindTOTP) == "" {
		d.add("warn", "devices", "no code device: critical actions are denied", "ony-tui enroll totp")
	} else {
		d.add("ok", "devices", fmt.Sprintf("%d devices, code device enrolled", len(ds)), "")
	}
}

func activeID(ds []device.Device, k device.Kind) string {
	for _, d := range ds {
		if d.Kind == k && d.Active() {
			return d.ID
		}
	}
	return ""
}

func (d *doctor) ledger(ctx context.Context, progress bool) {
	var out, errb strings.Builder
	o := ledgercli.VerifyOptions{DB: d.l.LedgerFile, Home: true, CheckpointDir: d.l.CheckpointDir}
	if progress {
		o.Progress = progressOnTerminal("verifying the ledger")
	}
	src := app.LedgerOptions(d.l).VerifySources()
	o.AuditKeyFile, o.CheckpointVerifierFile = src.AuditKeyFile, src.CheckpointVerifierFile
	switch code := ledgercli.Verify(ctx, o, &out, &errb); code {
	case ledgercli.ExitIntact:
		d.add("ok", "ledger", strings.TrimSpace(out.String()), "")
	default:
		lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
		text := strings.TrimPrefix(lines[0], "ony-tui: error: ")
		if strings.Contains(text, "no ledger yet") {
			d.add("warn", "ledger", "no ledger yet at "+d.l.LedgerFile, "start the console once")
			return
		}
		d.add("FAIL", "ledger", text, "run `ony-tui verify` for the full report and what to do")
	}
}

func (d *doctor) console() {
	c, err := net.DialTimeout("unix", d.l.Socket, time.Second)
	if err != nil {
		d.add("FAIL", "console", "not reachable on "+d.l.Socket+": every hook denies", "start it with `ony-tui` in a terminal (or `ony-tui serve`)")
		return
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	var pong wire.Pong
	err = wire.WriteFrame(c, wire.Ping{V: wire.Version, Type: wire.TypePing})
	if err == nil {
		var body []byte
		if body, err = wire.ReadFrame(c, 0); err == nil {
			err = wire.DecodeStrict(body, &pong)
		}
	}
	if err != nil {
		d.add("FAIL", "console", "socket answers but not as an Ony console: "+err.Error(), "")
		return
	}
	state := fmt.Sprintf("reachable on %s (%s), %d waiting", d.l.Socket, pong.Build, pong.Pending)
	if pong.KillSwitch {
		d.add("warn", "console", state+", KILL SWITCH ENGAGED", "release it at the console (K, then y)")
		return
	}
	d.add("ok", "console", state, "")
}

func (d *doctor) harnesses(cfg config.Config) {
	home, _ := os.UserHomeDir()
	bin, _ := binaryPath()
	onyHome, _ := d.g.onyHome()
	any := false
	for _, h := range harness.Names() {
		o := install.Options{Harness: h, Binary: bin, HomeDir: home, OnyHome: onyHome,
			Deadline: cfg.HookDeadline, Getenv: os.Getenv}
		r, err := install.Status(o)
		switch {
		case err != nil:
			d.add("FAIL", h, err.Error(), "")
		case !r.Installed:
			d.add("info", h, "not installed", "ony-tui install "+h)
		case !r.OK():
			any = true
			d.add("FAIL", h, strings.Join(r.Problems, "; "), "ony-tui install "+h+" (rewrites Ony's entries)")
		default:
			any = true
			text := "installed in " + r.File
			if r.FailClosedSwitch != "" {
				text += "; " + r.FailClosedSwitch
			}
			if r.FailOpen != "" {
				d.add("warn", h, text+"; "+r.FailOpen, "")
			} else {
				d.add("ok", h, text, "")
			}
		}
		if err == nil && r.Installed {
			d.harnessRuntime(h, o)
		}
	}
	if !any {
		d.add("warn", "harnesses", "no harness is gated yet", "ony-tui install claude (or codex, cursor, gemini, copilot)")
	}
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ony-dev/ony-tui/engine/config"
	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/paths"
	"github.com/ony-dev/ony-tui/engine/wire"
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
}

func (d *doctor) add(level, what, text, hint string) {
	d.checks = append(d.checks, check{level, what, text, hint})
}

func newDoctorCmd(g *globals, stdout, stderr io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "doctor",
		Short: "Check that Ony is set up to gate your agents, and say what to fix",
		Long: `Checks the console is reachable, the socket and keys are private, the config
and taxonomy load, the ledger verifies, a code device is enrolled, and each
harness's hook is installed, points at this binary, has a timeout longer than
the hook's deadline and its fail-closed switch on. Exits 1 if anything is
wrong.

The posture lines say, for the user doctor runs as (run it as the user the
agent runs as), which of the binary, the hook entries, the engine and its keys
that user could change or read, and what that means. doctor --system checks
the system install instead.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := g.layout()
			if err != nil {
				return err
			}
			d := &doctor{g: g, l: l}
			if l.System {
				d.system(cmd.Context())
			} else {
				d.files()
				cfg := d.config()
				d.taxonomy()
				d.devices()
				d.touch(cmd.Context(), cfg)
				d.ledger(cmd.Context())
				d.console()
				d.hookLog()
				d.phone(cmd.Context())
				d.harnesses(cfg)
				d.userPosture(cfg)
			}
			failed := false
			for _, c := range d.checks {
				fmt.Fprintf(stdout, "%-5s %-10s %s\n", c.level, c.what, c.text)
				if c.hint != "" {
					fmt.Fprintf(stdout, "%-5s %-10s hint: %s\n", "", "", c.hint)
				}
				failed = failed || c.level == "FAIL"
			}
			if failed {
				fmt.Fprintln(stderr, "ony-tui: doctor found problems: fix the FAIL lines above")
				return exitError{code: 1}
			}
			return nil
		},
	}
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

func (d *doctor) ledger(ctx context.Context) {
	var out, errb strings.Builder
	o := ledgercli.VerifyOptions{DB: d.l.LedgerFile, Home: true, CheckpointDir: d.l.CheckpointDir}
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
				text += ", " + r.FailClosedSwitch + " on"
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

package cli

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/ony-dev/ony-tui/engine/config"
	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/paths"
	"github.com/ony-dev/ony-tui/hook/harness"
	"github.com/ony-dev/ony-tui/hook/install"
	"github.com/ony-dev/ony-tui/internal/sysinstall"
)

// The posture section says, for the user doctor runs as (the user the
// agent runs as), which of the binary, the hook entries, the engine and its
// keys that user could change or read, and what that means. Ony never
// claims more than the posture allows.

// system runs doctor's checks on the system install (doctor --system), as
// the owner's user: the policy, the engine on its socket, the public
// registry, the managed hooks and the posture. The ledger and keys are the
// engine's; doctor says how to check them as its user.
func (d *doctor) system(ctx context.Context) {
	cfg := config.Defaults()
	if err := paths.CheckRootFile(d.l.ConfigFile); err != nil {
		d.add("FAIL", "config", err.Error(), "only root may own Ony's policy: sudo chown root:root "+d.l.ConfigFile+" && sudo chmod 644 "+d.l.ConfigFile)
	} else {
		cfg = d.config()
	}
	d.taxonomy()
	uid, err := d.l.EngineUID()
	if err != nil {
		d.add("FAIL", "engine", err.Error(), "sudo ony-tui install --system service sets the install up")
	} else {
		reg := device.OpenWith(d.l.DevicesFile, d.l.KeysDir, nil, device.Access{Owner: uid, Shared: true})
		if ds, err := reg.List(); err != nil {
			d.add("FAIL", "devices", err.Error(), "")
		} else if activeID(ds, device.KindTOTP) == "" {
			d.add("warn", "devices", "no code device: every approval needs a factor the agent cannot produce, and without a code only a YubiKey or the phone can give one",
				fmt.Sprintf("sudo -u %s %s enroll totp --system", userName(uid), d.systemPaths().Binary))
		} else {
			d.add("ok", "devices", fmt.Sprintf("%d devices, public keys only in %s, code device enrolled", len(ds), d.l.DevicesFile), "")
		}
		d.add("info", "ledger", "the ledger and its keys are the engine's user's, unreadable here",
			fmt.Sprintf("verify it as that user: sudo -u %s %s verify --system", userName(uid), d.systemPaths().Binary))
	}
	d.console()
	if ul, err := paths.Resolve("", os.Getenv); err == nil {
		u := &doctor{g: d.g, l: ul}
		u.hookLog()
		d.checks = append(d.checks, u.checks...)
	}
	d.systemHarnesses(cfg)
	d.systemPosture()
}

func (d *doctor) systemPaths() sysinstall.Paths {
	p, _ := sysinstall.PathsFor(d.g.root)
	return p
}

// systemHarnesses reports the managed hook of each harness.
func (d *doctor) systemHarnesses(cfg config.Config) {
	p := d.systemPaths()
	any := false
	for _, h := range harness.Names() {
		r, err := install.Status(install.Options{Harness: h, Binary: p.Binary, System: true, Root: d.g.root, Deadline: cfg.HookDeadline})
		switch {
		case err != nil:
			d.add("FAIL", h, err.Error(), "")
		case !r.Installed:
			d.add("info", h, "no managed hook", "sudo ony-tui install --system "+h)
		case !r.OK():
			any = true
			d.add("FAIL", h, strings.Join(r.Problems, "; "), "sudo ony-tui install --system "+h)
		default:
			any = true
			d.add("ok", h, "managed hook in "+r.File, "")
		}
	}
	if !any {
		d.add("warn", "harnesses", "no harness has a managed hook yet", "sudo ony-tui install --system claude (or codex, cursor, gemini, copilot)")
	}
}

// exposure is one thing doctor judges: can the agent's user change (or
// read) it, and why.
type exposure struct {
	what, path string
	open       bool
	why        string
}

// systemPosture judges the system install from the calling user's side.
func (d *doctor) systemPosture() {
	d.note()
	p := d.systemPaths()
	var ex []exposure
	ex = append(ex, changeable("binary", p.Binary))
	for _, h := range harness.Names() {
		r, err := install.Status(install.Options{Harness: h, Binary: p.Binary, System: true, Root: d.g.root})
		if err == nil && r.Installed {
			ex = append(ex, changeable("hook "+h, r.File))
		}
	}
	ex = append(ex, changeable("policy", d.l.ConfigDir))
	uid, err := d.l.EngineUID()
	if err == nil {
		ex = append(ex, exposure{what: "engine", path: d.l.StateDir, open: false,
			why: fmt.Sprintf("runs as %s (uid %d), not as you: you cannot stop it, signal it or read its memory", userName(uid), uid)})
	} else {
		ex = append(ex, exposure{what: "engine", path: d.l.StateDir, open: true, why: err.Error()})
	}
	for _, f := range []string{d.l.KeysDir, d.l.LedgerFile} {
		ex = append(ex, readable("secrets", f))
	}
	open := d.report(ex)
	if open == 0 {
		d.add("ok", "posture", "system install: the agent's user can neither unhook Ony, change its policy or binary, nor read its keys, TOTP secret or ledger; every approval needs a factor that user's code cannot produce", "")
		d.add("info", "posture", "what it does not cover: the harness itself runs as you, and whoever starts it chooses its environment and binary (GEMINI_CLI_SYSTEM_SETTINGS_PATH moves Gemini's system file); a user with sudo can undo anything", "")
		return
	}
	d.add("warn", "posture", fmt.Sprintf("system install with %d hole(s) above: what the agent's user can change there, it can undo", open), "")
}

// userPosture judges a per-user install.
func (d *doctor) userPosture(cfg config.Config) {
	d.note()
	bin, _ := binaryPath()
	home, _ := os.UserHomeDir()
	ex := []exposure{changeable("binary", bin)}
	if why := install.UnstableBinary(bin, home); why != "" {
		ex[0].open, ex[0].why = true, why+": the next make clean or branch switch breaks every hook (make install puts it in ~/.local/bin)"
	}
	onyHome, _ := d.g.onyHome()
	for _, h := range harness.Names() {
		r, err := install.Status(install.Options{Harness: h, Binary: bin, HomeDir: home, OnyHome: onyHome, Deadline: cfg.HookDeadline, Getenv: os.Getenv})
		if err == nil && r.Installed {
			ex = append(ex, changeable("hook "+h, r.File))
		}
	}
	ex = append(ex, exposure{what: "engine", path: d.l.Socket, open: true, why: "runs as you: code running as you can stop it or drive the console's terminal"},
		exposure{what: "secrets", path: d.l.KeysDir, open: true, why: "yours: code running as you could read the keys and sign its own approvals"})
	d.report(ex)
	d.add("warn", "posture", "same user: Ony stops what the agent's tool calls ask for, but code the agent manages to run as you (a script it wrote, a test suite) could edit the hook entries, read the keys and approve for itself",
		"for a posture the agent's user cannot undo: sudo ony-tui install --system service, then sudo ony-tui install --system <harness> (README: Postures)")
	if p, err := sysinstall.PathsFor("/"); err == nil {
		if _, err := os.Stat(p.Manifest); err == nil {
			d.add("info", "posture", "this machine also has a system install", "ony-tui doctor --system")
		}
	}
}

// note says who doctor judges for.
func (d *doctor) note() {
	if os.Getuid() == 0 {
		d.add("info", "posture", "doctor runs as root, who can change everything", "run it as the user the agent runs as to see what that user could change")
	}
}

// report adds one line per exposure and returns how many are open.
func (d *doctor) report(ex []exposure) int {
	open := 0
	for _, e := range ex {
		if e.open {
			open++
			d.add("warn", "posture", fmt.Sprintf("%s %s: %s", e.what, tilde(e.path), e.why), "")
		} else {
			d.add("ok", "posture", fmt.Sprintf("%s %s: %s", e.what, tilde(e.path), e.why), "")
		}
	}
	return open
}

// changeable judges whether this user could change path: write it, or
// replace it through a directory on its way that it can write to.
func changeable(what, path string) exposure {
	e := exposure{what: what, path: path}
	if path == "" {
		e.open, e.why = true, "unknown"
		return e
	}
	if unix.Access(path, unix.W_OK) == nil {
		e.open, e.why = true, "you can change it"
		return e
	}
	for d := filepath.Dir(path); ; d = filepath.Dir(d) {
		if unix.Access(d, unix.W_OK) == nil && !stickyRootOwned(d) {
			e.open, e.why = true, "you can replace it: you can write to "+tilde(d)
			return e
		}
		if d == "/" || d == "." {
			break
		}
	}
	e.why = "you cannot change or replace it"
	if fi, err := os.Stat(path); err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			e.why = fmt.Sprintf("%s's; you cannot change or replace it", userName(int(st.Uid)))
		}
	}
	return e
}

// stickyRootOwned is /tmp and its like: writable, but nobody can replace
// what others put there.
func stickyRootOwned(dir string) bool {
	fi, err := os.Stat(dir)
	if err != nil {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Uid == 0 && fi.Mode()&os.ModeSticky != 0
}

// readable judges whether this user can read path.
func readable(what, path string) exposure {
	e := exposure{what: what, path: path}
	if unix.Access(path, unix.R_OK) == nil {
		e.open, e.why = true, "you can read it"
		if what == "secrets" {
			e.why = "you can read them: code running as you could sign its own approvals"
		}
		return e
	}
	e.why = "you cannot read it"
	return e
}

func userName(uid int) string {
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		return u.Username
	}
	return "uid " + strconv.Itoa(uid)
}

// tilde shortens a path in the home directory.
func tilde(p string) string {
	if h, err := os.UserHomeDir(); err == nil && h != "/" && strings.HasPrefix(p, h+"/") {
		return "~" + p[len(h):]
	}
	return p
}

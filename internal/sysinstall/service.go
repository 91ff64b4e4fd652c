package sysinstall

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"

	"github.com/ony-dev/ony-tui/hook/harness"
)

// Install sets up the system install: the hook group, the engine's user,
// the owner in the hook group, the root-owned binary, the directories, the
// systemd unit (enabled and started where systemd runs) and the manifest.
// It is idempotent: a second run changes only what differs (a new binary,
// a mode someone changed).
func Install(o Options) error {
	if err := o.defaults(); err != nil {
		return err
	}
	if o.Owner == nil {
		return errors.New("no owner: name the user whose agents Ony gates (--owner NAME)")
	}
	ownerUID := atoi(o.Owner.Uid)
	if ownerUID <= 0 {
		return fmt.Errorf("owner %s has uid %s: the owner must be a user other than root", o.Owner.Username, o.Owner.Uid)
	}
	p, err := PathsFor(o.Root)
	if err != nil {
		return err
	}
	bin, err := os.ReadFile(o.Binary)
	if err != nil {
		return fmt.Errorf("reading the binary to install: %w", err)
	}
	m, err := ReadManifest(p.Manifest)
	if err != nil {
		return err
	}
	if m == nil {
		m = &Manifest{Files: map[string]string{}}
	}
	if m.Files == nil {
		m.Files = map[string]string{}
	}
	if m.OwnerUID != 0 && m.OwnerUID != ownerUID {
		return fmt.Errorf("this machine's system install gates uid %d (%s): uninstall it first (sudo ony-tui uninstall --system service) to gate another user", m.OwnerUID, m.OwnerName)
	}
	m.OwnerUID, m.OwnerName, m.EngineUser, m.HookGroup = ownerUID, o.Owner.Username, o.EngineUser, o.HookGroup

	var steps []step
	// Users and groups.
	group, gerr := user.LookupGroup(o.HookGroup)
	if gerr != nil {
		steps = append(steps, step{"create the hook group: " + commandLine("groupadd", "--system", o.HookGroup), func() error {
			m.CreatedGroup = true
			return command("groupadd", "--system", o.HookGroup)
		}})
	}
	engine, uerr := user.Lookup(o.EngineUser)
	switch {
	case uerr != nil:
		args := []string{"--system", "--user-group", "--no-create-home", "--home-dir", p.Layout.StateDir,
			"--shell", "/usr/sbin/nologin", "--comment", "Ony engine", "--groups", o.HookGroup, o.EngineUser}
		steps = append(steps, step{"create the engine's user: " + commandLine("useradd", args...), func() error {
			m.CreatedUser = true
			return command("useradd", args...)
		}})
	case engine.Uid == "0" || engine.Uid == o.Owner.Uid:
		return fmt.Errorf("user %s (uid %s) cannot run the engine: it must be a user of its own, neither root nor the owner", o.EngineUser, engine.Uid)
	case gerr != nil || !inGroup(engine, group.Gid):
		steps = append(steps, step{"add the engine's user to the hook group: " + commandLine("usermod", "--append", "--groups", o.HookGroup, o.EngineUser), func() error {
			m.AddedEngineToGroup = true
			return command("usermod", "--append", "--groups", o.HookGroup, o.EngineUser)
		}})
	}
	if gerr != nil || !inGroup(o.Owner, group.Gid) {
		steps = append(steps, step{"add " + o.Owner.Username + " to the hook group (effective at their next login): " +
			commandLine("usermod", "--append", "--groups", o.HookGroup, o.Owner.Username), func() error {
			m.AddedOwnerToGroup = true
			return command("usermod", "--append", "--groups", o.HookGroup, o.Owner.Username)
		}})
	}
	// Directories and files.
	planned := map[string]bool{}
	for _, d := range []string{filepath.Dir(p.LibDir), filepath.Dir(p.Unit), filepath.Dir(p.Layout.ConfigDir),
		filepath.Dir(p.Layout.StateDir), filepath.Dir(p.Layout.RuntimeDir)} {
		steps = append(steps, mkdirAll(m, d, planned)...)
	}
	steps = append(steps, ownedDir(m, p.LibDir, "", "", 0o755)...)
	steps = append(steps, ownedDir(m, p.Layout.ConfigDir, "", "", 0o755)...)
	steps = append(steps, ownedDir(m, p.Layout.StateDir, o.EngineUser, o.HookGroup, 0o710)...)
	steps = append(steps, ownedDir(m, p.Layout.RuntimeDir, o.EngineUser, o.HookGroup, 0o710)...)
	if fileHash(p.Binary) != sha256Hex(bin) {
		steps = append(steps, step{fmt.Sprintf("copy %s to %s (root, 0755)", o.Binary, p.Binary), func() error {
			m.Files[p.Binary] = sha256Hex(bin)
			return writeFileAtomic(p.Binary, bin, 0o755)
		}})
	} else {
		m.Files[p.Binary] = sha256Hex(bin)
	}
	unit := Unit(p, o, ownerUID)
	if fileHash(p.Unit) != sha256Hex([]byte(unit)) {
		steps = append(steps, step{"write the systemd unit " + p.Unit + " (root, 0644)", func() error {
			m.Files[p.Unit] = sha256Hex([]byte(unit))
			return writeFileAtomic(p.Unit, []byte(unit), 0o644)
		}})
	}
	steps = append(steps, step{"record what was installed in " + p.Manifest, func() error { return m.Write(p.Manifest) }},
		step{"check the install as the hook will: everything above the engine's directories root's and closed to others", func() error {
			_, err := p.Layout.EngineUID()
			return err
		}})
	systemd := systemdRunning() && p.Layout.Root == "/"
	if systemd {
		steps = append(steps,
			step{commandLine("systemctl", "daemon-reload"), func() error { return command("systemctl", "daemon-reload") }},
			step{commandLine("systemctl", "enable", "--now", "ony.service"), func() error { return command("systemctl", "enable", "--now", "ony.service") }})
	}

	fmt.Fprintf(o.Out, "System install of Ony for %s (uid %d) below %s:\n", o.Owner.Username, ownerUID, p.Layout.Root)
	if err := run(o, steps); err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "\nThe engine's unit (%s):\n%s\n", p.Unit, indent(unit))
	serve := harness.ShellJoin(ServeArgs(p, ownerUID))
	switch {
	case systemd && !o.DryRun:
		fmt.Fprintln(o.Out, "The engine runs now (systemctl status ony.service).")
	case !systemd && p.Layout.Root != "/":
		fmt.Fprintf(o.Out, "The install root is %s, so the unit is not enabled. Start the engine as its user, under any supervisor:\n  runuser -u %s -- %s\n", p.Layout.Root, o.EngineUser, serve)
	case !systemd:
		fmt.Fprintf(o.Out, "systemd is not running on this machine (no /run/systemd/system), so the unit is written but not started. Start the engine as its user, under any supervisor:\n  runuser -u %s -- %s\n", o.EngineUser, serve)
	}
	if o.DryRun {
		fmt.Fprintln(o.Out, "Dry run: nothing was changed.")
	}
	fmt.Fprintf(o.Out, `
What this gives: the engine runs as %[1]s; its keys, TOTP secret and ledger in %[2]s are unreadable by %[3]s, and its policy in %[4]s is root's.
Next:
  sudo ony-tui install --system claude        # (or codex, cursor, gemini, copilot): hooks in the harness's managed policy
  sudo -u %[1]s %[5]s enroll totp --system    # the 6-digit code: every approval needs it (or a YubiKey touch, or the phone)
%[3]s must log in again for the group %[6]s to apply to their agents' hooks.
`, o.EngineUser, p.Layout.StateDir, o.Owner.Username, p.Layout.ConfigDir, p.Binary, o.HookGroup)
	return nil
}

// mkdirAll returns the steps creating dir and any missing parent (root,
// 0755) not planned already, recording each it creates.
func mkdirAll(m *Manifest, dir string, planned map[string]bool) []step {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil || d == "/" {
			break
		}
		if !planned[d] {
			planned[d] = true
			missing = append([]string{d}, missing...)
		}
	}
	var steps []step
	for _, d := range missing {
		steps = append(steps, step{"create " + d + " (root, 0755)", func() error {
			if err := os.Mkdir(d, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
				return err
			}
			if !slices.Contains(m.CreatedDirs, d) {
				m.CreatedDirs = append(m.CreatedDirs, d)
			}
			return os.Chmod(d, 0o755)
		}})
	}
	return steps
}

// ownedDir returns the steps that make dir exist with owner, group and mode
// (owner and group "" for root).
func ownedDir(m *Manifest, dir, owner, group string, mode os.FileMode) []step {
	who := "root"
	if owner != "" {
		who = owner + ":" + group
	}
	fi, err := os.Lstat(dir)
	if err == nil && fi.IsDir() && fi.Mode().Perm() == mode && ownedBy(fi, owner, group) {
		return nil
	}
	verb := "create"
	if err == nil {
		verb = "set owner and mode of"
	}
	return []step{{fmt.Sprintf("%s %s (%s, %04o)", verb, dir, who, mode), func() error {
		if err := os.Mkdir(dir, mode); err == nil {
			m.CreatedDirs = append(m.CreatedDirs, dir)
		} else if !errors.Is(err, fs.ErrExist) {
			return err
		}
		uid, gid := 0, 0
		if owner != "" {
			u, err := user.Lookup(owner)
			if err != nil {
				return err
			}
			g, err := user.LookupGroup(group)
			if err != nil {
				return err
			}
			uid, gid = atoi(u.Uid), atoi(g.Gid)
		}
		if err := os.Lchown(dir, uid, gid); err != nil {
			return err
		}
		return os.Chmod(dir, mode)
	}}}
}

// ownedBy reports whether fi belongs to owner:group (root when "").
func ownedBy(fi os.FileInfo, owner, group string) bool {
	uid, gid := "0", "0"
	if owner != "" {
		u, err := user.Lookup(owner)
		g, gerr := user.LookupGroup(group)
		if err != nil || gerr != nil {
			return false
		}
		uid, gid = u.Uid, g.Gid
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && strconv.Itoa(int(st.Uid)) == uid && strconv.Itoa(int(st.Gid)) == gid
}

func indent(s string) string {
	var b bytes.Buffer
	for _, l := range bytes.SplitAfter([]byte(s), []byte("\n")) {
		if len(bytes.TrimSpace(l)) > 0 {
			b.WriteString("  ")
		}
		b.Write(l)
	}
	return b.String()
}

package sysinstall

import (
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"time"
)

// Uninstall undoes what the manifest says install did: it stops and
// disables the unit (where systemd runs), removes the unit and the binary
// if they still hold what install wrote, the runtime directory, the owner's
// membership of the hook group if install added it, the manifest, and the
// directories install created that are left empty. It keeps the state
// directory (ledger, checkpoints, keys, devices): the audit trail is never
// deleted silently; and so the users that own it. It says what it kept.
// It refuses while harness hooks of the system install remain (they would
// point at a binary that is gone) and while an engine it cannot stop still
// answers.
func Uninstall(o Options) error {
	if err := o.defaults(); err != nil {
		return err
	}
	p, err := PathsFor(o.Root)
	if err != nil {
		return err
	}
	m, err := ReadManifest(p.Manifest)
	if err != nil {
		return err
	}
	if m == nil {
		fmt.Fprintf(o.Out, "No system install is recorded in %s: nothing to undo.\n", p.Manifest)
		return nil
	}
	if len(m.Hooks) > 0 {
		return fmt.Errorf("the managed hooks of %[1]s still run %[2]s: remove them first (sudo ony-tui uninstall --system %[1]s), or every call of those harnesses is blocked (or, in Codex and Gemini, runs unchecked) once the binary is gone",
			strings.Join(m.Hooks, " "), p.Binary)
	}
	systemd := systemdRunning() && p.Layout.Root == "/"
	if !systemd && answers(p.Layout.Socket) {
		return fmt.Errorf("the engine still answers on %s: stop it first (it is not run by systemd here)", p.Layout.Socket)
	}
	var steps []step
	var kept []string
	if systemd {
		steps = append(steps, step{commandLine("systemctl", "disable", "--now", "ony.service"), func() error {
			return command("systemctl", "disable", "--now", "ony.service")
		}})
	}
	for _, f := range []string{p.Unit, p.Binary} {
		want, ok := m.Files[f]
		switch have := fileHash(f); {
		case !ok || have == "":
		case have != want:
			kept = append(kept, f+" (changed since install: remove it yourself if it is not needed)")
		default:
			steps = append(steps, step{"remove " + f, func() error { return os.Remove(f) }})
		}
	}
	if systemd {
		steps = append(steps, step{commandLine("systemctl", "daemon-reload"), func() error { return command("systemctl", "daemon-reload") }})
	}
	steps = append(steps, step{"remove " + p.Layout.RuntimeDir + " (the engine's socket)", func() error { return os.RemoveAll(p.Layout.RuntimeDir) }})
	if m.AddedOwnerToGroup {
		steps = append(steps, step{"take " + m.OwnerName + " out of the hook group: " + commandLine("gpasswd", "--delete", m.OwnerName, m.HookGroup), func() error {
			return command("gpasswd", "--delete", m.OwnerName, m.HookGroup)
		}})
	}
	steps = append(steps, step{"remove " + p.Manifest, func() error { return os.Remove(p.Manifest) }})
	created := slices.Clone(m.CreatedDirs)
	slices.Reverse(created) // children before parents
	for _, d := range created {
		if d == p.Layout.StateDir || d == p.Layout.RuntimeDir {
			continue
		}
		steps = append(steps, step{"remove " + d + " if it is empty", func() error {
			err := os.Remove(d)
			if err != nil && !errors.Is(err, os.ErrNotExist) && !strings.HasPrefix(p.Layout.StateDir, d+"/") {
				kept = append(kept, d+" (not empty)")
			}
			return nil
		}})
	}
	fmt.Fprintf(o.Out, "Removing the system install of Ony below %s:\n", p.Layout.Root)
	if err := run(o, steps); err != nil {
		return err
	}
	if !o.DryRun && !slices.Contains(m.CreatedDirs, p.Layout.ConfigDir) {
		if _, err := os.Stat(p.Layout.ConfigDir); err == nil {
			kept = append(kept, p.Layout.ConfigDir+" (it existed before the install)")
		}
	}
	kept = append(kept, p.Layout.StateDir+": the ledger (ledger.db), its checkpoints, the keys and the devices. The audit trail is never deleted silently; once you no longer need it: sudo rm -r "+p.Layout.StateDir)
	var users []string
	if m.CreatedUser {
		users = append(users, "sudo userdel "+m.EngineUser)
	}
	if m.CreatedGroup {
		users = append(users, "sudo groupdel "+m.HookGroup)
	}
	if len(users) > 0 {
		kept = append(kept, fmt.Sprintf("the user %s and the group %s, which own %s; after removing it: %s",
			m.EngineUser, m.HookGroup, p.Layout.StateDir, strings.Join(users, "; ")))
	}
	verb := "Kept"
	if o.DryRun {
		verb = "Would keep"
	}
	fmt.Fprintf(o.Out, "%s:\n", verb)
	for _, k := range kept {
		fmt.Fprintf(o.Out, "  %s\n", k)
	}
	if o.DryRun {
		fmt.Fprintln(o.Out, "Dry run: nothing was changed.")
	}
	return nil
}

// answers reports whether something accepts connections on the socket.
func answers(sock string) bool {
	c, err := net.DialTimeout("unix", sock, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

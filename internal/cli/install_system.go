package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"slices"

	"github.com/ony-dev/ony-tui/engine/config"
	"github.com/ony-dev/ony-tui/engine/paths"
	"github.com/ony-dev/ony-tui/hook/install"
	"github.com/ony-dev/ony-tui/internal/sysinstall"
)

// systemInstall is `install --system` and `uninstall --system`: "service"
// (the engine as its own user, see package sysinstall) and harness names
// (hooks in the harness's managed policy, running the root-owned binary).
type systemInstall struct {
	g                     *globals
	add, dryRun           bool
	engineUser, hookGroup string
	stdout, stderr        io.Writer
}

func (s systemInstall) run(args []string) error {
	failed := false
	for _, a := range args {
		var err error
		if a == "service" {
			err = s.service()
		} else {
			err = s.harness(a)
		}
		if err != nil {
			fmt.Fprintf(s.stderr, "ony-tui: error: %s: %v\n", a, err)
			failed = true
		}
	}
	if failed {
		return exitError{code: 1}
	}
	return nil
}

func (s systemInstall) options() (sysinstall.Options, error) {
	o := sysinstall.Options{Root: s.g.root, EngineUser: s.engineUser, HookGroup: s.hookGroup, DryRun: s.dryRun, Out: s.stdout}
	if !s.add {
		return o, nil
	}
	owner := ""
	switch {
	case len(s.g.owners) > 1:
		return o, errors.New("one system install gates one user: give --owner once")
	case len(s.g.owners) == 1:
		owner = s.g.owners[0]
	case os.Getenv("SUDO_USER") != "" && os.Getenv("SUDO_USER") != "root":
		owner = os.Getenv("SUDO_USER") // the person who ran sudo
	default:
		return o, errors.New("name the user whose agents Ony gates: --owner NAME (under sudo it is the user who ran sudo)")
	}
	u, err := user.Lookup(owner)
	if err != nil {
		if u, err = user.LookupId(owner); err != nil {
			return o, fmt.Errorf("--owner %s: no such user", owner)
		}
	}
	o.Owner = u
	if o.Binary, err = binaryPath(); err != nil {
		return o, err
	}
	return o, nil
}

func (s systemInstall) service() error {
	o, err := s.options()
	if err != nil {
		return err
	}
	if s.add {
		return sysinstall.Install(o)
	}
	return sysinstall.Uninstall(o)
}

// harness installs or removes the hook in the harness's managed policy, and
// records it in the system install's manifest.
func (s systemInstall) harness(name string) error {
	p, err := sysinstall.PathsFor(s.g.root)
	if err != nil {
		return err
	}
	m, err := sysinstall.ReadManifest(p.Manifest)
	if err != nil {
		return err
	}
	if m == nil && s.add {
		return fmt.Errorf("no system install below %s: run `sudo ony-tui install --system service` first (it puts the root-owned binary in place that managed hooks run)", p.Layout.Root)
	}
	if err := paths.CheckRootFile(p.Layout.ConfigFile); err != nil {
		return err
	}
	cfg, err := config.Load(p.Layout.ConfigFile)
	if err != nil {
		return err
	}
	o := install.Options{Harness: name, Binary: p.Binary, System: true, Root: s.g.root, Deadline: cfg.HookDeadline, DryRun: s.dryRun}
	var res install.Result
	if s.add {
		res, err = install.Install(o)
	} else {
		res, err = install.Uninstall(o)
	}
	if err != nil {
		return err
	}
	if s.dryRun {
		if res.Diff == "" {
			fmt.Fprintf(s.stdout, "%s: %s already says this; nothing to change\n", name, res.File)
		} else {
			fmt.Fprint(s.stdout, res.Diff)
		}
		return nil
	}
	if m != nil {
		had := slices.Contains(m.Hooks, name)
		switch {
		case s.add && !had:
			m.Hooks = append(m.Hooks, name)
		case !s.add && had:
			m.Hooks = slices.DeleteFunc(m.Hooks, func(h string) bool { return h == name })
		}
		if had != s.add {
			if err := m.Write(p.Manifest); err != nil {
				return fmt.Errorf("recording the hook in %s: %w", p.Manifest, err)
			}
		}
	}
	verb := "installed"
	if !s.add {
		verb = "uninstalled"
	}
	fmt.Fprintf(s.stdout, "%s: %s %s\n", name, verb, res.File)
	if res.Summary != "" {
		fmt.Fprintln(s.stdout, indent(res.Summary))
	}
	return nil
}
